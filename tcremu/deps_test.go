package tcremu_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStdlibOnly keeps the emulator independent of the SDK and the
// registry client it checks: it and its own packages import the standard
// library only, as go-containerregistry's registry does — so a misreading
// shared by a client and its library's server cannot hide.
func TestStdlibOnly(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if !strings.HasPrefix(dep, "github.com/tcr-promote/tcr-promote/tcremu") {
			t.Errorf("tcremu depends on %s", dep)
		}
	}
}
