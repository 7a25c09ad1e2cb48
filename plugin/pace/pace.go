// Package pace decides when the step may send each request of one API
// action under a limit that TCR counts on its side, for the whole account
// and by the sliding second: Pace is the decision, free of any clock, so
// that a simulation can run many of them against one limit; Limiter puts
// it on the real clock, serves waiting requests in promotion order, and
// can take turns from a Store that the pipelines of an account share.
package pace

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Window is the service's second and a margin for clocks and jitter: a
// slot the service counted at t is free again at t + 1s, and a renewal
// sent at t + Window arrives after that however the two clocks drift by
// less than the margin.
const Window = time.Second + 25*time.Millisecond

const (
	// startBurst requests may go at once before the first refusal: a lone
	// pipeline gets past the pacing's own gaps without a slow start. A
	// lookup's bucket holds a tenth of its second, if more: a verified
	// promotion reads four times at once (source, destination, cosign
	// tags, then its read-back), and at 3 the fourth waited 11 ms.
	startBurst = 3
	// grace is how long a slot due for renewal waits for a request before
	// it lapses: past it, another pipeline's probe has likely taken it.
	grace = 50 * time.Millisecond
	// probeGap is how often a pipeline probes while the limit is full,
	// on average (jittered by ±50 %): at saturation only probes are
	// refused, N/probeGap a second. Rarer probing refuses less but finds
	// the slots of a pipeline that finished later. Simulated (10
	// pipelines × 40 copies, 30 ms round trips): 2 s, 2.5 s and 3 s gave
	// 18.8, 19.0 and 18.6/s together, with 27, 22 and 19 refusals per
	// 100 copies.
	probeGap = 2500 * time.Millisecond
	// firstProbe is the first probe's gap for a pipeline that holds no
	// slot: a refusal that was a passing crowd costs it a quarter second.
	firstProbe = 250 * time.Millisecond
)

// Kind says how a turn was granted: its outcome teaches something
// different in each case.
type Kind uint8

const (
	Free    Kind = iota // before any refusal: the limit looked free
	Renewal             // re-using a slot this pipeline held a Window ago
	Probe               // trying for a slot beyond those held
)

// Turn is one request let go: when, and how.
type Turn struct {
	At   time.Time
	Kind Kind
}

// Pace is the adaptive pace of one action in one process. Until the first
// refusal it sends at the ceiling — a few at once, then evenly, never
// more than ceiling in any Window — as the AWS SDKs' adaptive mode does.
// The first refusal says that other pipelines share the limit; from then
// on it keeps the slots the service accepted, as a sliding-second limit
// frees each exactly a second after it was taken: every accepted request
// is followed, a Window after it was sent, by the next one (a renewal),
// and a slot not used then lapses to whoever probes next. Besides its
// renewals a pipeline probes for more: an accepted probe is a freed slot
// won, and the next probe goes at once, at the ceiling's pace, as a
// pipeline that finished frees all its slots; a refused one says the
// limit is full, and probing falls back to one every probeGap, jittered
// so that pipelines started together drift apart. Shares are kept, not
// evened out: a pipeline that came first keeps more of the limit until it
// finishes (a shared Store evens them out).
//
// Pace is not safe for concurrent use; Limiter guards it.
type Pace struct {
	ceiling int
	spaced  bool // a burst's requests a third of a gap apart
	rnd     *rand.Rand

	sends    []time.Time // the last ceiling sends, a ring: the cap
	next     int
	accepted []time.Time // when the requests accepted lately were sent, a ring
	nextAcc  int

	tokens float64 // before the first refusal: a bucket of burst
	burst  float64
	filled time.Time

	shared  bool
	slots   []time.Time // renewal times of the slots held, in order
	probeAt time.Time
	gap     time.Duration
	empty   int // probes refused in a row while holding no slot
	refused int
}

// New returns the pace of an action allowed ceiling requests a second;
// seed makes its jitter repeatable. With spaced, even the first burst's
// requests go a third of a gap apart: pipelines started together then
// take turns for the first slots instead of racing, so each gets a share
// (worth it for the copies; a lookup on a promotion's path would only
// wait).
func New(ceiling int, spaced bool, seed uint64) *Pace {
	ceiling = max(1, ceiling)
	burst := float64(startBurst)
	if !spaced {
		burst = max(burst, float64(ceiling/10))
	}
	return &Pace{
		ceiling: ceiling, spaced: spaced, rnd: rand.New(rand.NewPCG(seed, uint64(ceiling))),
		sends: make([]time.Time, ceiling), accepted: make([]time.Time, ceiling),
		tokens: burst, burst: burst,
	}
}

// Next is the earliest time at or after now that a request may go.
func (p *Pace) Next(now time.Time) time.Time {
	at := now
	if !p.shared {
		p.fill(now)
		if p.tokens < 1 {
			at = now.Add(time.Duration((1 - p.tokens) / float64(p.ceiling) * float64(time.Second)))
		}
		if last := p.sends[(p.next+len(p.sends)-1)%len(p.sends)]; p.spaced && !last.IsZero() {
			at = later(at, last.Add(time.Second/time.Duration(startBurst*p.ceiling)))
		}
	} else {
		p.lapse(now)
		at = p.probeAt
		if len(p.slots) > 0 && p.slots[0].Before(at) {
			at = p.slots[0]
		}
	}
	if oldest := p.sends[p.next]; !oldest.IsZero() {
		at = later(at, oldest.Add(Window))
	}
	return later(at, now)
}

// Take grants the turn of a request sent at now, which must not be before
// Next(now).
func (p *Pace) Take(now time.Time) Turn {
	p.sends[p.next] = now
	p.next = (p.next + 1) % len(p.sends)
	if !p.shared {
		p.fill(now)
		p.tokens--
		return Turn{At: now, Kind: Free}
	}
	p.lapse(now)
	if len(p.slots) > 0 && !p.slots[0].After(now) {
		p.slots = p.slots[1:]
		return Turn{At: now, Kind: Renewal}
	}
	p.probeAt = now.Add(p.jitter(p.gap))
	return Turn{At: now, Kind: Probe}
}

// Accepted takes in that the service accepted the request of t, answered
// at now: its slot is held, to be renewed a Window after it was taken.
func (p *Pace) Accepted(t Turn, now time.Time) {
	p.accepted[p.nextAcc] = t.At
	p.nextAcc = (p.nextAcc + 1) % len(p.accepted)
	if !p.shared {
		return
	}
	p.hold(t.At.Add(Window))
	if t.Kind == Probe {
		// A freed slot found: there are likely more (a pipeline that
		// finished frees all of its own). Probe again at once, at the
		// ceiling's pace, until a refusal says the limit is full.
		p.gap = time.Second / time.Duration(p.ceiling)
		p.probeAt = earlier(p.probeAt, now.Add(p.gap))
	}
}

// Refused takes in that the service refused the request of t for rate,
// answered at now.
func (p *Pace) Refused(t Turn, now time.Time) {
	p.refused++
	switch {
	case !p.shared:
		// Others share the limit: keep what was accepted in the last
		// Window, each slot renewed a Window after it was taken.
		p.shared = true
		for _, at := range p.accepted {
			if !at.IsZero() && at.Add(Window).After(now.Add(-grace)) {
				p.hold(at.Add(Window))
			}
		}
		p.saturated(now)
	case t.Kind == Free:
		// Sent before the first refusal was known: nothing new.
	default:
		// The limit is full (or a slot was taken while it lay free).
		p.saturated(now)
	}
}

// Rate is what the pace allows now, requests per second: the ceiling
// before the first refusal; after it, the slots held and the probes.
func (p *Pace) Rate(now time.Time) float64 {
	if !p.shared {
		return float64(p.ceiling)
	}
	p.lapse(now)
	return min(float64(p.ceiling), float64(len(p.slots))/Window.Seconds()+float64(time.Second)/float64(p.gap))
}

// Held is how many slots the pace holds now: the requests accepted in
// the last Window, once shared.
func (p *Pace) Held() int { return len(p.slots) }

// Shared reports whether a refusal has shown that others use the limit.
func (p *Pace) Shared() bool { return p.shared }

// Refusals is how many requests the service refused for rate.
func (p *Pace) Refusals() int { return p.refused }

// saturated sets probing to the rate for a full limit. A pipeline that
// holds no slot has nothing to go on but its probes: they start sooner
// and back off, doubling, to probeGap.
func (p *Pace) saturated(now time.Time) {
	p.gap = probeGap
	if len(p.slots) == 0 {
		p.gap = min(probeGap, firstProbe<<min(p.empty, 8))
		p.empty++
	} else {
		p.empty = 0
	}
	p.probeAt = now.Add(p.jitter(p.gap))
}

// hold adds a slot due for renewal at due.
func (p *Pace) hold(due time.Time) {
	i, _ := slices.BinarySearchFunc(p.slots, due, func(a, b time.Time) int { return a.Compare(b) })
	p.slots = slices.Insert(p.slots, i, due)
}

// lapse drops the slots whose renewal passed unused.
func (p *Pace) lapse(now time.Time) {
	i := 0
	for i < len(p.slots) && p.slots[i].Add(grace).Before(now) {
		i++
	}
	p.slots = p.slots[i:]
}

// fill brings the bucket up to now.
func (p *Pace) fill(now time.Time) {
	if !p.filled.IsZero() && now.After(p.filled) {
		p.tokens = min(p.burst, p.tokens+now.Sub(p.filled).Seconds()*float64(p.ceiling))
	}
	p.filled = later(p.filled, now)
}

// jitter spreads d uniformly over [d/2, 3d/2).
func (p *Pace) jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(p.rnd.Int64N(int64(d)+1))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
