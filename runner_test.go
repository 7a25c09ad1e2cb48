//go:build runner

package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

// The examples under a real GitHub runner: nektos/act runs each workflow
// in examples/github/ unmodified, in job containers, with this
// repository's action (and stand-ins for remote actions that cannot be
// fetched offline) resolved by --local-repository, against the emulator.
// The one change to the world is --env PLUGIN_ENDPOINT (and the STS
// endpoint), which points a workflow written for a real account at the
// emulator. scripts/runner.sh sets up act, podman's API and the images.

const (
	actRole     = "qcs::cam::uin/100000000001:roleName/tcr-promote"
	actProvider = "github-actions"
	actToken    = "eyJhbGciOiJSUzI1NiJ9.act-oidc-token.c2ln"
	actBearer   = "act-runtime-request-token"
	actDigest   = "sha256:3b5c0a7e41d9c5e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"
	actOther    = "sha256:9999999999999999999999999999999999999999999999999999999999999999"
	actInstance = "tcr-e8pg46c6" // the keyless example names it
)

var services = []string{"api", "web", "worker", "billing", "search", "notify", "auth", "media"}

// actWorld is one run's emulator, on loopback, and the fake GitHub OIDC
// token endpoint the job's steps ask.
type actWorld struct {
	emu      *tcremu.Emulator
	endpoint string
	registry string // the instance's registry, for registry_endpoint
	tokenURL string
	release  string // a release server for the composite action's binary
}

func newActWorld(t *testing.T) *actWorld {
	t.Helper()
	emu := tcremu.New(tcremu.WithCredential(refID, refKey), tcremu.WithWebIdentity(actProvider, actRole, actToken))
	emu.AddInstance(actInstance, "ap-guangzhou", "acme.tencentcloudcr.com")
	_ = emu.AddNamespace(actInstance, "release")
	_ = emu.PutImage(actInstance, "develop", "app", "stg", actDigest)
	_ = emu.PutImage(actInstance, "develop", "api", "stg", actDigest)
	for _, s := range services {
		_ = emu.PutImage(actInstance, "develop", s, "stg", actDigest)
	}
	w := &actWorld{emu: emu, endpoint: serve(t, emu), registry: serve(t, emu.RegistryServer(actInstance, oci.Options{Referrers: true}))}
	w.tokenURL = serve(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+actBearer {
			http.Error(rw, "bad bearer", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(rw).Encode(map[string]string{"value": actToken})
	})) + "/token?api-version=2.0"
	return w
}

// serve serves h on 127.0.0.1 only: act's job containers share the
// host's network.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// actRun is what act reported: each job's result and each job's log.
type actRun struct {
	results map[string]string
	logs    map[string]string
	all     string
}

type example struct {
	name, workflow, event string
	payload               map[string]any
	composite             bool // the action is the composite, pinned to a local release
	seed                  func(t *testing.T, w *actWorld)
	jobs                  map[string]string // job id → success or failure
	logs                  map[string][]string
	after                 func(t *testing.T, w *actWorld)
}

var examples = []example{
	{
		name: "promote", workflow: "examples/github/promote.yml", event: "workflow_dispatch",
		jobs: map[string]string{"promote": "success"},
		logs: map[string][]string{"promote": {"RequestId "}},
		after: func(t *testing.T, w *actWorld) {
			if img, ok := w.emu.Lookup(actInstance, "release", "app", "prd"); !ok || img.Digest != actDigest {
				t.Errorf("release/app:prd = %v %v", img, ok)
			}
		},
	},
	{
		name: "build, test, promote the digest", workflow: "examples/github/pinned.yml", event: "push",
		payload: map[string]any{"ref": "refs/heads/main"},
		jobs:    map[string]string{"build": "success", "test": "success", "promote": "success"},
		logs: map[string][]string{
			"test":    {"testing acme.tencentcloudcr.com/develop/app@" + actDigest},
			"promote": {"prd is acme.tencentcloudcr.com/release/app:prd@" + actDigest + " (changed by this run: true)"},
		},
	},
	{
		name: "build, test, promote: stg moved", workflow: "examples/github/pinned.yml", event: "push",
		payload: map[string]any{"ref": "refs/heads/main"},
		seed: func(t *testing.T, w *actWorld) {
			_ = w.emu.PutImage(actInstance, "develop", "app", "stg", actOther) // pushed after the build
		},
		jobs: map[string]string{"build": "success", "test": "success", "promote": "failure"},
		after: func(t *testing.T, w *actWorld) {
			if _, ok := w.emu.Lookup(actInstance, "release", "app", "prd"); ok {
				t.Error("prd was created from a stg that moved")
			}
		},
	},
	{
		name: "a re-run release that conflicts", workflow: "examples/github/conflict-is-ok.yml", event: "push",
		payload: map[string]any{"ref": "refs/tags/v1.4.2"},
		seed: func(t *testing.T, w *actWorld) {
			_ = w.emu.PutImage(actInstance, "release", "app", "v1.4.2", actOther)
		},
		jobs: map[string]string{"promote": "success"},
	},
	{
		name: "a release that cannot start", workflow: "examples/github/conflict-is-ok.yml", event: "push",
		payload: map[string]any{"ref": "refs/tags/v1.4.2"},
		seed: func(t *testing.T, w *actWorld) {
			w.emu.Deny(refID, "DuplicateImage")
		},
		jobs: map[string]string{"promote": "failure"},
		logs: map[string][]string{"promote": {"promotion failed: permission"}},
	},
	{
		name: "keyless", workflow: "examples/github/keyless.yml", event: "workflow_dispatch",
		jobs: map[string]string{"promote": "success"},
		after: func(t *testing.T, w *actWorld) {
			if len(w.emu.IssuedCredentials()) == 0 {
				t.Error("no credentials were issued: the run was not keyless")
			}
		},
	},
	{
		name: "a matrix of services", workflow: "examples/github/matrix.yml", event: "workflow_dispatch",
		payload: map[string]any{"inputs": map[string]any{"version": "1.4.2"}},
		jobs:    map[string]string{"promote": "success"},
		after: func(t *testing.T, w *actWorld) {
			for _, s := range services {
				if got := w.emu.Tags(actInstance, "release", s); !slices.Contains(got, "prd") || !slices.Contains(got, "v1.4.2") {
					t.Errorf("release/%s has %v", s, got)
				}
			}
		},
	},
	{
		name: "attested", workflow: "examples/github/attest.yml", event: "workflow_dispatch",
		seed: func(t *testing.T, w *actWorld) {
			_ = w.emu.PutImage(actInstance, "develop", "app", "sha256-"+strings.TrimPrefix(actDigest, "sha256:")+".sig", actOther)
		},
		jobs: map[string]string{"promote": "success"},
		logs: map[string][]string{"promote": {"stand-in: attested acme.tencentcloudcr.com/release/app@" + actDigest + " with https://github.com/tcr-promote/tcr-promote/promotion/v1"}},
	},
	{
		name: "attested: unsigned", workflow: "examples/github/attest.yml", event: "workflow_dispatch",
		jobs: map[string]string{"promote": "failure"},
		after: func(t *testing.T, w *actWorld) {
			if _, ok := w.emu.Lookup(actInstance, "release", "app", "prd"); ok {
				t.Error("an unsigned image was promoted")
			}
		},
	},
	{
		name: "promotion file: plan on a pull request", workflow: "examples/github/promotion-file.yml", event: "pull_request",
		payload: map[string]any{"pull_request": map[string]any{"number": 7, "head": map[string]any{"ref": "change"}, "base": map[string]any{"ref": "main"}}},
		jobs:    map[string]string{"plan": "success"},
		logs:    map[string][]string{"plan": {"gh stand-in: comment posted:", "release/app:prd"}},
		after: func(t *testing.T, w *actWorld) {
			if _, ok := w.emu.Lookup(actInstance, "release", "app", "prd"); ok {
				t.Error("a plan copied")
			}
		},
	},
	{
		name: "promotion file: applied on merge", workflow: "examples/github/promotion-file.yml", event: "push",
		payload: map[string]any{"ref": "refs/heads/main"},
		jobs:    map[string]string{"apply": "success"},
		after: func(t *testing.T, w *actWorld) {
			for _, tag := range []string{"prd", "v1.4.2"} {
				if _, ok := w.emu.Lookup(actInstance, "release", "app", tag); !ok {
					t.Errorf("release/app:%s was not applied", tag)
				}
			}
		},
	},
	{
		name: "promotion file: a nightly check finds drift", workflow: "examples/github/promotion-file.yml", event: "schedule",
		jobs: map[string]string{"check": "failure"},
	},
	{
		name: "the composite action, spelt with hyphens", workflow: "testdata/act/composite.yml", event: "workflow_dispatch", composite: true,
		jobs: map[string]string{"promote": "success"},
		logs: map[string][]string{"promote": {"dry run ok", "promoted=false"}},
		after: func(t *testing.T, w *actWorld) {
			if _, ok := w.emu.Lookup(actInstance, "release", "app", "prd"); ok {
				t.Error("dry-run: true, spelt with a hyphen, copied")
			}
		},
	},
}

// TestRunnerExamples runs every example workflow under act.
func TestRunnerExamples(t *testing.T) {
	act := os.Getenv("TCR_ACT")
	if act == "" {
		t.Fatal("TCR_ACT is not set: run scripts/runner.sh")
	}
	files, _ := filepath.Glob("examples/github/*.yml")
	for _, f := range files {
		if !slices.ContainsFunc(examples, func(e example) bool { return e.workflow == f }) {
			t.Errorf("%s is not run under act", f)
		}
	}
	root, _ := os.Getwd()
	composite := pinnedComposite(t, root)
	// Two at a time: each run starts containers, and the machine has two
	// cores.
	// act names containers and volumes after the workflow and the job:
	// two runs of one workflow at once would share them.
	sem := make(chan struct{}, 2)
	locks := map[string]*sync.Mutex{}
	for _, ex := range examples {
		if locks[ex.workflow] == nil {
			locks[ex.workflow] = &sync.Mutex{}
		}
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			locks[ex.workflow].Lock()
			defer locks[ex.workflow].Unlock()
			sem <- struct{}{}
			defer func() { <-sem }()
			w := newActWorld(t)
			action := root
			if ex.composite {
				action = composite.dir
				w.release = serve(t, composite.server)
			}
			if ex.seed != nil {
				ex.seed(t, w)
			}
			got := runAct(t, act, root, action, w, ex)
			for job, want := range ex.jobs {
				if got.results[job] != want {
					t.Errorf("job %s: %q, want %s\n%s", job, got.results[job], want, got.all)
				}
			}
			for job, subs := range ex.logs {
				for _, s := range subs {
					if !strings.Contains(got.logs[job], s) {
						t.Errorf("job %s's log lacks %q\n%s", job, s, got.logs[job])
					}
				}
			}
			// What the log shows (act's JSON also carries each
			// command's raw text, ::add-mask:: included).
			shown := strings.Join(slices.Collect(maps.Values(got.logs)), "\n")
			for _, secret := range []string{refKey, actToken} {
				if strings.Contains(shown, secret) {
					t.Errorf("a secret reached the log: %q", secret)
				}
			}
			if ex.after != nil {
				ex.after(t, w)
			}
		})
	}
}

// compositeRelease is the composite action pinned to this binary, as the
// release pins it, and a server that hands the binary out as the
// release's download.
type compositeRelease struct {
	dir    string
	server http.Handler
}

func pinnedComposite(t *testing.T, root string) compositeRelease {
	t.Helper()
	const version = "v0.0.0"
	b, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	dir := t.TempDir()
	for _, f := range []string{"action.yml", "composite/action.yml", "composite/run.sh", "scripts/pin-release.sh"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, filepath.Join(root, f), filepath.Join(dir, f), 0o755)
	}
	var sums strings.Builder
	for _, target := range []string{"linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64", "windows-amd64.exe", "windows-arm64.exe"} {
		s := strings.Repeat("0", 64)
		if target == "linux-amd64" {
			s = hex.EncodeToString(sum[:])
		}
		fmt.Fprintf(&sums, "%s  tcr-promote-%s-%s\n", s, version, target)
	}
	sumsFile := filepath.Join(dir, "SHA256SUMS")
	if err := os.WriteFile(sumsFile, []byte(sums.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("bash", filepath.Join(dir, "scripts/pin-release.sh"), version, "sha256:"+strings.Repeat("a", 64), sumsFile).CombinedOutput(); err != nil {
		t.Fatalf("pin-release: %v\n%s", err, out)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/"+version+"/tcr-promote-"+version+"-linux-amd64", func(w http.ResponseWriter, _ *http.Request) { w.Write(b) })
	return compositeRelease{dir: dir, server: mux}
}

// runAct runs one workflow for one event in a fresh repository holding
// the promotion file, and reads act's JSON log.
func runAct(t *testing.T, act, root, action string, w *actWorld, ex example) actRun {
	t.Helper()
	// Not t.TempDir: act hands these paths to podman as mount options,
	// where the commas of a test's name would split them.
	repo, meta := safeTempDir(t), safeTempDir(t)
	copyFile(t, filepath.Join(root, "examples/promotion-file/promotions.yaml"), filepath.Join(repo, "promotions.yaml"), 0o644)
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("remote", "add", "origin", "https://github.com/acme/app.git")
	git("add", ".")
	git("commit", "-q", "-m", "promotions")
	sha, err := exec.Command("git", "-C", repo, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	// The build job labels what it builds with its commit.
	w.emu.SetArtifact(actDigest, tcremu.Artifact{Platforms: []string{"linux/amd64"}, Labels: map[string]string{"org.opencontainers.image.revision": strings.TrimSpace(string(sha))}})

	payload, _ := json.Marshal(cmpOrEmpty(ex.payload))
	event := filepath.Join(meta, "event.json")
	secrets := filepath.Join(meta, "secrets")
	_ = os.WriteFile(event, payload, 0o644)
	secretLines := "TENCENTCLOUD_SECRET_ID=" + refID + "\nTENCENTCLOUD_SECRET_KEY=" + refKey + "\nTCR_USERNAME=robot\nTCR_PASSWORD=robot-password\n"
	if store := os.Getenv("TCR_TEST_REDIS"); store != "" {
		secretLines += "TCR_RATE_STORE=" + store + "\n" // the matrix's shared bucket
	}
	_ = os.WriteFile(secrets, []byte(secretLines), 0o600)
	job := os.Getenv("TCR_ACT_JOB_IMAGE")
	standins := filepath.Join(root, "testdata/act/standins")
	args := []string{
		ex.event, "-W", filepath.Join(root, ex.workflow), "-C", repo, "-e", event, "--secret-file", secrets,
		"-P", "ubuntu-latest=" + job, "-P", "self-hosted=" + job,
		"--pull=false", "--action-offline-mode", "--rm", "--json", "--no-cache-server", "--container-daemon-socket", "-",
		"--local-repository", "tcr-promote/tcr-promote@v1=" + action,
		"--local-repository", "docker/login-action@v3=" + filepath.Join(standins, "login"),
		"--local-repository", "docker/build-push-action@v6=" + filepath.Join(standins, "build-push"),
		"--local-repository", "actions/attest@v2=" + filepath.Join(standins, "attest"),
		"--env", "PLUGIN_ENDPOINT=" + w.endpoint, "--env", "PLUGIN_STS_ENDPOINT=" + w.endpoint, "--env", "PLUGIN_REGISTRY_ENDPOINT=" + w.registry,
		"--env", "ACTIONS_ID_TOKEN_REQUEST_URL=" + w.tokenURL, "--env", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + actBearer,
		"--env", "STANDIN_DIGEST=" + actDigest,
	}
	if w.release != "" {
		args = append(args, "--env", "TCR_PROMOTE_DOWNLOAD_URL="+w.release)
	}
	cmd := exec.Command(act, args...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(meta, "cache"))
	out, _ := cmd.CombinedOutput()
	return parseActLog(string(out))
}

// parseActLog reads act's JSON lines: each job's result, and what each
// job's steps printed.
func parseActLog(text string) actRun {
	r := actRun{results: map[string]string{}, logs: map[string]string{}, all: text}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			JobID     string `json:"jobID"`
			Msg       string `json:"msg"`
			JobResult string `json:"jobResult"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		if line.JobResult != "" {
			// A matrix job is one job id with many runs: any failure
			// fails it.
			if r.results[line.JobID] != "failure" {
				r.results[line.JobID] = line.JobResult
			}
		}
		r.logs[line.JobID] += line.Msg + "\n"
	}
	return r
}

func safeTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "act-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// cmpOrEmpty: act needs an event object, even an empty one.
func cmpOrEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
