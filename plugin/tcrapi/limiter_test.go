package tcrapi

import (
	"context"
	"io"
	"math"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
)

func quietLimiter(ceiling, burst int) *limiter {
	return newLimiter("DuplicateImage", ceiling, burst, cilog.New(io.Discard, io.Discard, false))
}

// TestLimiterCutOncePerWindow: the first refusal cuts the rate; refusals
// of requests sent within the window after the cut do not; one sent after
// it does.
func TestLimiterCutOncePerWindow(t *testing.T) {
	t.Parallel()
	l := quietLimiter(20, 1)
	ctx := context.Background()
	sent, err := l.wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		l.succeeded()
	}
	l.throttled(sent)
	l.mu.Lock()
	first, cutAt := l.rate(time.Now()), l.cutAt
	l.mu.Unlock()
	if want := cubicBeta * 10 / limitWindow.Seconds(); math.Abs(first-want) > 0.01 {
		t.Fatalf("rate after the cut = %.2f, want 70%% of the 10 accepted in the window = %.2f", first, want)
	}
	for range 5 { // concurrent refusals of requests sent around the cut
		l.throttled(cutAt.Add(100 * time.Millisecond))
	}
	l.mu.Lock()
	if l.cutAt != cutAt {
		t.Errorf("a refusal within the window cut again")
	}
	l.mu.Unlock()
	l.throttled(cutAt.Add(limitWindow + time.Millisecond))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cutAt == cutAt {
		t.Errorf("a refusal of a request sent after the window did not cut")
	}
	if l.refused != 7 {
		t.Errorf("%d refusals counted, want 7", l.refused)
	}
}

// TestLimiterRecovery: after a cut the rate holds for the window, climbs
// back to the rate of the cut, then probes up to the ceiling — never above.
func TestLimiterRecovery(t *testing.T) {
	t.Parallel()
	l := quietLimiter(20, 1)
	cut := time.Now()
	l.start, l.cutAt, l.peak = cut.Add(-time.Minute), cut, 10
	at := func(d time.Duration) float64 { return l.rate(cut.Add(d)) }
	if r := at(limitWindow / 2); r != cubicBeta*10 {
		t.Errorf("within the window: %.2f, want it held at %.2f", r, cubicBeta*10)
	}
	prev := 0.0
	for d := limitWindow; d < limitWindow+5*time.Second; d += 100 * time.Millisecond {
		r := at(d)
		if r < prev {
			t.Errorf("the rate fell from %.2f to %.2f at %s without a refusal", prev, r, d)
		}
		if r > 20 {
			t.Errorf("%.2f is above the ceiling", r)
		}
		prev = r
	}
	if k := limitWindow + time.Duration(float64(time.Second)*math.Cbrt(10*(1-cubicBeta)/cubicC)); at(k) < 9.99 {
		t.Errorf("at the old peak's time the rate is %.2f, want 10", at(k))
	}
	if prev != 20 {
		t.Errorf("after 5 s without a refusal the rate is %.2f, want the ceiling", prev)
	}
}

// TestLimiterRepacesWaiting: a cut re-paces the request already waiting
// for its turn, not only the ones that come after.
func TestLimiterRepacesWaiting(t *testing.T) {
	t.Parallel()
	l := quietLimiter(20, 1)
	ctx := context.Background()
	sent, _ := l.wait(ctx)
	for range 10 {
		l.succeeded()
	}
	l.mu.Lock()
	before, changed := l.earliest(time.Now()), l.changed
	l.mu.Unlock()
	done := make(chan time.Time)
	go func() {
		at, _ := l.wait(ctx)
		done <- at
	}()
	l.throttled(sent)
	select {
	case <-changed:
	default:
		t.Fatal("the cut did not wake the waiting request")
	}
	l.mu.Lock()
	after := l.earliest(time.Now())
	l.mu.Unlock()
	if !after.After(before) {
		t.Errorf("the next turn stayed at %s after the cut (was %s)", after.Format(time.StampMicro), before.Format(time.StampMicro))
	}
	if at := <-done; at.Before(after) {
		t.Errorf("the waiting request went at %s, before its re-paced turn %s", at.Format(time.StampMicro), after.Format(time.StampMicro))
	}
}

// TestLimiterCancellation: a cancelled waiter leaves the queue and hands
// the turn on; a turn past the deadline is refused at once.
func TestLimiterCancellation(t *testing.T) {
	t.Parallel()
	l := quietLimiter(2, 1)
	bg := context.Background()
	if _, err := l.wait(bg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	errc := make(chan error)
	go func() {
		_, err := l.wait(ctx) // second in line, waiting half a second
		errc <- err
	}()
	for {
		l.mu.Lock()
		n := len(l.queue)
		l.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Errorf("a cancelled waiter got %v, want context.Canceled", err)
	}
	if _, err := l.wait(bg); err != nil {
		t.Errorf("the next waiter after a cancelled one: %v", err)
	}
	soon, cancelSoon := context.WithTimeout(bg, 10*time.Millisecond)
	defer cancelSoon()
	if _, err := l.wait(soon); err != errWouldMiss {
		t.Errorf("a turn past the deadline: %v, want errWouldMiss", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) != 0 {
		t.Errorf("%d waiters left in the queue", len(l.queue))
	}
}
