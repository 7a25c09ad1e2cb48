package plugin

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// maxInFlight bounds concurrent promotions: far above what 20 copies/s
// with 50–200 ms round trips needs.
const maxInFlight = 64

// batch runs every pair concurrently — lookups, copies and read-backs
// overlap — paced by the per-action rate limiters, keeps going when one
// fails, and returns the results in promotion order.
func (p *promoter) batch(ctx context.Context, pairs []Pair) []Result {
	results := make([]Result, len(pairs))
	if p.verifying() && p.cfg.RegistryDomain == "" && p.cfg.RegistryHost == "" {
		// The domain lookup overlaps the promotions instead of following.
		p.bg.Go(func() { _, _ = p.domain() }) // a panic comes back to whoever asks next
	}
	if len(pairs) > 1 && p.verifying() && !p.cfg.Personal {
		// Resolve each source before the destinations' lookups queue up
		// behind the same rate limiter: every copy waits for its source,
		// so a source lookup stuck behind a hundred others would hold the
		// whole batch. One promotion overlaps the two lookups instead.
		wg := group{dropped: true}
		for _, src := range distinctSources(pairs) {
			wg.Go(func() { _, _ = p.source(ctx, src) }) // memoized: a panic comes back to the promotions
		}
		wg.Wait()
	}
	var done atomic.Int64
	stop := p.progress(len(pairs), &done)
	defer stop()
	g := &gate{limit: p.inFlight}
	g.cond = sync.NewCond(&g.mu)
	var wg sync.WaitGroup
	for i, pair := range pairs {
		g.enter()
		wg.Go(func() {
			defer g.leave()
			defer func() {
				// The last resort, as in Runner.Run: a panic here would
				// end the process with no outputs at all.
				if v := recover(); v != nil {
					results[i] = Result{Source: pair.Source, Destination: pair.Destination, Err: panicked(v)}
					done.Add(1)
					report(p.log, p.cfg.RegistryID, results[i], len(pairs) > 1)
				}
			}()
			results[i] = p.promote(ctx, pair)
			done.Add(1)
			report(p.log, p.cfg.RegistryID, results[i], len(pairs) > 1)
		})
	}
	wg.Wait()
	p.bg.Wait()
	return results
}

// group runs functions in goroutines, guarded: a panic in one is caught,
// and Wait raises it again in the goroutine that waits — where the step's
// recover reports it — unless dropped is set, for background work whose
// result is memoized (sync.OnceValues raises the panic again for every
// later caller).
type group struct {
	wg      sync.WaitGroup
	mu      sync.Mutex
	caught  any
	dropped bool
}

func (g *group) Go(f func()) {
	g.wg.Go(func() {
		defer func() {
			if v := recover(); v != nil {
				g.mu.Lock()
				defer g.mu.Unlock()
				if g.caught == nil {
					g.caught = v
				}
			}
		}()
		f()
	})
}

func (g *group) Wait() {
	g.wg.Wait()
	if g.caught != nil && !g.dropped {
		panic(g.caught)
	}
}

// inFlight is how many promotions may run at once: enough to keep copies
// going at the rate DuplicateImage is paced at now (each promotion spends
// a few round trips around its copy), and no more. A promotion started long
// before its turn to copy reads a destination that may change meanwhile,
// and spends lookups that the other pipelines sharing the limits could use.
func (p *promoter) inFlight() int {
	action := "DuplicateImage"
	if p.cfg.Personal {
		action = "DuplicateImagePersonal"
	}
	l := p.api.limiters[action]
	return min(maxInFlight, 2+int(l.current()))
}

// gate admits up to limit() callers at a time; the limit may change.
type gate struct {
	mu    sync.Mutex
	cond  *sync.Cond
	n     int
	limit func() int
}

func (g *gate) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.n >= g.limit() {
		g.cond.Wait()
	}
	g.n++
}

func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	g.cond.Broadcast()
}

// progress prints n/N done and the rate about every second while a batch
// runs; a single promotion gets no progress line.
func (p *promoter) progress(total int, done *atomic.Int64) (stop func()) {
	if total < 2 {
		return func() {}
	}
	start := time.Now()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				n := done.Load()
				p.log.infof("progress: %d/%d done, %.1f/s", n, total, float64(n)/time.Since(start).Seconds())
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

func distinctSources(pairs []Pair) []Ref {
	seen := map[Ref]bool{}
	var out []Ref
	for _, pair := range pairs {
		if !seen[pair.Source] {
			seen[pair.Source] = true
			out = append(out, pair.Source)
		}
	}
	return out
}
