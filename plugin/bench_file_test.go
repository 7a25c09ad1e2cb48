package plugin_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// BenchmarkFile1000 plans, then applies, a promotion file of 1,000
// destinations over 200 repositories (100 sources, each to ten tags of
// its release repository; half named by digest) against the emulator
// with TCR's limits enforced (DuplicateImage 20/s, DescribeImages 100/s,
// DescribeImageManifests 10/s) and 20 ms added to every answer. It
// reports each phase's wall time, its DescribeImages calls, the time
// DescribeImages' limit alone requires for them, the copies' rate and the
// requests refused. Run it with:
//
//	go test ./plugin -run '^$' -bench File1000 -benchtime 1x
func BenchmarkFile1000(b *testing.B) {
	var planWall, applyWall, copyRate float64
	var planCalls, applyCalls, refused, failed int
	for b.Loop() {
		r := file1000(b)
		planWall += r.planWall.Seconds()
		applyWall += r.applyWall.Seconds()
		copyRate += r.copyRate
		planCalls += r.planCalls
		applyCalls += r.applyCalls
		refused += r.refused
		failed += r.failed
	}
	n := float64(b.N)
	b.ReportMetric(planWall/n, "plan-wall-s")
	b.ReportMetric(float64(planCalls)/n, "plan-DescribeImages")
	b.ReportMetric(float64(planCalls)/n/100, "plan-floor-s")
	b.ReportMetric(applyWall/n, "apply-wall-s")
	b.ReportMetric(float64(applyCalls)/n, "apply-DescribeImages")
	b.ReportMetric(copyRate/n, "copies/s")
	b.ReportMetric(float64(refused)/n, "refused")
	b.ReportMetric(float64(failed)/n, "failed")
}

type fileRun struct {
	planWall, applyWall   time.Duration
	planCalls, applyCalls int
	copyRate              float64
	refused, failed       int
}

func file1000(b *testing.B) fileRun {
	b.Helper()
	emu := tcremu.New(
		tcremu.WithCredential(secretID, secretKey),
		tcremu.WithRateLimit("DuplicateImage", 20),
		tcremu.WithRateLimit("DescribeImages", 100),
		tcremu.WithRateLimit("DescribeImageManifests", 10),
		tcremu.WithLatency(20*time.Millisecond),
	)
	emu.AddInstance("tcr-1", "ap-guangzhou", "acme.tencentcloudcr.com")
	_ = emu.AddNamespace("tcr-1", "release")
	var file strings.Builder
	file.WriteString("registry: acme.tencentcloudcr.com\npromotions:\n")
	for i := range 100 {
		digest := fmt.Sprintf("sha256:%064x", i+1)
		_ = emu.PutImage("tcr-1", "develop", fmt.Sprintf("app%03d", i), "stg", digest)
		src := fmt.Sprintf("develop/app%03d:stg", i)
		if i%2 == 0 {
			src = fmt.Sprintf("develop/app%03d@%s", i, digest)
		}
		var dsts []string
		for _, tag := range []string{"prd", "v1.4.2", "v1.4", "v1", "latest", "stable", "eu", "us", "asia", "canary"} {
			dsts = append(dsts, fmt.Sprintf("release/app%03d:%s", i, tag))
		}
		fmt.Fprintf(&file, "  - source: %s\n    destinations: [%s]\n", src, strings.Join(dsts, ", "))
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "promotions.yaml")
	if err := os.WriteFile(path, []byte(file.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	_, reg := serveRegistry(b, emu, "tcr-1", srv.URL)
	defer srv.Close()
	vars := map[string]string{
		"PLUGIN_PROMOTION_FILE": path, "PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou",
		"PLUGIN_SECRET_ID": secretID, "PLUGIN_SECRET_KEY": secretKey, "PLUGIN_ENDPOINT": srv.URL, "PLUGIN_REGISTRY_ENDPOINT": reg.URL, "PLUGIN_TIMEOUT": "5m",
	}
	phase := func(mode string) (time.Duration, int) {
		vars["PLUGIN_MODE"] = mode
		before := emu.Count("DescribeImages", "")
		var log strings.Builder
		r := &plugin.Runner{Env: envconfig.MapLookuper(vars), Stdout: &log, Stderr: &log}
		start := time.Now()
		if code := r.Run(context.Background(), []string{"tcr-promote"}); code != 0 {
			b.Errorf("%s: exit %d\n%s", mode, code, log.String()[max(0, log.Len()-3000):])
		}
		return time.Since(start), emu.Count("DescribeImages", "") - before
	}
	var run fileRun
	run.planWall, run.planCalls = phase("plan")
	run.applyWall, run.applyCalls = phase("apply")
	var first, last time.Time
	copies := 0
	for _, e := range emu.Requests() {
		if e.Code == "RequestLimitExceeded" {
			run.refused++
		}
		if e.Action == "DuplicateImage" && e.Code == "" {
			if first.IsZero() {
				first = e.Time
			}
			last, copies = e.Time, copies+1
		}
	}
	run.copyRate = float64(copies-1) / last.Sub(first).Seconds()
	for i := range 100 {
		if img, ok := emu.Lookup("tcr-1", "release", fmt.Sprintf("app%03d", i), "v1"); !ok || img.Digest != fmt.Sprintf("sha256:%064x", i+1) {
			run.failed++
		}
	}
	// The 50 sources named by digest are exact promotions: each staged
	// once in a scratch repository, for all ten of its destinations.
	if copies != 1000+50 {
		b.Errorf("%d copies, want 1,050 (1,000 and 50 into scratch repositories)", copies)
	}
	return run
}
