package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/internal/runnerfiles"
	"gopkg.in/yaml.v3"
)

// TestPinRelease runs scripts/pin-release.sh on copies of the action files:
// action.yml names the image by version and digest, composite/action.yml
// the version and every binary's SHA-256.
func TestPinRelease(t *testing.T) {
	t.Parallel()
	const version, digest = "v1.2.3", "sha256:4444444444444444444444444444444444444444444444444444444444444444"
	root := t.TempDir()
	for _, f := range []string{"action.yml", "composite/action.yml", "scripts/pin-release.sh"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, f, filepath.Join(root, f), 0o755)
	}
	targets := []string{"linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64", "windows-amd64", "windows-arm64"}
	var sums strings.Builder
	want := map[string]string{"TCR_PROMOTE_VERSION": version}
	for i, target := range targets {
		sum := strings.Repeat(fmt.Sprint(i), 64)
		ext := ""
		if strings.HasPrefix(target, "windows") {
			ext = ".exe"
		}
		fmt.Fprintf(&sums, "%s  ./tcr-promote-%s-%s%s\n", sum, version, target, ext)
		want["TCR_PROMOTE_SHA256_"+strings.ToUpper(strings.ReplaceAll(target, "-", "_"))] = sum
	}
	sumsFile := filepath.Join(root, "SHA256SUMS")
	if err := os.WriteFile(sumsFile, []byte(sums.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("bash", filepath.Join(root, "scripts/pin-release.sh"), version, digest, sumsFile).CombinedOutput(); err != nil {
		t.Fatalf("pin-release: %v\n%s", err, out)
	}
	var action struct {
		Runs struct{ Image string } `yaml:"runs"`
	}
	readYAML(t, filepath.Join(root, "action.yml"), &action)
	if action.Runs.Image != "docker://ghcr.io/tcr-promote/tcr-promote:"+version+"@"+digest {
		t.Errorf("action.yml runs.image = %q", action.Runs.Image)
	}
	var composite struct {
		Runs struct {
			Steps []struct {
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	readYAML(t, filepath.Join(root, "composite/action.yml"), &composite)
	got := map[string]string{}
	for k, v := range composite.Runs.Steps[0].Env {
		if strings.HasPrefix(k, "TCR_PROMOTE_") && k != "TCR_PROMOTE_INPUTS" {
			got[k] = v
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("composite/action.yml pins (-want +got):\n%s", diff)
	}
	// A release whose sums lack a binary is not pinned half.
	_ = os.WriteFile(sumsFile, []byte(strings.SplitN(sums.String(), "\n", 2)[1]), 0o644)
	if out, err := exec.Command("bash", filepath.Join(root, "scripts/pin-release.sh"), version, digest, sumsFile).CombinedOutput(); err == nil {
		t.Errorf("pinned without the linux-amd64 sum:\n%s", out)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestCompositeRunScript runs composite/run.sh as the composite action
// does on a Linux x64 runner: it downloads the binary from a release
// server, checks the pinned SHA-256 and runs it with the INPUT_ variables.
func TestCompositeRunScript(t *testing.T) {
	t.Parallel()
	const version = "v0.0.0"
	bin := binary(t)
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	releases := http.NewServeMux()
	downloads := 0
	releases.HandleFunc("/"+version+"/tcr-promote-"+version+"-linux-amd64", func(w http.ResponseWriter, r *http.Request) {
		downloads++
		_, _ = w.Write(b)
	})
	srv := httptest.NewServer(releases)
	t.Cleanup(srv.Close)
	emu, url := world(t)

	run := func(t *testing.T, pinned, version string) (int, string, map[string]string) {
		dir := t.TempDir()
		out := filepath.Join(dir, "github_output")
		cmd := exec.Command("bash", "composite/run.sh")
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "RUNNER_TEMP=" + dir,
			"TCR_PROMOTE_VERSION=" + version, "TCR_PROMOTE_SHA256_LINUX_AMD64=" + pinned, "TCR_PROMOTE_DOWNLOAD_URL=" + srv.URL,
			"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + out,
			"INPUT_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg", "INPUT_DESTINATION_IMAGE=release/app:" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")),
			"INPUT_ENDPOINT=" + url, "INPUT_SECRET_ID=" + refID, "INPUT_SECRET_KEY=" + refKey,
		}
		text, _ := cmd.CombinedOutput()
		outputs := map[string]string{}
		if b, err := os.ReadFile(out); err == nil {
			outputs, _ = runnerfiles.ParseGitHubOutput(string(b))
		}
		return cmd.ProcessState.ExitCode(), string(text), outputs
	}
	t.Run("pinned", func(t *testing.T) {
		code, text, outputs := run(t, hex.EncodeToString(sum[:]), version)
		if code != 0 || outputs["promoted"] != "true" || outputs["digest"] != refDigest {
			t.Errorf("exit %d, outputs %v\n%s", code, outputs, text)
		}
	})
	t.Run("another binary", func(t *testing.T) {
		before := len(emu.Requests())
		code, text, outputs := run(t, strings.Repeat("0", 64), version)
		if code != 1 || !strings.Contains(text, "not the "+strings.Repeat("0", 64)+" this release pinned") || len(emu.Requests()) != before || outputs["error_code"] != "ClientError.ChecksumMismatch" {
			t.Errorf("exit %d, want 1 without running it\n%s", code, text)
		}
	})
	t.Run("not a release", func(t *testing.T) {
		code, text, outputs := run(t, "", "dev")
		if code != 64 || !strings.Contains(text, "composite@v1") || outputs["error_class"] != "usage" {
			t.Errorf("exit %d, outputs %v, want 64 pointing at a release\n%s", code, outputs, text)
		}
	})
	t.Run("the download fails", func(t *testing.T) {
		code, text, outputs := run(t, hex.EncodeToString(sum[:]), "v9.9.9") // the server has no such release
		if code != 75 || !strings.Contains(text, "::error title=tcr-promote: temporary::downloading tcr-promote-v9.9.9-linux-amd64") ||
			outputs["error_code"] != "ClientError.DownloadFailed" || outputs["error_class"] != "temporary" || outputs["promoted"] != "false" {
			t.Errorf("exit %d, outputs %v, want 75 with an annotation and the outputs\n%s", code, outputs, text)
		}
	})
}

// TestOneGoAndPinnedImages: the release, the image and the GitLab job
// build with the one Go patch go.mod's toolchain line states, and every
// base image is pinned — by digest, its tag beside — or, where no digest
// can be, by an exact version; nothing follows :latest.
func TestOneGoAndPinnedImages(t *testing.T) {
	t.Parallel()
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	toolchain := regexp.MustCompile(`(?m)^toolchain go(\d+\.\d+\.\d+)$`).FindStringSubmatch(read("go.mod"))
	if toolchain == nil {
		t.Fatal("go.mod states no toolchain (go1.x.y)")
	}
	goImage := regexp.MustCompile(`golang:(\d+\.\d+\.\d+)-bookworm@sha256:[0-9a-f]{64}`)
	for _, f := range []string{"Dockerfile", ".gitlab-ci.yml"} {
		m := goImage.FindStringSubmatch(read(f))
		if m == nil || m[1] != toolchain[1] {
			t.Errorf("%s builds with %v, not golang:%s pinned by digest", f, m, toolchain[1])
		}
	}
	for _, f := range []string{".github/workflows/release.yml", ".github/workflows/ci.yml"} {
		if s := read(f); !strings.Contains(s, "go-version-file: go.mod") || strings.Contains(s, "go-version:") {
			t.Errorf("%s does not take Go from go.mod's toolchain", f)
		}
	}
	pinned := regexp.MustCompile(`^[a-z0-9./_-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$`)
	for _, m := range regexp.MustCompile(`(?m)^ARG [A-Z_]+_IMAGE=(\S+)$`).FindAllStringSubmatch(read("Dockerfile"), -1) {
		if !pinned.MatchString(m[1]) {
			t.Errorf("Dockerfile: %s is not pinned by digest with its tag", m[1])
		}
	}
	if df := read("Dockerfile"); regexp.MustCompile(`(?m)^FROM (--platform=\S+ )?[a-z][^$ ]*( |$)`).MatchString(strings.ReplaceAll(df, "FROM scratch", "")) {
		t.Errorf("Dockerfile: a FROM names an image directly, not through a pinned ARG")
	}
	for _, m := range regexp.MustCompile(`(?m)^\s+image: (\S+)`).FindAllStringSubmatch(read(".gitlab-ci.yml"), -1) {
		exact := regexp.MustCompile(`:v?\d+\.\d+\.\d+$`).MatchString(m[1])
		if !pinned.MatchString(m[1]) && !exact || strings.HasSuffix(m[1], ":latest") {
			t.Errorf(".gitlab-ci.yml: image %s is neither pinned by digest nor an exact version", m[1])
		}
	}
}
