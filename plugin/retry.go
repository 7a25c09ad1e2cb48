package plugin

import (
	"cmp"
	"context"
	"math/rand/v2"
	"time"
)

// do runs one API action: one attempt, then retries of transient failures
// (class temporary) with backoff, each attempt under its own deadline and
// all of them under ctx's. send performs one attempt and returns the
// RequestId of a success. The error, if any, is the last attempt's,
// classified, with its RequestId.
func (a *api) do(ctx context.Context, action string, send func(ctx context.Context) (string, error)) (string, error) {
	for retry := 0; ; retry++ {
		id, err := a.attempt(ctx, action, send)
		if err == nil {
			return id, nil
		}
		if !err.Temporary() || ctx.Err() != nil || retry >= a.retries {
			return "", err
		}
		wait := a.backoff(retry)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Sleeping would overrun the step's deadline: give up now with
			// the real error rather than a timeout.
			return "", err
		}
		a.log.infof("%s: %s (%s); retry %d of %d in %s", action, err.Code, oneLine(err.Message), retry+1, a.retries, wait.Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return "", err
		}
	}
}

func (a *api) attempt(ctx context.Context, action string, send func(ctx context.Context) (string, error)) (string, *Error) {
	// Every attempt, retries included, takes its turn under the action's
	// limit: staying under it beats bouncing off it.
	if l := a.limiters[action]; l != nil {
		if err := l.wait(ctx); err != nil {
			// The limiter says "would exceed the deadline" before the
			// context knows; a cancelled step must still read as one.
			return "", classify(ctx, action, 0, cmp.Or(ctx.Err(), context.DeadlineExceeded))
		}
	}
	actx, cancel := context.WithTimeout(ctx, a.attemptTimeout)
	defer cancel()
	rec := &attempt{}
	id, err := send(context.WithValue(actx, attemptKey{}, rec))
	if err == nil {
		return id, nil
	}
	return "", classify(ctx, action, rec.status, err)
}

// jitterBackoff is exponential backoff with full jitter: a uniform wait in
// [0, min(max, base·2^retry)), so that many pipelines retrying together
// spread out instead of striking in step.
func jitterBackoff(base, max time.Duration) func(int) time.Duration {
	return func(retry int) time.Duration {
		ceiling := max
		if retry < 30 && base<<retry < max {
			ceiling = base << retry
		}
		return rand.N(ceiling)
	}
}

// sleep waits d or until ctx is done; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
