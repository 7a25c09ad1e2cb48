package main

import (
	"fmt"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcr-promote/tcr-promote/tcremu"
)

// BenchmarkProcess times one promotion from process start to exit — the
// static binary as the image runs it — against the emulator on loopback,
// next to the floor: a minimal program (bench/bare) making one bare signed
// DuplicateImage request over the same loopback. Each iteration creates a
// new tag, so every run really copies.
//
//	go test -run '^$' -bench Process -benchtime 200x .
func BenchmarkProcess(b *testing.B) {
	bin := binary(b)
	bare := filepath.Join(buildDir, "bare")
	if out, err := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bare, "./bench/bare").CombinedOutput(); err != nil {
		b.Fatalf("building bench/bare: %v\n%s", err, out)
	}
	const id, key = "AKIDbench", "bench-secret"
	emu := tcremu.New(tcremu.WithCredential(id, key))
	emu.AddInstance("tcr-1", "ap-guangzhou", "acme.tencentcloudcr.com")
	_ = emu.AddNamespace("tcr-1", "release")
	_ = emu.PutImage("tcr-1", "develop", "app", "stg", "sha256:"+strings.Repeat("d", 64))
	srv := httptest.NewServer(emu)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	settings := func(tag string, extra ...string) []string {
		return append([]string{
			"PLUGIN_ENDPOINT=" + srv.URL, "PLUGIN_REGISTRY_ID=tcr-1", "PLUGIN_REGION=ap-guangzhou",
			"PLUGIN_SOURCE_NAMESPACE=develop", "PLUGIN_SOURCE_REPO=app", "PLUGIN_SOURCE_REFERENCE=stg",
			"PLUGIN_DESTINATION_NAMESPACE=release", "PLUGIN_DESTINATION_TAG=" + tag,
			"PLUGIN_SECRET_ID=" + id, "PLUGIN_SECRET_KEY=" + key,
		}, extra...)
	}
	cases := []struct {
		name string
		cmd  func(tag string) *exec.Cmd
	}{
		{"bare-request", func(tag string) *exec.Cmd {
			c := exec.Command(bare, tag)
			c.Env = []string{"TCR_ENDPOINT=" + host, "TCR_SECRET_ID=" + id, "TCR_SECRET_KEY=" + key}
			return c
		}},
		{"tcr-promote-verify=false", func(tag string) *exec.Cmd {
			c := exec.Command(bin)
			c.Env = settings(tag, "PLUGIN_VERIFY=false")
			return c
		}},
		{"tcr-promote-default", func(tag string) *exec.Cmd {
			c := exec.Command(bin)
			c.Env = settings(tag)
			return c
		}},
	}
	for n, c := range cases {
		i := 0 // across -count runs too: each tag is new
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				i++
				tag := fmt.Sprintf("c%d-%d", n, i)
				if out, err := c.cmd(tag).CombinedOutput(); err != nil {
					b.Fatalf("%s: %v\n%s", c.name, err, out)
				}
			}
			b.StopTimer()
			if _, ok := emu.Lookup("tcr-1", "release", "app", fmt.Sprintf("c%d-%d", n, i)); !ok {
				b.Errorf("%s did not promote", c.name)
			}
		})
	}
}
