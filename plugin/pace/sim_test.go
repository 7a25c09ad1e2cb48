package pace

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The simulation: N pipelines, each a Pace and a number of copies to make
// with a few in flight, against one service that accepts a request when
// fewer than limit were accepted in the second before it arrived — TCR's
// DuplicateImage limit as the emulator plays it. Time is simulated: every
// run with the same seed is the same run.

type simConfig struct {
	pipelines int
	work      int           // copies per pipeline
	limit     int           // the service's, per sliding second
	rtt       time.Duration // round trip, ± a tenth of it
	inFlight  int
	stagger   time.Duration // pipeline i starts at i·stagger
	seed      uint64
}

type simPipeline struct {
	pace             *Pace
	start, finished  time.Time
	left, inFlight   int
	accepted, refuse int
	wake             int // generation of the pending send event: older ones are stale
}

type simResult struct {
	end       time.Duration   // the last pipeline's finish, from the first start
	accepted  int             // copies made
	refused   int             // requests refused
	perSecond []int           // accepted per simulated second
	refusedAt []int           // refused per simulated second
	finished  []time.Duration // each pipeline's finish, from its own start
	sharesAt  [][]int         // accepted per pipeline, per second
}

type event struct {
	at   time.Time
	seq  int
	kind int // 0 send, 1 arrive, 2 answer
	p    int
	gen  int
	turn Turn
	ok   bool
}

type events []*event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(*event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

func simulate(c simConfig) simResult {
	rnd := rand.New(rand.NewPCG(c.seed, 7))
	epoch := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ps := make([]*simPipeline, c.pipelines)
	q := &events{}
	seq := 0
	push := func(e *event) {
		seq++
		e.seq = seq
		heap.Push(q, e)
	}
	schedule := func(i int, now time.Time) {
		p := ps[i]
		if p.left-p.inFlight <= 0 || p.inFlight >= c.inFlight || now.Before(p.start) {
			return
		}
		p.wake++
		push(&event{at: p.pace.Next(now), kind: 0, p: i, gen: p.wake})
	}
	for i := range ps {
		// Each starts after its process's start-up and its first lookup.
		start := epoch.Add(time.Duration(i)*c.stagger + c.rtt + time.Duration(rnd.Int64N(int64(10*time.Millisecond))))
		ps[i] = &simPipeline{pace: New(c.limit, true, c.seed*1000+uint64(i)), start: start, left: c.work}
		push(&event{at: ps[i].start, kind: 0, p: i, gen: 0})
	}
	var window []time.Time // the service's accepted arrivals, last second
	res := simResult{finished: make([]time.Duration, c.pipelines)}
	oneWay := func() time.Duration { return c.rtt/2 + time.Duration(rnd.Int64N(int64(c.rtt/10)+1)) - c.rtt/20 }
	var last time.Time
	for q.Len() > 0 {
		e := heap.Pop(q).(*event)
		now := e.at
		p := ps[e.p]
		switch e.kind {
		case 0:
			if e.gen != p.wake || p.left-p.inFlight <= 0 || p.inFlight >= c.inFlight {
				continue
			}
			if next := p.pace.Next(now); next.After(now) {
				p.wake++
				push(&event{at: next, kind: 0, p: e.p, gen: p.wake})
				continue
			}
			t := p.pace.Take(now)
			p.inFlight++
			push(&event{at: now.Add(oneWay()), kind: 1, p: e.p, turn: t})
			schedule(e.p, now)
		case 1:
			cut := 0
			for cut < len(window) && now.Sub(window[cut]) >= time.Second {
				cut++
			}
			window = window[cut:]
			ok := len(window) < c.limit
			if ok {
				window = append(window, now)
			}
			push(&event{at: now.Add(oneWay()), kind: 2, p: e.p, turn: e.turn, ok: ok})
		case 2:
			p.inFlight--
			sec := int(now.Sub(epoch) / time.Second)
			for len(res.perSecond) <= sec {
				res.perSecond = append(res.perSecond, 0)
				res.sharesAt = append(res.sharesAt, make([]int, c.pipelines))
				res.refusedAt = append(res.refusedAt, 0)
			}
			if e.ok {
				p.pace.Accepted(e.turn, now)
				p.left--
				p.accepted++
				res.accepted++
				res.perSecond[sec]++
				res.sharesAt[sec][e.p]++
				if p.left == 0 {
					p.finished = now
					res.finished[e.p] = now.Sub(p.start)
					last = now
				}
			} else {
				p.pace.Refused(e.turn, now)
				p.refuse++
				res.refused++
				res.refusedAt[sec]++
			}
			schedule(e.p, now)
		}
	}
	res.end = last.Sub(epoch)
	return res
}

func (r simResult) rate() float64 { return float64(r.accepted) / r.end.Seconds() }

// TestSimulation: pipelines started together converge on the limit
// within a second and stay there — every second at the limit, only
// probes refused — each keeps a share until it finishes, and together
// they reach the rate and the refusals the benchmark holds the real
// binaries to (a copy is about a third of a real run's requests: 25
// refusals per 100 copies are about 7 % of all requests). It asserts what
// the simulated service saw, never the real clock.
func TestSimulation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		c          simConfig
		minRate    float64 // promotions/s together, over the whole run, in every run
		meanRate   float64 // the same, on average
		maxRefused float64 // refused per copy made
	}{
		{"lone", simConfig{pipelines: 1, work: 100, limit: 20, rtt: 80 * time.Millisecond, inFlight: 8}, 19.5, 19.5, 0},
		{"10 together", simConfig{pipelines: 10, work: 40, limit: 20, rtt: 30 * time.Millisecond, inFlight: 4}, 17.5, 18.6, 0.25},
		{"20 together", simConfig{pipelines: 20, work: 40, limit: 20, rtt: 30 * time.Millisecond, inFlight: 4}, 18, 18.8, 0.45},
		{"50 together", simConfig{pipelines: 50, work: 40, limit: 20, rtt: 30 * time.Millisecond, inFlight: 4}, 18.5, 19, 1.2},
		{"10 staggered", simConfig{pipelines: 10, work: 40, limit: 20, rtt: 80 * time.Millisecond, inFlight: 8, stagger: 700 * time.Millisecond}, 16.5, 17.8, 0.4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const runs = 8
			mean := 0.0
			defer func() {
				if mean < tt.meanRate {
					t.Errorf("%.2f/s together on average, want >= %.1f", mean, tt.meanRate)
				}
			}()
			for seed := range uint64(runs) {
				tt.c.seed = seed + 1
				r := simulate(tt.c)
				mean += r.rate() / runs
				t.Logf("seed %d: %.2f/s, %d refused of %d copies, end %.1fs, finishes %s", seed, r.rate(), r.refused, r.accepted, r.end.Seconds(), spread(r.finished))
				if r.accepted != tt.c.pipelines*tt.c.work {
					t.Fatalf("%d copies made, want %d", r.accepted, tt.c.pipelines*tt.c.work)
				}
				if r.rate() < tt.minRate {
					t.Errorf("seed %d: %.2f/s together, want >= %.1f", seed, r.rate(), tt.minRate)
				}
				if f := float64(r.refused) / float64(r.accepted); f > tt.maxRefused {
					t.Errorf("seed %d: %.2f refused per copy, want <= %.2f", seed, f, tt.maxRefused)
				}
				if tt.c.stagger != 0 {
					continue
				}
				// Converged: from the second second until the first
				// pipeline is done, every second is at the limit, the
				// refusals are probes (each pipeline probes at most
				// once per probeGap/2), and every pipeline has a share.
				first := slices.Min(r.finished)
				for s := 1; s < int(first.Seconds()); s++ {
					if r.perSecond[s] < tt.c.limit-1 {
						t.Errorf("seed %d: second %d: %d accepted, want the limit (%d)", seed, s, r.perSecond[s], tt.c.limit)
					}
					if max := tt.c.pipelines * int(2*time.Second/probeGap+1); r.refusedAt[s] > max {
						t.Errorf("seed %d: second %d: %d refused, want only probes (<= %d)", seed, s, r.refusedAt[s], max)
					}
					if 2*tt.c.pipelines > tt.c.limit {
						continue // a share of one slot or less: some start with none
					}
					for i, n := range r.sharesAt[s] {
						if n == 0 {
							t.Errorf("seed %d: second %d: pipeline %d made no copy while the others did", seed, s, i)
						}
					}
				}
			}
		})
	}
}

func spread(d []time.Duration) string {
	s := slices.Clone(d)
	slices.Sort(s)
	return fmt.Sprintf("%.1f–%.1fs", s[0].Seconds(), s[len(s)-1].Seconds())
}
