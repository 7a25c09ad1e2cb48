package tcrapi

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
)

// limiter paces one API action under a rate limit that TCR counts on its
// side, for the whole account: the pipelines of one release share it, so
// the rate this process may use is unknown and changes. It adapts, as the
// AWS SDKs' adaptive retry mode and TCP's congestion control do:
//
//   - slow start: from half the ceiling, doubling every 250 ms, so a lone
//     pipeline reaches the ceiling within a quarter of a second while
//     pipelines started together probe before they blast;
//   - a refusal (RequestLimitExceeded) cuts the rate to 70 % of what the
//     service accepted over the last second — the share the other
//     pipelines left — or of the rate itself if nothing was accepted yet,
//     at most once per window: the service counts by the sliding second,
//     so refusals of requests sent within a second of a cut were caused by
//     the traffic before it and say nothing new;
//   - the rate holds for that window — whether the cut was enough is known
//     only after it — then grows back along CUBIC's curve: quickly while
//     far below the rate of the last cut, slowly near it; past it with no
//     refusal, it doubles every half second (others may have finished),
//     never above the ceiling. Refusals that go on cut again, so the rate
//     falls by 30 % a window until they stop;
//   - waiting requests queue in order, and a change of rate re-paces the
//     one at the head at once;
//   - every gap is jittered by ±10 %, so that pipelines started by the same
//     event drift apart instead of moving in lockstep.
//
// Whatever the rate, no sliding second holds more than the ceiling's
// requests, counted as the service counts them.
type limiter struct {
	action  string
	ceiling float64 // requests per second at most
	burst   int     // requests that may go at once after a pause
	log     *cilog.Logger

	mu      sync.Mutex
	start   time.Time   // the first request: slow start's origin
	cutAt   time.Time   // the last cut; zero before the first
	peak    float64     // the rate at the last cut (CUBIC's W_max)
	restore bool        // a cut happened and the ceiling was not reached since
	tokens  float64     // a token bucket filled at the rate, up to burst
	filled  time.Time   // when tokens was last brought up to date
	cost    float64     // the next request's tokens: 1, jittered
	sent    []time.Time // the last ceiling sends, a ring
	next    int
	oks     []time.Time // the last successes, a ring
	nextOK  int
	queue   []*waiter
	changed chan struct{} // closed and replaced when the rate is cut
	refused int
}

type waiter struct{ turn chan struct{} }

const (
	limitWindow = time.Second + 25*time.Millisecond // the service's second, and a margin for clocks
	cubicC      = 1.0                               // CUBIC's scale (requests/s per s³): back to the old peak in about a second
	cubicBeta   = 0.7                               // the share of the rate kept by a cut
)

// errWouldMiss: the request could only be sent after the step's deadline.
var errWouldMiss = errors.New("the rate limit would delay the request past the deadline")

func newLimiter(action string, ceiling, burst int, log *cilog.Logger) *limiter {
	return &limiter{
		action: action, ceiling: float64(ceiling), burst: burst, log: log,
		sent: make([]time.Time, ceiling), oks: make([]time.Time, 2*ceiling), cost: 1, tokens: float64(burst), changed: make(chan struct{}),
	}
}

// rate is the rate the limiter allows at now. Must hold l.mu.
func (l *limiter) rate(now time.Time) float64 {
	floor := l.ceiling / 40
	if l.cutAt.IsZero() {
		if l.start.IsZero() {
			return l.ceiling / 2
		}
		doublings := now.Sub(l.start).Seconds() / 0.25
		return min(l.ceiling, l.ceiling/2*math.Exp2(doublings))
	}
	t := max(0, now.Sub(l.cutAt.Add(limitWindow)).Seconds())
	k := math.Cbrt(l.peak * (1 - cubicBeta) / cubicC)
	r := cubicC*math.Pow(t-k, 3) + l.peak
	if t > k {
		// Past the old peak without a refusal: the others may have
		// finished. Probe as slow start does, doubling every half second.
		r = max(r, l.peak*math.Exp2((t-k)/0.5))
	}
	return max(floor, min(l.ceiling, r))
}

// earliest is when the next request may go, at the rate of now. Must
// hold l.mu.
func (l *limiter) earliest(now time.Time) time.Time {
	l.fill(now)
	rate := l.rate(now)
	at := now
	// A jittered cost may exceed a burst of 1: the bucket cannot hold it.
	if need := min(l.cost, float64(l.burst)); l.tokens < need {
		at = now.Add(time.Duration((need - l.tokens) / rate * float64(time.Second)))
	}
	if oldest := l.sent[l.next]; !oldest.IsZero() && oldest.Add(limitWindow).After(at) {
		at = oldest.Add(limitWindow)
	}
	return at
}

// fill brings the bucket up to now, at the rate of now. Must hold l.mu.
func (l *limiter) fill(now time.Time) {
	if !l.filled.IsZero() && now.After(l.filled) {
		l.tokens = min(float64(l.burst), l.tokens+l.rate(now)*now.Sub(l.filled).Seconds())
	}
	l.filled = maxTime(l.filled, now)
}

// recheck bounds how long the head of the queue sleeps before it looks at
// the rate again: a rate that grows brings its turn forward.
const recheck = 100 * time.Millisecond

// wait blocks until a request may be sent, in turn, and returns when it
// was let go; the request must be sent at once. It fails with the
// context's error, or errWouldMiss when its turn would come after the
// context's deadline.
func (l *limiter) wait(ctx context.Context) (time.Time, error) {
	w := &waiter{turn: make(chan struct{})}
	l.mu.Lock()
	l.queue = append(l.queue, w)
	if len(l.queue) == 1 {
		close(w.turn)
	}
	if deadline, ok := ctx.Deadline(); ok {
		gap := time.Duration(float64(time.Second) / l.rate(time.Now()))
		if l.earliest(time.Now()).Add(time.Duration(len(l.queue)-1) * gap).After(deadline) {
			l.leave(w)
			l.mu.Unlock()
			return time.Time{}, errWouldMiss
		}
	}
	l.mu.Unlock()

	select {
	case <-w.turn:
	case <-ctx.Done():
		return time.Time{}, l.quit(w, ctx.Err())
	}
	for {
		l.mu.Lock()
		now := time.Now()
		at := l.earliest(now)
		if !at.After(now) {
			l.send(now)
			l.leave(w)
			l.mu.Unlock()
			return now, nil
		}
		if deadline, ok := ctx.Deadline(); ok && at.After(deadline) {
			l.leave(w)
			l.mu.Unlock()
			return time.Time{}, errWouldMiss
		}
		changed := l.changed
		l.mu.Unlock()
		t := time.NewTimer(min(recheck, at.Sub(now)))
		select {
		case <-t.C:
		case <-changed: // re-paced: compute the turn again
		case <-ctx.Done():
			t.Stop()
			return time.Time{}, l.quit(w, ctx.Err())
		}
		t.Stop()
	}
}

func (l *limiter) quit(w *waiter, err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leave(w)
	return err
}

// send records a request let go at now. Must hold l.mu.
func (l *limiter) send(now time.Time) {
	if l.start.IsZero() {
		l.start = now
	}
	if rate := l.rate(now); l.restore && rate >= l.ceiling {
		l.restore = false
		l.log.Infof("%s: no longer throttled, back to %.1f/s", l.action, rate)
	}
	l.tokens -= l.cost
	l.cost = 0.9 + 0.2*rand.Float64()
	l.sent[l.next] = now
	l.next = (l.next + 1) % len(l.sent)
}

// leave takes w out of the queue and gives the turn to the next one if w
// had it. Must hold l.mu.
func (l *limiter) leave(w *waiter) {
	for i, q := range l.queue {
		if q == w {
			l.queue = append(l.queue[:i], l.queue[i+1:]...)
			if i == 0 && len(l.queue) > 0 {
				close(l.queue[0].turn)
			}
			return
		}
	}
}

// throttled takes in that the request sent at sentAt was refused for rate:
// the first such refusal of a window cuts the rate, and the waiting
// requests are re-paced at once.
func (l *limiter) throttled(sentAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refused++
	if !l.cutAt.IsZero() && sentAt.Before(l.cutAt.Add(limitWindow)) {
		return // caused by the traffic before the last cut
	}
	now := time.Now()
	l.peak = l.rate(now)
	if accepted := l.accepted(now); accepted > 0 {
		// What the others left us; with nothing accepted yet there is
		// no share to measure, and the rate itself is cut.
		l.peak = max(l.ceiling/40, min(l.peak, accepted))
	}
	l.cutAt, l.restore = now, true
	// Spend what was saved up: the next request goes at the new rate.
	l.fill(now)
	l.tokens = min(l.tokens, 0)
	close(l.changed)
	l.changed = make(chan struct{})
	l.log.Infof("%s: throttled by TCR, slowing to %.1f/s", l.action, l.rate(now))
}

// succeeded records a request the service accepted.
func (l *limiter) succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.oks[l.nextOK] = time.Now()
	l.nextOK = (l.nextOK + 1) % len(l.oks)
}

// accepted is the rate the service accepted over the last window. Early
// in a run it is low, as the window is not full yet: a cut made then is
// deep, which is right when pipelines started together.
func (l *limiter) accepted(now time.Time) float64 {
	n := 0
	for _, t := range l.oks {
		if !t.IsZero() && now.Sub(t) < limitWindow {
			n++
		}
	}
	return float64(n) / limitWindow.Seconds()
}

// current is the rate allowed now.
func (l *limiter) current() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate(time.Now())
}

// refusals is how many requests TCR refused for rate.
func (l *limiter) refusals() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
