package promote

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
)

// Promote runs every promotion of the settings concurrently — lookups,
// copies and read-backs overlap — paced by the per-action rate limiters,
// keeps going when one fails, calls done as each ends, and returns the
// results in promotion order.
func (p *Promoter) Promote(ctx context.Context, done func(Result)) []Result {
	pairs := p.cfg.Pairs
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
			wg.Go(func() { _, _ = p.resolve(ctx, src) }) // memoized: a panic comes back to the promotions
		}
		wg.Wait()
	}
	var finished atomic.Int64
	stop := p.progress(len(pairs), &finished)
	defer stop()
	g := &gate{limit: p.inFlight}
	g.cond = sync.NewCond(&g.mu)
	var wg sync.WaitGroup
	for i, pair := range pairs {
		g.enter()
		wg.Go(func() {
			defer g.leave()
			results[i] = p.guarded(ctx, pair)
			finished.Add(1)
			done(results[i])
		})
	}
	wg.Wait()
	p.bg.Wait()
	return results
}

// guarded is promote with the last resort, as at the step's top: a panic
// in a promotion's goroutine would end the process with no outputs at all.
func (p *Promoter) guarded(ctx context.Context, pair settings.Pair) (res Result) {
	defer func() {
		if v := recover(); v != nil {
			res = Result{Source: pair.Source, Destination: pair.Destination, Err: failure.Panicked(v)}
		}
	}()
	return p.promote(ctx, pair)
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
func (p *Promoter) inFlight() int {
	action := "DuplicateImage"
	if p.cfg.Personal {
		action = "DuplicateImagePersonal"
	}
	return min(tcrapi.MaxInFlight, 2+int(p.api.Rate(action)))
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
func (p *Promoter) progress(total int, done *atomic.Int64) (stop func()) {
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
				p.log.Infof("progress: %d/%d done, %.1f/s", n, total, float64(n)/time.Since(start).Seconds())
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

func distinctSources(pairs []settings.Pair) []imageref.Ref {
	seen := map[imageref.Ref]bool{}
	var out []imageref.Ref
	for _, pair := range pairs {
		if !seen[pair.Source] {
			seen[pair.Source] = true
			out = append(out, pair.Source)
		}
	}
	return out
}
