//go:build container

// The container tests run the image that scripts/image.sh built, with
// podman, the way each CI runs it, against the emulator on the host
// network. They need the images first:
//
//	scripts/image.sh && TARGET=gitlab scripts/image.sh
//	go test -tags container -run Container .
package main

import (
	"archive/tar"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/runnerfiles"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

const (
	image       = "localhost/tcr-promote:dev"
	gitlabImage = "localhost/tcr-promote:dev-gitlab"
)

// podmanFlags are what this sandbox needs (cgroupfs, runc, ulimits); the
// host network reaches the emulator on loopback.
var podmanRun = []string{"--cgroup-manager=cgroupfs", "run", "--runtime", "runc",
	"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "host", "--rm"}

func podman(args ...string) *exec.Cmd { return exec.Command("podman", args...) }

// containerWorld is the emulator on the host's loopback, as CI runs it
// beside a container on the host network.
func containerWorld(t *testing.T, opts ...tcremu.Option) (*tcremu.Emulator, string) {
	t.Helper()
	emu := tcremu.New(append([]tcremu.Option{tcremu.WithCredential(refID, refKey)}, opts...)...)
	emu.AddInstance("tcr-sh", "ap-shanghai", "acme.tencentcloudcr.com")
	_ = emu.AddNamespace("tcr-sh", "release")
	_ = emu.PutImage("tcr-sh", "develop", "app", "stg", refDigest)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	worldRegistries.Store(srv.URL, registryOf(t, emu, "tcr-sh"))
	return emu, srv.URL
}

// registryEnv points a container at the registry of the world whose API
// is at endpoint (host networking: loopback is shared).
func registryEnv(endpoint string) string {
	reg, _ := worldRegistries.Load(endpoint)
	return "PLUGIN_REGISTRY_ENDPOINT=" + reg.(string)
}

// env turns settings into podman -e flags.
func env(vars ...string) []string {
	var out []string
	for _, v := range vars {
		out = append(out, "-e", v)
	}
	return out
}

func runContainer(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := podman(append(slices.Clone(podmanRun), args...)...)
	out, _ := cmd.CombinedOutput()
	return cmd.ProcessState.ExitCode(), string(out)
}

// TestContainerGitHub runs the image as GitHub's runner runs a Docker
// action: the workspace and file commands mounted under /github, the
// working directory /github/workspace, INPUT_ variables (hyphenated ones
// too), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
func TestContainerGitHub(t *testing.T) {
	t.Parallel()
	emu, url := containerWorld(t)
	root := t.TempDir()
	for _, d := range []string{"workspace", "file_commands", "home", "workflow"} {
		_ = os.MkdirAll(filepath.Join(root, d), 0o777)
	}
	code, out := runContainer(t, append([]string{
		"--workdir", "/github/workspace",
		"-v", root + "/workspace:/github/workspace", "-v", root + "/file_commands:/github/file_commands",
		"-v", root + "/home:/github/home", "-v", root + "/workflow:/github/workflow"},
		append(env("GITHUB_ACTIONS=true", "CI=true", "HOME=/github/home",
			"GITHUB_OUTPUT=/github/file_commands/set_output_1", "GITHUB_STEP_SUMMARY=/github/file_commands/step_summary_1",
			"INPUT_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg", "INPUT_DESTINATION-IMAGE=release/app:prd",
			"INPUT_ENDPOINT="+url, "INPUT_SECRET_ID="+refID, "INPUT_SECRET_KEY="+refKey,
			"INPUT_OVERRIDE=", "INPUT_DRY_RUN="), image)...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(root, "file_commands/set_output_1"))
	if err != nil {
		t.Fatal(err)
	}
	outputs, err := runnerfiles.ParseGitHubOutput(string(b))
	if err != nil || outputs["image"] != "acme.tencentcloudcr.com/release/app:prd@"+refDigest || outputs["promoted"] != "true" {
		t.Errorf("GITHUB_OUTPUT: %v %v", outputs, err)
	}
	if s, _ := os.ReadFile(filepath.Join(root, "file_commands/step_summary_1")); !strings.Contains(string(s), "✅ promoted") {
		t.Errorf("job summary: %q", s)
	}
	if !strings.HasPrefix(out, "::add-mask::"+refKey) {
		t.Errorf("the secret was not masked first:\n%s", out)
	}
	if img, ok := emu.Lookup("tcr-sh", "release", "app", "prd"); !ok || img.Digest != refDigest {
		t.Errorf("release/app:prd = %v %t", img, ok)
	}
}

// TestContainerPlugin runs the image as Drone, Woodpecker and CNB run a
// plugin: PLUGIN_ settings, the workspace as the working directory, an
// output_file relative to it; on CNB, the ##[set-output] lines.
func TestContainerPlugin(t *testing.T) {
	t.Parallel()
	for _, ci := range []struct{ name, workspace string }{
		{"Drone", "/drone/src"}, {"Woodpecker", "/woodpecker/src/git.example.com/acme/app"}, {"CNB", "/workspace"},
	} {
		t.Run(ci.name, func(t *testing.T) {
			t.Parallel()
			_, url := containerWorld(t)
			ws := t.TempDir()
			vars := []string{"CI=true", "PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE=release/app:prd",
				"PLUGIN_OUTPUT_FILE=promote.env", "PLUGIN_ENDPOINT=" + url, registryEnv(url), "PLUGIN_SECRET_ID=" + refID, "PLUGIN_SECRET_KEY=" + refKey}
			if ci.name == "CNB" {
				vars = append(vars, "CNB=true", "CNB_REPO_SLUG=acme/app", "CNB_BUILD_ID=cnb-1")
			}
			code, out := runContainer(t, append([]string{"-w", ci.workspace, "-v", ws + ":" + ci.workspace}, append(env(vars...), image)...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if got := readDotenvFile(t, filepath.Join(ws, "promote.env")); got["DIGEST"] != refDigest || got["PROMOTED"] != "true" {
				t.Errorf("promote.env in the workspace: %v", got)
			}
			lines := strings.Contains(out, "##[set-output digest="+refDigest+"]")
			if lines != (ci.name == "CNB") {
				t.Errorf("##[set-output] lines: %t on %s\n%s", lines, ci.name, out)
			}
		})
	}
}

// TestContainerGitLab runs the gitlab target as GitLab's Docker executor
// does: entrypoint [""], the script run by sh in the project directory.
func TestContainerGitLab(t *testing.T) {
	t.Parallel()
	_, url := containerWorld(t)
	project := t.TempDir()
	code, out := runContainer(t, append([]string{"--entrypoint", "", "-w", "/builds/acme/app", "-v", project + ":/builds/acme/app"},
		append(env("GITLAB_CI=true", "PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE=release/app:prd",
			"PLUGIN_OUTPUT_FILE=tcr-promote.env", "PLUGIN_ENDPOINT="+url, registryEnv(url), "TENCENTCLOUD_SECRET_ID="+refID, "TENCENTCLOUD_SECRET_KEY="+refKey),
			gitlabImage, "sh", "-c", "command -v grep >/dev/null && tcr-promote")...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if got := readDotenvFile(t, filepath.Join(project, "tcr-promote.env")); got["PROMOTED"] != "true" || got["IMAGE"] == "" {
		t.Errorf("the dotenv report: %v", got)
	}
}

// TestContainerTekton runs the image as a Tekton step: results written
// to /tekton/results, one file each.
func TestContainerTekton(t *testing.T) {
	t.Parallel()
	_, url := containerWorld(t)
	results := t.TempDir()
	code, out := runContainer(t, append([]string{"-v", results + ":/tekton/results"},
		append(env("PLUGIN_OUTPUT_DIR=/tekton/results", "PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg",
			"PLUGIN_DESTINATION_IMAGE=release/app:prd", "PLUGIN_ENDPOINT="+url, registryEnv(url), "PLUGIN_SECRET_ID="+refID, "PLUGIN_SECRET_KEY="+refKey), image)...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for name, want := range map[string]string{"IMAGE_DIGEST": refDigest, "IMAGE_URL": "acme.tencentcloudcr.com/release/app:prd", "promoted": "true"} {
		if b, _ := os.ReadFile(filepath.Join(results, name)); string(b) != want {
			t.Errorf("/tekton/results/%s = %q, want %q", name, b, want)
		}
	}
}

// TestContainerStop: `podman stop` sends SIGTERM to PID 1, the binary,
// during a slow call. The step stops at once — exit 1 and
// ClientError.Canceled with its outputs written — long before podman's
// SIGKILL (which would be exit 137).
func TestContainerStop(t *testing.T) {
	t.Parallel()
	emu, url := containerWorld(t)
	emu.Inject(tcremu.Fault{Action: "DuplicateImage", Delay: time.Minute})
	ws := t.TempDir()
	name := "tcr-promote-stop-" + strings.ReplaceAll(filepath.Base(ws), "_", "-")
	args := append(slices.Clone(podmanRun), "-d", "--name", name, "-v", ws+":/ws", "-w", "/ws")
	args = append(args, env("PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE=release/app:prd",
		"PLUGIN_OUTPUT_FILE=promote.env", "PLUGIN_ENDPOINT="+url, registryEnv(url), "PLUGIN_SECRET_ID="+refID, "PLUGIN_SECRET_KEY="+refKey)...)
	args = slices.DeleteFunc(append(args, image), func(a string) bool { return a == "--rm" }) // keep it to read its exit code
	if out, err := podman(args...).CombinedOutput(); err != nil {
		t.Fatalf("podman run: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = podman("--cgroup-manager=cgroupfs", "rm", "-f", name).Run() })
	for deadline := time.Now().Add(30 * time.Second); emu.Count("DuplicateImage", "") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			logs, _ := podman("logs", name).CombinedOutput()
			t.Fatalf("the copy never started\n%s", logs)
		}
	}
	start := time.Now()
	if out, err := podman("--cgroup-manager=cgroupfs", "stop", "-t", "10", name).CombinedOutput(); err != nil {
		t.Fatalf("podman stop: %v\n%s", err, out)
	}
	t.Logf("stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	state, _ := podman("inspect", "--format", "{{.State.ExitCode}}", name).Output()
	if got := strings.TrimSpace(string(state)); got != "1" {
		logs, _ := podman("logs", name).CombinedOutput()
		t.Errorf("exit code %s, want 1 (137 is podman's SIGKILL after its grace period)\n%s", got, logs)
	}
	if got := readDotenvFile(t, filepath.Join(ws, "promote.env")); got["ERROR_CODE"] != "ClientError.Canceled" || got["PROMOTED"] != "false" {
		t.Errorf("outputs after SIGTERM: %v", got)
	}
}

// TestContainerImage checks the default image's configuration and
// content: the entrypoint, root, the OCI labels, and nothing but the
// binary and the CA bundle — no shell.
func TestContainerImage(t *testing.T) {
	t.Parallel()
	out, err := podman("image", "inspect", image).Output()
	if err != nil {
		t.Fatalf("podman image inspect: %v (build it with scripts/image.sh)", err)
	}
	var info []struct {
		Size   int64
		Config struct {
			Entrypoint []string
			User       string
			Labels     map[string]string
		}
	}
	if err := json.Unmarshal(out, &info); err != nil || len(info) != 1 {
		t.Fatalf("inspect: %v", err)
	}
	cfg := info[0].Config
	if !slices.Equal(cfg.Entrypoint, []string{"/tcr-promote"}) {
		t.Errorf("entrypoint %q", cfg.Entrypoint)
	}
	if cfg.User != "" && cfg.User != "0" && cfg.User != "root" {
		t.Errorf("user %q: GitHub needs root to write $GITHUB_OUTPUT", cfg.User)
	}
	for _, label := range []string{"org.opencontainers.image.source", "org.opencontainers.image.version", "org.opencontainers.image.licenses", "org.opencontainers.image.description"} {
		if cfg.Labels[label] == "" {
			t.Errorf("no label %s", label)
		}
	}
	if cfg.Labels["org.opencontainers.image.licenses"] != "Apache-2.0" {
		t.Errorf("licenses label %q", cfg.Labels["org.opencontainers.image.licenses"])
	}
	// 13.5 MB since copies across instances: go-containerregistry's
	// write path and the compression it links cost about 400 KB.
	if info[0].Size > 13_500_000 {
		t.Errorf("the image is %d bytes, over 13.5 MB", info[0].Size)
	}
	t.Logf("%s: %d bytes", image, info[0].Size)
	near(t, "the default image", documentedMB(t, `the default image, built by podman, \*\*([\d.]+) MB\*\*`), info[0].Size)
	if out, err := podman("image", "inspect", "--format", "{{.Size}}", gitlabImage).Output(); err == nil {
		size, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		near(t, "the GitLab image", documentedMB(t, `the GitLab image \*\*([\d.]+) MB\*\*`), size)
	}

	// Its files: export a container's filesystem and list it.
	id, err := podman("--cgroup-manager=cgroupfs", "create", image).Output()
	if err != nil {
		t.Fatal(err)
	}
	container := strings.TrimSpace(string(id))
	t.Cleanup(func() { _ = podman("--cgroup-manager=cgroupfs", "rm", "-f", container).Run() })
	cmd := podman("export", container)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var files []string
	tr := tar.NewReader(stdout)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeDir {
			files = append(files, "/"+strings.TrimPrefix(h.Name, "/"))
		}
	}
	_ = cmd.Wait()
	// podman adds the mount points it manages itself.
	files = slices.DeleteFunc(files, func(f string) bool {
		return slices.Contains([]string{"/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/run/.containerenv"}, f)
	})
	slices.Sort(files)
	if want := []string{"/etc/ssl/certs/ca-certificates.crt", "/tcr-promote"}; !slices.Equal(files, want) {
		t.Errorf("the image holds %q, want only %q (no shell)", files, want)
	}
}

// TestContainerDemo runs `demo`, which --help advertises, in both images:
// it needs a writable /tmp, which scratch alone has not.
func TestContainerDemo(t *testing.T) {
	t.Parallel()
	for _, img := range []string{image, gitlabImage} {
		t.Run(img, func(t *testing.T) {
			t.Parallel()
			args := []string{img, "demo"}
			if img == gitlabImage {
				args = []string{"--entrypoint", "/usr/local/bin/tcr-promote", img, "demo"}
			}
			code, out := runContainer(t, args...)
			if code != 0 || !strings.Contains(out, "emulator now has release/app:prd: true") {
				t.Errorf("demo in %s: exit %d\n%s", img, code, out)
			}
		})
	}
}

// TestContainerGitLabNote runs the GitLab example's after_script, as
// written, in the -gitlab image: the plan reaches the notes API whole,
// with busybox's tools only.
func TestContainerGitLabNote(t *testing.T) {
	t.Parallel()
	var ci struct {
		Plan struct {
			AfterScript []string `yaml:"after_script"`
		} `yaml:"plan"`
	}
	readYAML(t, "examples/gitlab/promotion-file.gitlab-ci.yml", &ci)
	if len(ci.Plan.AfterScript) != 1 {
		t.Fatalf("after_script: %q", ci.Plan.AfterScript)
	}
	plan := "## Plan\n\n| a | b |\n|---|---|\n| create & move = 100% | `x` → \"y\" |\n"
	got := make(chan url.Values, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("PRIVATE-TOKEN") != "note-token" || r.URL.Path != "/api/v4/projects/12/merge_requests/7/notes" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		_ = r.ParseForm()
		got <- r.PostForm
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	project := t.TempDir()
	if err := os.WriteFile(filepath.Join(project, "plan.md"), []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runContainer(t, append([]string{"--entrypoint", "", "-w", "/builds/acme/app", "-v", project + ":/builds/acme/app"},
		append(env("CI_API_V4_URL="+srv.URL+"/api/v4", "CI_PROJECT_ID=12", "CI_MERGE_REQUEST_IID=7", "TCR_PLAN_NOTE_TOKEN=note-token"),
			gitlabImage, "sh", "-c", ci.Plan.AfterScript[0])...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	select {
	case form := <-got:
		if form.Get("body") != plan {
			t.Errorf("the note's body = %q, want %q", form.Get("body"), plan)
		}
	default:
		t.Error("no note was posted")
	}
}
