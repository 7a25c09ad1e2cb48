package plugin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// BenchmarkBatch100 promotes one source to 100 tags against the emulator
// with TCR's limits enforced (DuplicateImage 20/s, DescribeImages 100/s),
// on bare loopback and with 80 ms added to every answer, and reports:
// wall time, sustained promotions/s, requests the emulator rejected,
// p50/p95 of a promotion (its first request to its last, from the
// emulator's log), and p50/p95 of one HTTP exchange seen by the client.
// Run it with scripts/bench.sh, or:
//
//	go test ./plugin -run '^$' -bench Batch100 -benchtime 1x
func BenchmarkBatch100(b *testing.B) {
	for _, latency := range []time.Duration{0, 80 * time.Millisecond} {
		b.Run(fmt.Sprintf("latency=%s", latency), func(b *testing.B) {
			var wall time.Duration
			var rejected, failed int
			var spans, exchanges []time.Duration
			var firstCopy time.Duration
			var copyRate float64
			for b.Loop() {
				r := batch100(b, latency)
				wall += r.wall
				rejected += r.rejected
				failed += r.failed
				spans = append(spans, r.spans...)
				exchanges = append(exchanges, r.exchanges...)
				firstCopy += r.firstCopy
				copyRate += r.copyRate
			}
			n := float64(b.N)
			b.ReportMetric(wall.Seconds()/n, "wall-s")
			b.ReportMetric(ms(firstCopy)/n, "first-copy-ms")
			b.ReportMetric(copyRate/n, "copies/s")
			b.ReportMetric(100*n/wall.Seconds(), "promotions/s")
			b.ReportMetric(float64(rejected)/n, "rejected")
			b.ReportMetric(float64(failed)/n, "failed")
			b.ReportMetric(ms(percentile(spans, 50)), "promotion-p50-ms")
			b.ReportMetric(ms(percentile(spans, 95)), "promotion-p95-ms")
			b.ReportMetric(ms(percentile(exchanges, 50)), "request-p50-ms")
			b.ReportMetric(ms(percentile(exchanges, 95)), "request-p95-ms")
		})
	}
}

type batchRun struct {
	wall             time.Duration
	rejected, failed int
	spans, exchanges []time.Duration
	firstCopy        time.Duration // from the start to the first DuplicateImage
	copyRate         float64       // DuplicateImage calls/s from the first to the last
}

func batch100(b *testing.B, latency time.Duration) batchRun {
	b.Helper()
	emu := tcremu.New(
		tcremu.WithCredential(secretID, secretKey),
		tcremu.WithRateLimit("DuplicateImage", 20),
		tcremu.WithRateLimit("DescribeImages", 100),
		tcremu.WithLatency(latency),
	)
	emu.AddInstance("tcr-1", "ap-guangzhou", "acme.tencentcloudcr.com")
	_ = emu.AddNamespace("tcr-1", "release")
	_ = emu.PutImage("tcr-1", "develop", "app", "stg", digestA)
	srv := httptest.NewServer(emu)
	_, reg := serveRegistry(b, emu, "tcr-1", srv.URL)
	defer srv.Close()

	tags := make([]string, 100)
	for i := range tags {
		tags[i] = fmt.Sprintf("v%03d", i)
	}
	timing := &timingTransport{base: tcrapi.NewTransport()}
	r := &plugin.Runner{
		Env: envconfig.MapLookuper(map[string]string{
			"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou",
			"PLUGIN_SOURCE_NAMESPACE": "develop", "PLUGIN_SOURCE_REPO": "app", "PLUGIN_SOURCE_REFERENCE": "stg",
			"PLUGIN_DESTINATION_NAMESPACE": "release", "PLUGIN_DESTINATION_TAG": strings.Join(tags, ","),
			"PLUGIN_SECRET_ID": secretID, "PLUGIN_SECRET_KEY": secretKey, "PLUGIN_ENDPOINT": srv.URL, "PLUGIN_REGISTRY_ENDPOINT": reg.URL,
		}),
		Stdout: io.Discard, Stderr: io.Discard, Transport: timing,
	}
	start := time.Now()
	code := r.Run(context.Background(), []string{"tcr-promote"})
	run := batchRun{wall: time.Since(start), exchanges: timing.durations()}

	first, last := map[string]time.Time{}, map[string]time.Time{}
	var firstCopy, lastCopy time.Time
	for _, e := range emu.Requests() {
		if e.Action == "DuplicateImage" {
			if firstCopy.IsZero() {
				firstCopy = e.Time
			}
			lastCopy = e.Time
		}
		if e.Code == "RequestLimitExceeded" {
			run.rejected++
		}
		var p struct{ DestinationTag, ImageVersion, NamespaceName string }
		_ = json.Unmarshal([]byte(e.Body), &p)
		tag := p.DestinationTag
		if p.NamespaceName == "release" {
			tag = p.ImageVersion
		}
		if tag == "" {
			continue
		}
		if _, ok := first[tag]; !ok {
			first[tag] = e.Time
		}
		last[tag] = e.Time
	}
	for _, tag := range tags {
		if img, ok := emu.Lookup("tcr-1", "release", "app", tag); !ok || img.Digest != digestA {
			run.failed++
		}
		run.spans = append(run.spans, last[tag].Sub(first[tag])+latency)
	}
	run.firstCopy, run.copyRate = firstCopy.Sub(start), 99/lastCopy.Sub(firstCopy).Seconds()
	if code != 0 {
		b.Errorf("exit %d", code)
	}
	return run
}

// timingTransport records how long each HTTP exchange took.
type timingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	took []time.Duration
}

func (t *timingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(r)
	t.mu.Lock()
	t.took = append(t.took, time.Since(start))
	t.mu.Unlock()
	return resp, err
}

func (t *timingTransport) durations() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.took)
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkRoundTrips counts the sequential round trips of each flow — a
// request that starts only after another's answer is one more — from the
// emulator's log, with 50 ms on every answer: one unverified promotion
// is one round trip (the copy), a verified one three (both lookups at
// once, the copy, the read-back); a batch starts copying after one (its
// first promotion's lookups) and ends one after its last copy.
//
//	go test ./plugin -run '^$' -bench RoundTrips -benchtime 1x
func BenchmarkRoundTrips(b *testing.B) {
	flows := []struct {
		name string
		vars map[string]string
	}{
		{"single/verify=false", map[string]string{"PLUGIN_VERIFY": "false"}},
		{"single/verify=true", nil},
		{"batch=10", map[string]string{"PLUGIN_DESTINATION_TAG": "a,b,c,d,e,f,g,h,i,j"}},
	}
	for _, flow := range flows {
		b.Run(flow.name, func(b *testing.B) {
			var total, first, after float64
			for b.Loop() {
				emu := tcremu.New(tcremu.WithCredential(secretID, secretKey), tcremu.WithLatency(50*time.Millisecond))
				emu.AddInstance("tcr-1", "ap-guangzhou", "acme.tencentcloudcr.com")
				_ = emu.AddNamespace("tcr-1", "release")
				_ = emu.PutImage("tcr-1", "develop", "app", "stg", digestA)
				srv := httptest.NewServer(emu)
				_, reg := serveRegistry(b, emu, "tcr-1", srv.URL)
				vars := map[string]string{
					"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou", "PLUGIN_REGISTRY_DOMAIN": "acme.tencentcloudcr.com",
					"PLUGIN_SOURCE_NAMESPACE": "develop", "PLUGIN_SOURCE_REPO": "app", "PLUGIN_SOURCE_REFERENCE": "stg",
					"PLUGIN_DESTINATION_NAMESPACE": "release", "PLUGIN_DESTINATION_TAG": "prd",
					"PLUGIN_SECRET_ID": secretID, "PLUGIN_SECRET_KEY": secretKey, "PLUGIN_ENDPOINT": srv.URL, "PLUGIN_REGISTRY_ENDPOINT": reg.URL,
				}
				maps.Copy(vars, flow.vars)
				r := &plugin.Runner{Env: envconfig.MapLookuper(vars), Stdout: io.Discard, Stderr: io.Discard}
				if code := r.Run(context.Background(), []string{"tcr-promote"}); code != 0 {
					b.Fatalf("exit %d", code)
				}
				srv.Close()
				depth := roundTrips(emu.Requests())
				log := emu.Requests()
				firstCopy, lastCopy, deepest := 0, 0, 0
				for i, e := range log {
					deepest = max(deepest, depth[i])
					if e.Action == "DuplicateImage" {
						if firstCopy == 0 {
							firstCopy = depth[i]
						}
						lastCopy = max(lastCopy, depth[i])
					}
				}
				total += float64(deepest)
				first += float64(firstCopy - 1)
				after += float64(deepest - lastCopy)
			}
			n := float64(b.N)
			b.ReportMetric(total/n, "round-trips")
			b.ReportMetric(first/n, "before-first-copy")
			b.ReportMetric(after/n, "after-last-copy")
		})
	}
}

// roundTrips gives each request of a log its place in the longest chain
// of requests each sent after the one before was answered.
func roundTrips(log []tcremu.Entry) []int {
	depth := make([]int, len(log))
	for i, e := range log {
		depth[i] = 1
		for j := range i {
			if !log[j].Done.After(e.Time) {
				depth[i] = max(depth[i], depth[j]+1)
			}
		}
	}
	return depth
}
