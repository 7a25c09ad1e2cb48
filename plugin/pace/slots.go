package pace

import (
	"sync"
	"time"
)

// Slots admit up to limit() callers at a time — a batch's promotions in
// flight; the limit may change with the pace, so it looks again every
// tick as well as when a caller leaves.
type Slots struct {
	mu    sync.Mutex
	cond  *sync.Cond
	n     int
	limit func() int
	quit  chan struct{}
	done  sync.WaitGroup
}

// NewSlots admits up to limit() at a time; Close stops its ticker.
func NewSlots(limit func() int) *Slots {
	g := &Slots{limit: limit, quit: make(chan struct{})}
	g.cond = sync.NewCond(&g.mu)
	g.done.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-g.quit:
				return
			case <-t.C:
				g.cond.Broadcast()
			}
		}
	})
	return g
}

// Enter waits for a slot.
func (g *Slots) Enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.n >= g.limit() {
		g.cond.Wait()
	}
	g.n++
}

// Leave gives the slot back.
func (g *Slots) Leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	g.cond.Broadcast()
}

// Close stops the slots' ticker.
func (g *Slots) Close() {
	close(g.quit)
	g.done.Wait()
}
