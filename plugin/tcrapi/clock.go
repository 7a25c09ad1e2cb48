package tcrapi

import (
	"context"
	"time"
)

// Clock is the step's time where it waits on purpose: the read-back's
// polls while TCR's index lags, the replica wait, the waits between
// retries. The real one sleeps; a test's moves at once — shared with the
// emulator (tcremu.WithClock), so a ten-second wait for the index takes
// no time and means the same. (The rate limiter keeps the real time: its
// rates are proven by pace's simulation.)
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done; false if ctx ended first.
	Sleep(ctx context.Context, d time.Duration) bool
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now() }

func (RealClock) Sleep(ctx context.Context, d time.Duration) bool { return Sleep(ctx, d) }

// Since is the time since start on c.
func Since(c Clock, start time.Time) time.Duration { return c.Now().Sub(start) }
