// Package testclock is a clock for tests that moves at once: Sleep
// advances it by the time asked and returns, so a test of the step's
// waits — TCR's index lagging ten seconds, a replica catching up, retries
// backing off — takes no wall time. Shared with the emulator
// (tcremu.WithClock(c.Now)), it means the same: the index the step polls
// catches up as the clock the step sleeps on moves.
package testclock

import (
	"context"
	"sync"
	"time"
)

// Clock is a test's clock. Many goroutines may sleep on it at once; each
// sleep moves it on for all, as time would.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New starts a clock at the wall clock's now.
func New() *Clock { return &Clock{now: time.Now()} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep moves the clock on by d at once; false if ctx has ended.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	c.mu.Lock()
	c.now = c.now.Add(max(d, 0))
	c.mu.Unlock()
	return true
}
