package main

import (
	"cmp"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/redistest"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// BenchmarkProcess times one promotion from process start to exit — the
// static binary as the image runs it — against the emulator on loopback,
// side by side with the floor: a minimal program (bench/bare) making one
// bare signed DuplicateImage request over the same loopback. Each round
// runs the three programs in turn, so that the machine's drift touches
// them alike; it reports each one's median and the median of the
// per-round ratios to the floor. Each run creates a new tag, so every run
// really copies.
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
	registry := registryOf(b, emu, "tcr-1")
	host := strings.TrimPrefix(srv.URL, "http://")

	settings := func(tag string, extra ...string) []string {
		return append([]string{
			"PLUGIN_ENDPOINT=" + srv.URL, "PLUGIN_REGISTRY_ENDPOINT=" + registry, "PLUGIN_REGISTRY_ID=tcr-1", "PLUGIN_REGION=ap-guangzhou",
			"PLUGIN_SOURCE_NAMESPACE=develop", "PLUGIN_SOURCE_REPO=app", "PLUGIN_SOURCE_REFERENCE=stg",
			"PLUGIN_DESTINATION_NAMESPACE=release", "PLUGIN_DESTINATION_TAG=" + tag,
			"PLUGIN_SECRET_ID=" + id, "PLUGIN_SECRET_KEY=" + key,
		}, extra...)
	}
	programs := []struct {
		name string
		cmd  func(tag string) *exec.Cmd
	}{
		{"bare", func(tag string) *exec.Cmd {
			c := exec.Command(bare, tag)
			c.Env = []string{"TCR_ENDPOINT=" + host, "TCR_SECRET_ID=" + id, "TCR_SECRET_KEY=" + key}
			return c
		}},
		{"verify-false", func(tag string) *exec.Cmd {
			c := exec.Command(bin)
			c.Env = settings(tag, "PLUGIN_VERIFY=false")
			return c
		}},
		{"default", func(tag string) *exec.Cmd {
			c := exec.Command(bin)
			c.Env = settings(tag)
			return c
		}},
	}
	times := make([][]time.Duration, len(programs))
	ratios := make([][]float64, len(programs))
	round := 0
	for b.Loop() {
		round++
		var floor time.Duration
		for i, p := range programs {
			tag := fmt.Sprintf("%s-%d-%d", p.name, round, time.Now().UnixNano())
			start := time.Now()
			if out, err := p.cmd(tag).CombinedOutput(); err != nil {
				b.Fatalf("%s: %v\n%s", p.name, err, out)
			}
			d := time.Since(start)
			if i == 0 {
				floor = d
			}
			times[i] = append(times[i], d)
			ratios[i] = append(ratios[i], float64(d)/float64(floor))
			if _, ok := emu.Lookup("tcr-1", "release", "app", tag); !ok {
				b.Fatalf("%s did not promote", p.name)
			}
		}
	}
	for i, p := range programs {
		b.ReportMetric(float64(median(times[i]))/1e6, p.name+"-ms")
		if i > 0 {
			b.ReportMetric(median(ratios[i]), p.name+"/bare")
		}
	}
}

func median[T cmp.Ordered](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkPipelines runs the real binary as CI runs it — one process
// per pipeline, default settings — against one emulator that enforces
// TCR's limits for all of them together (DuplicateImage 20/s,
// DescribeImages 100/s, counted by the sliding second):
//
//   - lone: one pipeline promoting 25 repositories × 4 tags, the emulator
//     answering in 80 ms;
//   - pipelines=N (10, 20, 50): N pipelines at once, each promoting 8
//     repositories × 5 tags into its own namespace, answers in 30 ms, each
//     pacing on its own;
//   - store/pipelines=N: the same sharing rate_store, a real Redis.
//
// It reports the promotions per second together (all promotions over the
// time from the start to the last pipeline's end), the share of all
// requests that the limit refused, the pipelines that failed, and the
// spread between the first and the last pipeline to finish.
//
//	go test -run '^$' -bench Pipelines -benchtime 1x .
func BenchmarkPipelines(b *testing.B) {
	bin := binary(b)
	shapes := []struct {
		name        string
		pipelines   int
		repos, tags int
		latency     time.Duration
		store       bool
	}{
		{"lone", 1, 25, 4, 80 * time.Millisecond, false},
		{"pipelines=10", 10, 8, 5, 30 * time.Millisecond, false},
		{"pipelines=20", 20, 8, 5, 30 * time.Millisecond, false},
		{"pipelines=50", 50, 8, 5, 30 * time.Millisecond, false},
		{"store/pipelines=10", 10, 8, 5, 30 * time.Millisecond, true},
		{"store/pipelines=20", 20, 8, 5, 30 * time.Millisecond, true},
		{"store/pipelines=50", 50, 8, 5, 30 * time.Millisecond, true},
	}
	for _, shape := range shapes {
		b.Run(shape.name, func(b *testing.B) {
			store := ""
			if shape.store {
				store = redistest.URL(b)
			}
			var rate, refused, failed, spread float64
			for b.Loop() {
				r := contend(b, bin, contendShape{shape.pipelines, shape.repos, shape.tags, shape.latency, store})
				rate += r.rate
				refused += r.refused
				failed += float64(r.failed)
				spread += r.spread.Seconds()
			}
			k := float64(b.N)
			b.ReportMetric(rate/k, "promotions/s")
			b.ReportMetric(100*refused/k, "%refused")
			b.ReportMetric(failed/k, "failed-pipelines")
			b.ReportMetric(spread/k, "spread-s")
		})
	}
}

type contendShape struct {
	pipelines, repos, tags int
	latency                time.Duration
	store                  string // rate_store, or ""
}

type contention struct {
	rate, refused float64
	failed        int
	spread        time.Duration
}

func contend(b *testing.B, bin string, shape contendShape) contention {
	b.Helper()
	const id, key = "AKIDbench", "bench-secret"
	emu := tcremu.New(tcremu.WithCredential(id, key), tcremu.WithLatency(shape.latency),
		tcremu.WithRateLimit("DuplicateImage", 20), tcremu.WithRateLimit("DescribeImages", 100))
	emu.AddInstance("tcr-1", "ap-guangzhou", "acme.tencentcloudcr.com")
	repos := make([]string, shape.repos)
	for i := range repos {
		repos[i] = fmt.Sprintf("svc%d", i)
		_ = emu.PutImage("tcr-1", "develop", repos[i], "stg", fmt.Sprintf("sha256:%064x", i))
	}
	tags := make([]string, shape.tags)
	for i := range tags {
		tags[i] = fmt.Sprintf("v1.%d", i)
	}
	for p := range shape.pipelines {
		_ = emu.AddNamespace("tcr-1", fmt.Sprintf("release%d", p))
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	registry := registryOf(b, emu, "tcr-1")
	account := fmt.Sprintf("bench-%d", time.Now().UnixNano()) // a bucket of this run's own

	start := time.Now()
	finish := make([]time.Time, shape.pipelines)
	codes := make([]int, shape.pipelines)
	var wg sync.WaitGroup
	for p := range shape.pipelines {
		wg.Go(func() {
			c := exec.Command(bin)
			c.Env = []string{
				"PLUGIN_ENDPOINT=" + srv.URL, "PLUGIN_REGISTRY_ENDPOINT=" + registry, "PLUGIN_REGISTRY_ID=tcr-1", "PLUGIN_REGION=ap-guangzhou",
				"PLUGIN_SOURCE_NAMESPACE=develop", "PLUGIN_SOURCE_REPO=" + strings.Join(repos, ","), "PLUGIN_SOURCE_REFERENCE=stg",
				fmt.Sprintf("PLUGIN_DESTINATION_NAMESPACE=release%d", p), "PLUGIN_DESTINATION_TAG=" + strings.Join(tags, ","),
				"PLUGIN_SECRET_ID=" + id, "PLUGIN_SECRET_KEY=" + key,
			}
			if shape.store != "" {
				c.Env = append(c.Env, "PLUGIN_RATE_STORE="+shape.store, "PLUGIN_RATE_STORE_KEY="+account)
			}
			out, err := c.CombinedOutput()
			finish[p], codes[p] = time.Now(), c.ProcessState.ExitCode()
			if err != nil && codes[p] <= 0 {
				b.Errorf("pipeline %d: %v\n%s", p, err, out)
			}
			if codes[p] != 0 {
				b.Logf("pipeline %d: exit %d\n%s", p, codes[p], out)
			}
		})
	}
	wg.Wait()
	r := contention{}
	first, last := finish[0], finish[0]
	for p := range shape.pipelines {
		if codes[p] != 0 {
			r.failed++
		}
		first, last = minTime(first, finish[p]), maxTime(last, finish[p])
	}
	promoted := 0
	for p := range shape.pipelines {
		for _, repo := range repos {
			promoted += len(emu.Tags("tcr-1", fmt.Sprintf("release%d", p), repo))
		}
	}
	all := emu.Requests()
	refused := 0
	byAction := map[string]int{}
	for _, e := range all {
		if e.Code == "RequestLimitExceeded" {
			refused++
			byAction[e.Action]++
		}
	}
	b.Logf("%d pipelines: %d promotions in %.2fs, %d requests, refused %v, finished %.1f–%.1fs", shape.pipelines, promoted,
		last.Sub(start).Seconds(), len(all), byAction, first.Sub(start).Seconds(), last.Sub(start).Seconds())
	if os.Getenv("CONTENTION_TIMELINE") != "" {
		// On stderr: a benchmark's own log is cut after a few lines.
		perSec := map[int][4]int{}
		for _, e := range all {
			if e.Action != "DuplicateImage" && e.Action != "DescribeImages" {
				continue
			}
			s := int(e.Time.Sub(start).Seconds())
			v := perSec[s]
			i := 0
			if e.Action == "DescribeImages" {
				i = 2
			}
			if e.Code == "RequestLimitExceeded" {
				i++
			}
			v[i]++
			perSec[s] = v
		}
		for s := 0; s <= int(last.Sub(start).Seconds()); s++ {
			fmt.Fprintf(os.Stderr, "t=%2ds copies %2d refused %2d, lookups %3d refused %3d\n", s, perSec[s][0], perSec[s][1], perSec[s][2], perSec[s][3])
		}
		for p := range shape.pipelines {
			fmt.Fprintf(os.Stderr, "pipeline %d finished at %.1fs\n", p, finish[p].Sub(start).Seconds())
		}
	}
	r.rate = float64(promoted) / last.Sub(start).Seconds()
	r.refused = float64(refused) / float64(len(all))
	r.spread = last.Sub(first)
	return r
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
