package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildBinary builds the static binary the image ships.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tcr-promote")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X github.com/tcr-promote/tcr-promote/plugin.Version=v0.0.0-test", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDemo runs the README's first command: a real promotion by the real
// binary, over HTTP, against the emulator.
func TestDemo(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
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
	if err != nil || string(v) != "tcr-promote v0.0.0-test\n" {
		t.Errorf("--version = %q, %v", v, err)
	}
}
