package pace

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// TestPaceBeforeARefusal: a few at once, spaced so that pipelines started
// together take turns, then evenly at the ceiling; never more than ceiling
// in a Window.
func TestPaceBeforeARefusal(t *testing.T) {
	t.Parallel()
	p := New(20, true, 1)
	var sent []time.Duration
	now := t0
	for range 45 {
		now = p.Next(now)
		p.Take(now)
		sent = append(sent, now.Sub(t0))
	}
	want := []time.Duration{0, 16666666, 33333332} // the burst, a third of a gap apart
	if diff := cmp.Diff(want, sent[:3]); diff != "" {
		t.Errorf("the first three (-want +got):\n%s", diff)
	}
	for i := 20; i < len(sent); i++ {
		if d := sent[i] - sent[i-20]; d < Window {
			t.Errorf("sends %d and %d are %s apart: more than 20 in a Window", i-20, i, d)
		}
	}
	if got := sent[44] - sent[24]; got > Window+time.Millisecond {
		t.Errorf("20 sends took %s once paced, want a Window (%s)", got, Window)
	}
}

// TestPaceKeepsItsSlots: the first refusal keeps the slots accepted in the
// last Window, each renewed a Window after it was sent; one not used in
// time lapses; a probe waits for probeGap.
func TestPaceKeepsItsSlots(t *testing.T) {
	t.Parallel()
	p := New(20, true, 1)
	var turns []Turn
	for _, at := range []int{0, 100, 200, 300} {
		turns = append(turns, p.Take(ms(at)))
	}
	p.Accepted(turns[0], ms(30))
	p.Accepted(turns[1], ms(130))
	p.Accepted(turns[2], ms(230))
	p.Refused(turns[3], ms(330)) // the fourth: others are there
	if !p.Shared() {
		t.Fatal("a refusal did not make the pace shared")
	}
	if got := p.Next(ms(330)); !got.Equal(ms(0).Add(Window)) {
		t.Errorf("next turn at %s, want the first slot's renewal at %s", got.Sub(t0), Window)
	}
	renewal := p.Take(ms(0).Add(Window))
	if renewal.Kind != Renewal {
		t.Errorf("the turn at the slot's renewal is %v, want a renewal", renewal.Kind)
	}
	// The second slot's renewal passes unused: by grace after it, it is
	// gone, and the next turn is the third's.
	late := ms(200).Add(Window).Add(grace / 2)
	if got := p.Next(late); !got.Equal(late) {
		t.Errorf("the third slot's renewal, due, is not taken at once: next %s", got.Sub(t0))
	}
	p.Take(late)
	if got := p.Next(late); got.Sub(ms(330)) < probeGap/2 {
		t.Errorf("with no slot left, the next turn is %s after the refusal, want a probe at least probeGap/2 (%s) after it", got.Sub(ms(330)), probeGap/2)
	}
}

// TestPaceProbes: an accepted probe is a freed slot: the next probe goes
// at the ceiling's pace; a refused one falls back to probeGap.
func TestPaceProbes(t *testing.T) {
	t.Parallel()
	p := New(20, true, 1)
	first := p.Take(t0)
	p.Refused(first, ms(30)) // shared, holding nothing
	at := p.Next(ms(30))
	if d := at.Sub(ms(30)); d < firstProbe/2 || d > 3*firstProbe/2 {
		t.Fatalf("first probe %s after the refusal, holding no slot: want firstProbe ±50%%", d)
	}
	probe := p.Take(at)
	if probe.Kind != Probe {
		t.Fatalf("turn %v, want a probe", probe.Kind)
	}
	p.Accepted(probe, at.Add(30*time.Millisecond))
	if d := p.Next(at.Add(30 * time.Millisecond)).Sub(at.Add(30 * time.Millisecond)); d > 50*time.Millisecond {
		t.Errorf("after an accepted probe the next is %s away, want at the ceiling's pace (50ms)", d)
	}
	again := p.Take(p.Next(at.Add(30 * time.Millisecond)))
	refusedAt := again.At.Add(30 * time.Millisecond)
	p.Refused(again, refusedAt)
	// Next: the renewal of the slot the first probe won, then a probe
	// no sooner than probeGap/2 after the refusal.
	renewal := p.Take(p.Next(refusedAt))
	if renewal.Kind != Renewal || !renewal.At.Equal(probe.At.Add(Window)) {
		t.Errorf("after the refused probe: %v at %s, want the won slot's renewal at %s", renewal.Kind, renewal.At.Sub(t0), probe.At.Add(Window).Sub(t0))
	}
	if d := p.Next(renewal.At).Sub(refusedAt); d < probeGap/2 {
		t.Errorf("the next probe is %s after the refused one, want at least probeGap/2", d)
	}
	if p.Refusals() != 2 {
		t.Errorf("%d refusals counted, want 2", p.Refusals())
	}
}

func quietLimiter(ceiling int) *Limiter {
	return NewLimiter("DuplicateImage", ceiling, true, cilog.New(io.Discard, io.Discard, false), nil)
}

// TestLimiterOrder: waiting requests go in promotion order, whatever
// order they came in.
func TestLimiterOrder(t *testing.T) {
	t.Parallel()
	l := quietLimiter(4) // 4/s: the burst, then 250 ms apart
	ctx := context.Background()
	for range startBurst {
		if _, err := l.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	for i, n := range []int{5, 3, 9, 1} {
		wg.Go(func() {
			if _, err := l.Wait(InOrder(ctx, n)); err != nil {
				t.Error(err)
			}
			mu.Lock()
			got = append(got, n)
			mu.Unlock()
		})
		for countQueued(l) != i+1 { // all wait: the next turn is 250 ms away
			time.Sleep(time.Millisecond)
		}
	}
	wg.Wait()
	if diff := cmp.Diff([]int{1, 3, 5, 9}, got); diff != "" {
		t.Errorf("served in this order (-want +got):\n%s", diff)
	}
}

func countQueued(l *Limiter) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// TestLimiterCancellation: a cancelled waiter leaves the queue and hands
// the turn on; a turn past the deadline is refused at once, with figures.
func TestLimiterCancellation(t *testing.T) {
	t.Parallel()
	l := quietLimiter(1)
	bg := context.Background()
	if _, err := l.Wait(bg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	errc := make(chan error)
	go func() {
		_, err := l.Wait(ctx) // next in line, a second away
		errc <- err
	}()
	for countQueued(l) != 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled waiter got %v, want context.Canceled", err)
	}
	soon, cancelSoon := context.WithTimeout(bg, 10*time.Millisecond)
	defer cancelSoon()
	_, err := l.Wait(soon)
	var late *LateError
	if !errors.As(err, &late) || late.Action != "DuplicateImage" || late.In <= 10*time.Millisecond {
		t.Errorf("a turn past the deadline: %v, want a LateError with the time to the turn", err)
	}
	if countQueued(l) != 0 {
		t.Errorf("%d waiters left in the queue", countQueued(l))
	}
}
