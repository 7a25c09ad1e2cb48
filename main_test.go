package main

import (
	"debug/elf"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/redistest"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	var err error
	if buildDir, err = os.MkdirTemp("", "tcr-promote-bin"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	redistest.Stop()
	os.RemoveAll(buildDir)
	os.Exit(code)
}

// binary builds, once, the static binary exactly as the Dockerfile does.
func binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		binPath = filepath.Join(buildDir, "tcr-promote")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X github.com/tcr-promote/tcr-promote/plugin.Version=v0.0.0-test", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// TestDemo runs the README's first command: a real promotion by the real
// binary, over HTTP, against the emulator.
func TestDemo(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	out, err := exec.Command(bin, "demo").CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"promoted develop/app:stg → release/app:prd in tcr-demo", "REQUEST_ID=", "emulator now has release/app:prd: true sha256:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "demo-secret-key") {
		t.Errorf("demo printed the secret key:\n%s", out)
	}
	v, err := exec.Command(bin, "--version").Output()
	// The version stamped, then the commit and time where the build saw
	// them (a build from a git checkout), then Go's.
	if err != nil || !strings.HasPrefix(string(v), "tcr-promote v0.0.0-test") || !strings.Contains(string(v), ", go1.") {
		t.Errorf("--version = %q, %v", v, err)
	}
}

// TestStaticBinaryInEmptyRoot proves the image's premise without Docker:
// the binary alone, with a CA bundle, in an otherwise empty root — what
// FROM scratch gives it — promotes over HTTPS.
func TestStaticBinaryInEmptyRoot(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary asks for a dynamic loader: it would not start FROM scratch")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %v", libs)
	}
	f.Close()
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}

	const id, key, digest = "AKIDchroot", "chroot-secret", "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	emu := tcremu.New(tcremu.WithCredential(id, key))
	emu.AddInstance("tcr-1", "ap-guangzhou", "acme.tencentcloudcr.com")
	_ = emu.AddNamespace("tcr-1", "release")
	_ = emu.PutImage("tcr-1", "develop", "app", "stg", digest)
	srv := httptest.NewTLSServer(emu)
	defer srv.Close()

	root := t.TempDir()
	certs := filepath.Join(root, "etc", "ssl", "certs")
	if err := os.MkdirAll(certs, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, bin, filepath.Join(root, "tcr-promote"), 0o755)
	testCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(certs, "test-ca.pem"), testCA, 0o644); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 2 {
		t.Fatalf("root holds %d entries, want only the binary and etc/", len(entries))
	}

	var out []byte
	// A child another test forks while the binary is being written holds
	// it open for writing a moment: exec then fails with ETXTBSY, as Go's
	// own tests of built binaries know. Only that is tried again.
	for attempt := 0; ; attempt++ {
		cmd := exec.Command("/tcr-promote")
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
		cmd.Env = []string{
			"SSL_CERT_FILE=/etc/ssl/certs/test-ca.pem",
			"PLUGIN_ENDPOINT=" + srv.URL, // https://127.0.0.1:port
			"PLUGIN_REGISTRY_ENDPOINT=" + registryOf(t, emu, "tcr-1"),
			"PLUGIN_REGISTRY_ID=tcr-1", "PLUGIN_REGION=ap-guangzhou",
			"PLUGIN_SOURCE_NAMESPACE=develop", "PLUGIN_SOURCE_REPO=app", "PLUGIN_SOURCE_REFERENCE=stg",
			"PLUGIN_DESTINATION_NAMESPACE=release", "PLUGIN_DESTINATION_TAG=prd",
			"PLUGIN_SECRET_ID=" + id, "PLUGIN_SECRET_KEY=" + key,
			"PLUGIN_OUTPUT_FILE=/outputs.env",
		}
		out, err = cmd.CombinedOutput()
		if !errors.Is(err, syscall.ETXTBSY) || attempt == 20 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("promotion in the empty root: %v\n%s", err, out)
	}
	env, err := os.ReadFile(filepath.Join(root, "outputs.env"))
	if err != nil || !strings.HasPrefix(string(env), "REQUEST_ID=") {
		t.Errorf("outputs.env = %q, %v", env, err)
	}
	if img, ok := emu.Lookup("tcr-1", "release", "app", "prd"); !ok || img.Digest != digest {
		t.Errorf("release/app:prd = %v, %t", img, ok)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
