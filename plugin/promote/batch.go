package promote

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/pace"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
)

// Promote runs every promotion of the settings concurrently — lookups,
// copies and read-backs overlap — paced by the per-action rate limiters,
// keeps going when one fails, calls done as each ends, and returns the
// results in promotion order.
//
// Every request of promotion i waits in the limiters as the i-th: a
// read-back or a lookup of an earlier promotion goes before a later one's,
// so the first copy waits for its own two lookups only, and a source
// shared by many promotions is read at the turn of the first that needs it.
func (p *Promoter) Promote(ctx context.Context, done func(promotion.Result)) []promotion.Result {
	pairs := p.cfg.Pairs
	if results := p.preflight(ctx); results != nil {
		for _, res := range results {
			done(res)
		}
		return results
	}
	results := make([]promotion.Result, len(pairs))
	if p.verifying() && p.cfg.RegistryDomain == "" && p.cfg.RegistryHost == "" {
		// The domain lookup overlaps the promotions instead of following.
		p.bg.Go(func() { _, _ = p.domain() }) // a panic comes back to whoever asks next
	}
	// So does the registry's token: the referrers are read beside the
	// copy, and need it first.
	p.carry.OpenRegistry()
	var finished atomic.Int64
	stop := p.progress(len(pairs), &finished)
	defer stop()
	g := pace.NewSlots(p.inFlight)
	defer g.Close()
	var wg sync.WaitGroup
	for i, pair := range pairs {
		g.Enter()
		wg.Go(func() {
			defer g.Leave()
			pctx := pace.InOrder(ctx, i)
			var section *cilog.Logger
			if len(pairs) > 1 {
				// A batch's lines come out in promotion order: each
				// promotion's kept until it is told.
				section = p.log.Section()
				pctx = cilog.Into(pctx, section)
			}
			results[i] = p.promoteSafely(pctx, pair)
			results[i].Log = section
			finished.Add(1)
			done(results[i])
		})
	}
	wg.Wait()
	p.stages.Cleanup()
	p.bg.Wait()
	// What background work wrote into a section after its promotion was
	// told still goes out, last, rather than nowhere.
	for _, res := range results {
		res.Log.Flush()
	}
	return results
}

// promoteSafely is promote with the last resort, as at the step's top: a panic
// in a promotion's goroutine would end the process with no outputs at all.
func (p *Promoter) promoteSafely(ctx context.Context, pair settings.Pair) (res promotion.Result) {
	defer func() {
		if v := recover(); v != nil {
			res = promotion.Result{Source: pair.Source, Destination: pair.Destination, Err: failure.Panicked(v)}
		}
	}()
	return p.promote(ctx, pair)
}

// inFlight is how many promotions may run at once: enough to keep copies
// going at the rate DuplicateImage is paced at now — each promotion
// spends about three round trips (its lookups, the copy, the read-back)
// and a little waiting — and no more: a promotion started long before its
// turn to copy reads a destination that may change meanwhile, and spends
// lookups that the other pipelines sharing the limits could use. Until a
// round trip is measured, three.
func (p *Promoter) inFlight() int {
	action := "DuplicateImage"
	if p.cfg.Personal {
		action = "DuplicateImagePersonal"
	}
	rtt, ok := p.api.RoundTrip()
	if !ok {
		return 3
	}
	busy := 3*rtt + 50*time.Millisecond
	return min(tcrapi.MaxInFlight, 2+int(p.api.Rate(action)*busy.Seconds()))
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
