package tcrapi

import (
	"fmt"
	"testing"
	"time"
)

func TestJitterBackoffBounds(t *testing.T) {
	t.Parallel()
	b := jitterBackoff(time.Second, 20*time.Second)
	for retry := range 40 {
		ceiling := min(time.Second<<min(retry, 30), 20*time.Second)
		for range 200 {
			if d := b(retry); d < 0 || d >= ceiling {
				t.Fatalf("retry %d waited %s, want [0, %s)", retry, d, ceiling)
			}
		}
	}
}

// BenchmarkBackoff reports the real schedule's mean wait before each retry
// and in total for the default 5 retries (full jitter: about half of each
// ceiling 1s, 2s, 4s, 8s, 16s — some 15s in all, inside the 2m timeout).
func BenchmarkBackoff(b *testing.B) {
	backoff := jitterBackoff(time.Second, 20*time.Second)
	var sums [5]time.Duration
	for b.Loop() {
		for retry := range sums {
			sums[retry] += backoff(retry)
		}
	}
	var total time.Duration
	for retry, s := range sums {
		mean := s / time.Duration(b.N)
		total += mean
		b.ReportMetric(mean.Seconds(), fmt.Sprintf("s/wait%d", retry+1))
	}
	b.ReportMetric(total.Seconds(), "s/all-5")
}
