package plugin

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"
)

// do runs one API action: one attempt, then retries of transient failures
// (class temporary) with backoff, each attempt under its own deadline and
// all of them under ctx's. send performs one attempt and returns its value
// and the RequestId of its answer. On failure the error is an *Error: the
// last real answer, with its RequestId — or a cancellation, wherever the
// step was cancelled.
//
// A request refused for rate (RequestLimitExceeded) was not carried out:
// sending it again is always safe. It goes back to the action's limiter,
// which slows down, and does not count against retries; only the step's
// deadline bounds it.
//
// A request whose last attempt was ambiguous — sent, and no answer says
// what became of it — may have been carried out: before it is sent again,
// check (if given) decides whether it may be; an error from check ends the
// call with that error.
func do[T any](ctx context.Context, a *api, action string, send func(ctx context.Context) (T, string, error), check ...resendCheck) (T, string, error) {
	var zero T
	var last *Error
	lim := a.limiters[action]
	for retry := 0; ; {
		if last != nil && last.Ambiguous && len(check) > 0 {
			if err := check[0](ctx, last); err != nil {
				return zero, "", err
			}
		}
		sentAt := time.Now()
		if lim != nil {
			// Every attempt, retries included, takes its turn under the
			// action's limit: staying under it beats bouncing off it.
			var err error
			if sentAt, err = lim.wait(ctx); err != nil {
				// The limiter sees the deadline coming before the context
				// does: that is the last real error's end, not a new one.
				return zero, "", outOfTime(ended(ctx, action, last), a.timeout)
			}
		}
		if last != nil && !isThrottle(last) {
			a.log.infof("%s: retry %d of %d after %s (%s)", action, retry, a.retries, last.Code, last.Message)
		}
		v, id, err := attempt(ctx, a, action, send)
		if err == nil {
			if lim != nil {
				lim.succeeded()
			}
			return v, id, nil
		}
		last = err
		if ctx.Err() != nil {
			return zero, "", outOfTime(err, a.timeout)
		}
		if lim != nil && isThrottle(err) {
			lim.throttled(sentAt)
			continue
		}
		if !err.Temporary() || retry >= a.retries {
			return zero, "", err
		}
		wait := a.backoff(retry)
		retry++
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Waiting would overrun the step's deadline: give up now
			// with the real error rather than a timeout.
			return zero, "", outOfTime(err, a.timeout)
		}
		if !sleep(ctx, wait) {
			return zero, "", ended(ctx, action, last)
		}
	}
}

// resendCheck decides whether a request whose last attempt was ambiguous
// may be sent again: nil sends it.
type resendCheck func(ctx context.Context, last *Error) error

// isThrottle reports whether TCR refused the request for rate.
func isThrottle(e *Error) bool {
	return e.Code == codeRateLimit || strings.HasPrefix(e.Code, codeRateLimit+".")
}

// ended is the error of a call that stopped before its next attempt: a
// cancellation if the step was cancelled, else the last real error, else
// (nothing was sent) a timeout.
func ended(ctx context.Context, action string, last *Error) *Error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return canceled(action, ctx.Err())
	}
	if last != nil {
		return last
	}
	return &Error{Class: ClassTemporary, Action: action, Code: CodeTimeout, Message: "the step's timeout came before the request could be sent", Err: context.DeadlineExceeded}
}

// attempt sends one request under attempt_timeout and classifies its
// outcome.
func attempt[T any](ctx context.Context, a *api, action string, send func(ctx context.Context) (T, string, error)) (T, string, *Error) {
	actx, cancel := context.WithTimeout(ctx, a.attemptTimeout)
	defer cancel()
	ex := &exchange{}
	v, id, err := send(context.WithValue(actx, exchangeKey{}, ex))
	if err != nil {
		return v, "", classify(ctx, action, ex, err)
	}
	return v, id, nil
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
