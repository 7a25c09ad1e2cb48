package pace

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
)

// Store hands out the turns of an account's actions, shared by every
// pipeline that uses it: a bucket kept elsewhere (ratestore, in Redis).
type Store interface {
	// Reserve books the next turn of action — at most perSecond of them
	// a second, for the whole account — unless that turn would come
	// later than within from now: then it books nothing.
	Reserve(ctx context.Context, action string, perSecond float64, within time.Duration) (Reservation, error)
	// Where names the store for the log, without secrets.
	Where() string
}

// ErrStoreDown is a Store's answer once it has failed: it was said
// then, and is not said again.
var ErrStoreDown = errors.New("the store failed earlier in this run")

// Reservation is a Store's answer.
type Reservation struct {
	Booked bool          // false: the turn would come too late, and none was booked
	Wait   time.Duration // from now until the turn
	Ahead  int           // turns of the account booked before it
}

// LateError says that a request's turn would come after the step's
// deadline, with the figures that show why.
type LateError struct {
	Action string
	In     time.Duration // until the turn
	Ahead  int           // requests queued before it
	Rate   float64       // requests per second they go at
	Store  string        // where the queue is kept; "" for this run's own
}

func (e *LateError) Error() string {
	whose := "of this run"
	if e.Store != "" {
		whose = "of the account in " + e.Store
	}
	return fmt.Sprintf("the turn of the next %s would come in %s, after the step's deadline: %d requests %s queue before it, at %.1f/s", e.Action, e.In.Round(time.Millisecond), e.Ahead, whose, e.Rate)
}

// Limiter paces one action on the real clock: requests wait in promotion
// order (InOrder) — a read-back or a lookup of an earlier promotion goes
// before a later one's — and each goes when its Pace allows, and, with a
// Store, at the turn the Store booked for it.
type Limiter struct {
	action  string
	ceiling int
	log     *cilog.Logger
	store   Store

	mu        sync.Mutex
	pace      *Pace
	queue     []*waiter // in order, then in arrival
	seq       uint64
	changed   chan struct{} // closed and replaced on every change a waiter must see
	turns     []time.Time   // turns booked in the store, not used yet
	booking   int           // bookings under way
	storeDown bool
	holdUntil time.Time // after a refusal with the store: book nothing before
	ahead     int       // the store's queue at the last booking
	booked    bool      // a turn was booked: ahead is known
	throttled bool      // said "throttled" and not yet "back to"
}

type waiter struct {
	order   int
	seq     uint64
	booking bool
}

// NewLimiter returns the limiter of action, allowed ceiling requests a
// second, its first burst spaced or not (New); store may be nil.
func NewLimiter(action string, ceiling int, spaced bool, log *cilog.Logger, store Store) *Limiter {
	return &Limiter{
		action: action, ceiling: max(1, ceiling), log: log, store: store,
		pace: New(ceiling, spaced, rand.Uint64()), changed: make(chan struct{}),
	}
}

// recheck bounds how long the head of the queue sleeps before it looks at
// its turn again.
const recheck = 100 * time.Millisecond

// turnGrace is how late a booked turn may still be taken: late, it stands
// in for its own place in the account's sequence, and no sliding second
// holds more than the ceiling as long as it is less than a second late
// (19 turns). A process slow to wake — many pipelines on few cores —
// would otherwise lose its place and wait a whole round.
const turnGrace = 500 * time.Millisecond

// storeTimeout bounds one booking: past it the store is down for the run.
const storeTimeout = time.Second

// Wait blocks until a request may be sent, in turn, and returns the turn;
// the request must go at once. It fails with the context's error, or a
// *LateError when the turn would come after the context's deadline.
func (l *Limiter) Wait(ctx context.Context) (Turn, error) {
	l.mu.Lock()
	w, i := l.enqueue(ctx)
	if err := l.late(ctx, i); err != nil {
		l.leave(w)
		l.mu.Unlock()
		return Turn{}, err
	}
	for {
		now := time.Now()
		l.dropMissed(now)
		if l.mayBook(w) {
			if err := l.book(ctx, w); err != nil {
				l.leave(w)
				l.mu.Unlock()
				return Turn{}, err
			}
			continue
		}
		sleep := time.Duration(-1) // until something changes
		switch {
		case l.queue[0] != w:
		case l.storeInUse() && now.Before(l.holdUntil):
			sleep = l.holdUntil.Sub(now)
		case l.storeInUse() && len(l.turns) == 0:
			// Another waiter is booking the next turn.
		default:
			at := l.pace.Next(now)
			if l.storeInUse() {
				at = later(at, l.turns[0])
			}
			if !at.After(now) {
				t := l.pace.Take(now)
				if l.storeInUse() {
					l.turns = l.turns[1:]
				}
				l.leave(w)
				l.mu.Unlock()
				return t, nil
			}
			if deadline, ok := ctx.Deadline(); ok && at.After(deadline) {
				l.leave(w)
				l.mu.Unlock()
				return Turn{}, &LateError{Action: l.action, In: at.Sub(now), Rate: l.pace.Rate(now)}
			}
			sleep = min(recheck, at.Sub(now))
		}
		changed := l.changed
		l.mu.Unlock()
		if !pause(ctx, changed, sleep) {
			l.mu.Lock()
			l.leave(w)
			l.mu.Unlock()
			return Turn{}, ctx.Err()
		}
		l.mu.Lock()
	}
}

// pause waits for changed, or for d if it is not negative; false if ctx
// ended first.
func pause(ctx context.Context, changed <-chan struct{}, d time.Duration) bool {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
	case <-changed:
	case <-ctx.Done():
		return false
	}
	return true
}

// late says, as a request joins the queue at position pos, whether its
// turn can come before the deadline at the pace of now. Must hold l.mu.
func (l *Limiter) late(ctx context.Context, pos int) error {
	deadline, ok := ctx.Deadline()
	if !ok || l.storeInUse() {
		return nil // the store's booking says it, with the account's queue
	}
	now := time.Now()
	rate := l.pace.Rate(now)
	at := l.pace.Next(now).Add(time.Duration(float64(pos) / rate * float64(time.Second)))
	if !at.After(deadline) {
		return nil
	}
	return &LateError{Action: l.action, In: at.Sub(now), Ahead: pos, Rate: rate}
}

// storeInUse reports whether turns come from the store. Must hold l.mu.
func (l *Limiter) storeInUse() bool { return l.store != nil && !l.storeDown }

// mayBook reports whether w should book a turn now: the store is in use,
// w is at the head of the queue, and no turn is booked or being booked —
// a pipeline books only its next request's turn, so that the pipelines
// sharing the store alternate. Must hold l.mu.
func (l *Limiter) mayBook(w *waiter) bool {
	return l.storeInUse() && !w.booking && l.booking == 0 && len(l.turns) == 0 && l.queue[0] == w && !time.Now().Before(l.holdUntil)
}

// book asks the store for the next turn, without holding l.mu while it
// waits for the answer. A store that fails is warned about once and left
// for the rest of the run: the pace alone then decides. Must hold l.mu.
func (l *Limiter) book(ctx context.Context, w *waiter) error {
	w.booking, l.booking = true, l.booking+1
	within := time.Duration(1<<63 - 1)
	if deadline, ok := ctx.Deadline(); ok {
		within = time.Until(deadline)
	}
	l.mu.Unlock()
	bctx, cancel := context.WithTimeout(ctx, storeTimeout)
	res, err := l.store.Reserve(bctx, l.action, float64(l.ceiling)/Window.Seconds(), within)
	cancel()
	l.mu.Lock()
	w.booking, l.booking = false, l.booking-1
	defer l.notify()
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		if !l.storeDown && !errors.Is(err, ErrStoreDown) {
			l.log.Warnf("rate_store %s: %v: pacing on its own for the rest of the run (the store is advice; the promotions go on)", l.store.Where(), err)
		}
		l.storeDown = true
	case !res.Booked:
		return &LateError{Action: l.action, In: res.Wait, Ahead: res.Ahead, Rate: float64(l.ceiling) / Window.Seconds(), Store: l.store.Where()}
	default:
		l.turns = append(l.turns, time.Now().Add(res.Wait))
		l.ahead, l.booked = res.Ahead, true
	}
	return nil
}

// enqueue puts a waiter for ctx in the queue, in promotion order, and
// returns it with its place. Must hold l.mu.
func (l *Limiter) enqueue(ctx context.Context) (*waiter, int) {
	l.seq++
	w := &waiter{order: orderOf(ctx), seq: l.seq}
	i, _ := slices.BinarySearchFunc(l.queue, w, func(a, b *waiter) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return int(a.seq) - int(b.seq)
	})
	l.queue = slices.Insert(l.queue, i, w)
	l.notify()
	return w, i
}

// dropMissed forgets the store's turns that passed with nobody there to
// take them. Must hold l.mu.
func (l *Limiter) dropMissed(now time.Time) {
	for len(l.turns) > 0 && now.Sub(l.turns[0]) > turnGrace {
		l.turns = l.turns[1:]
	}
}

// leave takes w out of the queue. Must hold l.mu.
func (l *Limiter) leave(w *waiter) {
	if i := slices.Index(l.queue, w); i >= 0 {
		l.queue = slices.Delete(l.queue, i, i+1)
	}
	l.notify()
}

// notify wakes every waiter to look again. Must hold l.mu.
func (l *Limiter) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// Accepted takes in that the service accepted (or answered, with any
// error but a refusal for rate) the request of t.
func (l *Limiter) Accepted(t Turn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.pace.Accepted(t, now)
	if l.throttled && l.pace.Held() >= l.ceiling-1 {
		l.throttled = false
		l.log.Infof("%s: no longer throttled, back to %.1f/s", l.action, float64(l.ceiling))
	}
}

// Refused takes in that the service refused the request of t for rate.
// With the store in use the pipelines that share it cannot be the cause:
// a job outside it is, and this run holds back for a while before it
// books again, leaving that job room. Without it, the pace adapts.
func (l *Limiter) Refused(t Turn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer l.notify()
	now := time.Now()
	if l.storeInUse() {
		l.pace.refused++
		if now.Before(l.holdUntil) {
			return // holding back already
		}
		l.holdUntil = now.Add(l.pace.jitter(500 * time.Millisecond))
		l.log.Infof("%s: refused for rate by TCR although the turn came from rate_store: a job outside it shares the limit; holding back %s", l.action, l.holdUntil.Sub(now).Round(time.Millisecond))
		return
	}
	first := !l.pace.Shared()
	l.pace.Refused(t, now)
	if first {
		l.throttled = true
		l.log.Infof("%s: throttled by TCR, slowing to %.1f/s: other pipelines share the limit; keeping the slots accepted in the last second, probing for more", l.action, l.pace.Rate(now))
	}
}

// Rate is what the limiter allows now, requests per second: with the
// store, this run's share of it — the ceiling over the pipelines queued
// at the last booking.
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.storeInUse() {
		if !l.booked {
			// The share is unknown until the first booking: assume a
			// small one, so that many pipelines starting together do not
			// queue a burst of lookups in the store before any copy.
			return 1
		}
		return float64(l.ceiling) / float64(l.ahead+1)
	}
	return l.pace.Rate(time.Now())
}

// Refusals is how many requests TCR refused for rate.
func (l *Limiter) Refusals() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pace.Refusals()
}

type orderKey struct{}

// InOrder marks the requests made under ctx as those of promotion n:
// waiting requests go in promotion order. Unmarked ones go first.
func InOrder(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, orderKey{}, n+1)
}

func orderOf(ctx context.Context) int {
	n, _ := ctx.Value(orderKey{}).(int)
	return n
}
