package main

import (
	"fmt"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/tcr-promote/tcr-promote/tcremu"
)

// TestAnswerSizeBounded runs the real binary against answers no real API
// gives — 300 MiB of JSON, and a gzip body inflating to 1 GiB — and holds
// its peak memory far below either: every answer is cut off a few MiB in.
func TestAnswerSizeBounded(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	for _, tt := range []struct {
		name  string
		fault tcremu.Fault
	}{
		{"300 MiB", tcremu.Fault{Action: "DescribeImages", Flood: 300 << 20}},
		{"gzip inflating to 1 GiB", tcremu.Fault{Action: "DescribeImages", Flood: 1 << 30, Gzip: true}},
		{"300 MiB copy answer", tcremu.Fault{Action: "DuplicateImage", Flood: 300 << 20}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const id, key = "AKIDsize", "size-secret"
			emu := tcremu.New(tcremu.WithCredential(id, key))
			emu.AddInstance("tcr-1", "ap-guangzhou", "acme.tencentcloudcr.com")
			_ = emu.AddNamespace("tcr-1", "release")
			_ = emu.PutImage("tcr-1", "develop", "app", "stg", "sha256:"+strings.Repeat("d", 64))
			emu.Inject(tt.fault)
			srv := httptest.NewServer(emu)
			defer srv.Close()
			cmd := exec.Command(bin)
			cmd.Env = []string{
				"PLUGIN_ENDPOINT=" + srv.URL, "PLUGIN_REGISTRY_ENDPOINT=" + registryOf(t, emu, "tcr-1"), "PLUGIN_REGISTRY_ID=tcr-1", "PLUGIN_REGION=ap-guangzhou",
				"PLUGIN_SOURCE_NAMESPACE=develop", "PLUGIN_SOURCE_REPO=app", "PLUGIN_SOURCE_REFERENCE=stg",
				"PLUGIN_DESTINATION_NAMESPACE=release", "PLUGIN_DESTINATION_TAG=prd",
				"PLUGIN_SECRET_ID=" + id, "PLUGIN_SECRET_KEY=" + key, "PLUGIN_RETRIES=1", "PLUGIN_TIMEOUT=60s",
			}
			out, _ := cmd.CombinedOutput()
			code := cmd.ProcessState.ExitCode()
			// KiB on Linux. Go starts the child sharing the parent's memory
			// until exec, which ru_maxrss counts: under -race the bound must
			// leave room for the test process itself. It stays below the
			// 300 MiB answer, which unbounded takes 2.2 GiB.
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
			t.Logf("exit %d, peak RSS %.1f MiB", code, float64(rss)/(1<<20))
			if rss > 200<<20 {
				t.Errorf("peak RSS %.0f MiB: the answer was not cut off", float64(rss)/(1<<20))
			}
			if code != 1 || !strings.Contains(string(out), "ClientError.AnswerTooLarge") || !strings.Contains(string(out), fmt.Sprint(4<<20)) {
				t.Errorf("exit %d, want 1 with ClientError.AnswerTooLarge and the limit:\n%s", code, out)
			}
		})
	}
}
