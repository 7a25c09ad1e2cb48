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
	host := strings.TrimPrefix(srv.URL, "http://")

	settings := func(tag string, extra ...string) []string {
		return append([]string{
			"PLUGIN_ENDPOINT=" + srv.URL, "PLUGIN_REGISTRY_ID=tcr-1", "PLUGIN_REGION=ap-guangzhou",
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

// BenchmarkContention runs N pipelines at once — N processes of the real
// binary, default settings, each promoting 8 repositories × 5 tags into
// its own namespace — against one emulator that enforces TCR's limits for
// all of them together (DuplicateImage 20/s, DescribeImages 100/s) and
// answers in 30 ms. It reports the aggregate promotions/s, the share of
// requests refused by the limit, the pipelines that failed, and the spread
// between the first and the last pipeline to finish.
//
//	go test -run '^$' -bench Contention -benchtime 1x .
func BenchmarkContention(b *testing.B) {
	bin := binary(b)
	for _, n := range []int{1, 5, 10, 20} {
		b.Run(fmt.Sprintf("pipelines=%d", n), func(b *testing.B) {
			var rate, refused, failed, spread float64
			for b.Loop() {
				r := contend(b, bin, n)
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

type contention struct {
	rate, refused float64
	failed        int
	spread        time.Duration
}

func contend(b *testing.B, bin string, pipelines int) contention {
	b.Helper()
	const id, key = "AKIDbench", "bench-secret"
	emu := tcremu.New(tcremu.WithCredential(id, key), tcremu.WithLatency(30*time.Millisecond),
		tcremu.WithRateLimit("DuplicateImage", 20), tcremu.WithRateLimit("DescribeImages", 100))
	emu.AddInstance("tcr-1", "ap-guangzhou", "acme.tencentcloudcr.com")
	repos := make([]string, 8)
	for i := range repos {
		repos[i] = fmt.Sprintf("svc%d", i)
		_ = emu.PutImage("tcr-1", "develop", repos[i], "stg", fmt.Sprintf("sha256:%064x", i))
	}
	for p := range pipelines {
		_ = emu.AddNamespace("tcr-1", fmt.Sprintf("release%d", p))
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()

	start := time.Now()
	finish := make([]time.Time, pipelines)
	codes := make([]int, pipelines)
	var wg sync.WaitGroup
	for p := range pipelines {
		wg.Go(func() {
			c := exec.Command(bin)
			c.Env = []string{
				"PLUGIN_ENDPOINT=" + srv.URL, "PLUGIN_REGISTRY_ID=tcr-1", "PLUGIN_REGION=ap-guangzhou",
				"PLUGIN_SOURCE_NAMESPACE=develop", "PLUGIN_SOURCE_REPO=" + strings.Join(repos, ","), "PLUGIN_SOURCE_REFERENCE=stg",
				fmt.Sprintf("PLUGIN_DESTINATION_NAMESPACE=release%d", p), "PLUGIN_DESTINATION_TAG=prd,v1,v1.4,v1.4.2,latest",
				"PLUGIN_SECRET_ID=" + id, "PLUGIN_SECRET_KEY=" + key,
			}
			out, err := c.CombinedOutput()
			finish[p], codes[p] = time.Now(), c.ProcessState.ExitCode()
			if err != nil && codes[p] <= 0 {
				b.Errorf("pipeline %d: %v\n%s", p, err, out)
			}
		})
	}
	wg.Wait()
	r := contention{}
	first, last := finish[0], finish[0]
	for p := range pipelines {
		if codes[p] != 0 {
			r.failed++
		}
		first, last = minTime(first, finish[p]), maxTime(last, finish[p])
	}
	promoted := 0
	for p := range pipelines {
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
	b.Logf("%d pipelines: %d requests, refused %v", pipelines, len(all), byAction)
	if os.Getenv("CONTENTION_TIMELINE") != "" {
		perSec := map[int][4]int{}
		for _, e := range all {
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
			b.Logf("t=%2ds copies %2d refused %2d, lookups %3d refused %3d", s, perSec[s][0], perSec[s][1], perSec[s][2], perSec[s][3])
		}
		for p := range pipelines {
			b.Logf("pipeline %d finished at %.1fs", p, finish[p].Sub(start).Seconds())
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
