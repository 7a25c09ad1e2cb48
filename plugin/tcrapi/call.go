package tcrapi

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/pace"
)

// Do runs one API action: one attempt, then retries of transient failures
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
func Do[T any](ctx context.Context, c *Client, action string, send func(ctx context.Context) (T, string, error), check ...ResendCheck) (T, string, error) {
	var zero T
	var last *failure.Error
	lim := c.limiters[action]
	for retry := 0; ; {
		if last != nil && last.Ambiguous && len(check) > 0 {
			if err := check[0](ctx, last); err != nil {
				return zero, "", err
			}
		}
		var turn pace.Turn
		if lim != nil {
			// Every attempt, retries included, takes its turn under the
			// action's limit: staying under it beats bouncing off it.
			var err error
			if turn, err = lim.Wait(ctx); err != nil {
				return zero, "", late(ctx, action, last, err, c.opts.Timeout)
			}
		}
		if last != nil && !isThrottle(last) {
			c.log.For(ctx).Infof("%s: retry %d of %d after %s (%s)", action, retry, c.opts.Retries, last.Code, last.Message)
		}
		v, id, err := attempt(ctx, c, action, send)
		if lim != nil {
			switch {
			case err != nil && isThrottle(err):
				lim.Refused(turn)
			case err == nil || err.RequestID != "":
				// Any answer but a refusal for rate held a slot of
				// the limit, an error as much as a success.
				lim.Accepted(turn)
			}
		}
		if err == nil {
			return v, id, nil
		}
		last = err
		if ctx.Err() != nil {
			return zero, "", failure.OutOfTime(err, c.opts.Timeout)
		}
		if lim != nil && isThrottle(err) {
			continue
		}
		if !err.Temporary() || retry >= c.opts.Retries {
			return zero, "", err
		}
		wait := c.backoff(retry)
		retry++
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Waiting would overrun the step's deadline: give up now
			// with the real error rather than a timeout.
			return zero, "", failure.OutOfTime(err, c.opts.Timeout)
		}
		if !c.opts.Clock.Sleep(ctx, wait) {
			return zero, "", ended(ctx, action, last)
		}
	}
}

// late is the error of a call whose turn under the limit would come after
// the step's deadline, or that was cancelled while it waited: the last
// real error, if there was one, else a timeout that gives the limiter's
// figures.
func late(ctx context.Context, action string, last *failure.Error, err error, timeout time.Duration) *failure.Error {
	l, ok := errors.AsType[*pace.LateError](err)
	if !ok || last != nil {
		return failure.OutOfTime(ended(ctx, action, last), timeout)
	}
	return failure.OutOfTime(&failure.Error{Class: failure.ClassTemporary, Action: action, Code: failure.CodeTimeout, Message: l.Error(), Err: l}, timeout)
}

// ResendCheck decides whether a request whose last attempt was ambiguous
// may be sent again: nil sends it.
type ResendCheck func(ctx context.Context, last *failure.Error) error

// Again is the ResendCheck of a request that may simply be sent again
// after an ambiguous attempt: a delete, or a copy onto a name nobody
// else writes.
func Again(context.Context, *failure.Error) error { return nil }

// isThrottle reports whether TCR refused the request for rate.
func isThrottle(e *failure.Error) bool {
	return e.Code == failure.CodeRateLimit || strings.HasPrefix(e.Code, failure.CodeRateLimit+".")
}

// ended is the error of a call that stopped before its next attempt: a
// cancellation if the step was cancelled, else the last real error, else
// (nothing was sent) a timeout.
func ended(ctx context.Context, action string, last *failure.Error) *failure.Error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return failure.Canceled(action, ctx.Err())
	}
	if last != nil {
		return last
	}
	return &failure.Error{Class: failure.ClassTemporary, Action: action, Code: failure.CodeTimeout, Message: "the step's timeout came before the request could be sent", Err: context.DeadlineExceeded}
}

// attempt sends one request under attempt_timeout and classifies its
// outcome.
func attempt[T any](ctx context.Context, c *Client, action string, send func(ctx context.Context) (T, string, error)) (T, string, *failure.Error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	ex := &exchange{}
	start := time.Now()
	v, id, err := send(context.WithValue(actx, exchangeKey{}, ex))
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		e := classify(ctx, action, ex, err)
		c.log.For(ctx).Debugf("%s%s: %s after %s (RequestId %s)", action, subjectOf(ctx), e.Code, took, cmp.Or(e.RequestID, "none"))
		return v, "", e
	}
	c.rtt.add(time.Since(start))
	c.log.For(ctx).Debugf("%s%s: answered in %s (RequestId %s)", action, subjectOf(ctx), took, cmp.Or(id, "none"))
	return v, id, nil
}

type subjectKey struct{}

// About names what the calls made under ctx are about — an image, a
// copy's source and destination — for the debug line each call writes
// with its RequestId.
func About(ctx context.Context, subject string) context.Context {
	return context.WithValue(ctx, subjectKey{}, subject)
}

func subjectOf(ctx context.Context) string {
	if s, _ := ctx.Value(subjectKey{}).(string); s != "" {
		return " " + s
	}
	return ""
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

// Sleep waits d or until ctx is done; false if ctx ended first.
func Sleep(ctx context.Context, d time.Duration) bool {
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

// Stopped is the error of work that stopped between calls, in action: a
// cancellation if the step was cancelled, else its deadline.
func Stopped(ctx context.Context, action string) *failure.Error { return ended(ctx, action, nil) }

// Field returns an answer's field, its zero value where the answer left
// it out: the SDK's models hold every field as a pointer.
func Field[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// roundTrip keeps a moving average of answered round trips: how long a
// promotion's requests take decides how many promotions a batch keeps in
// flight.
type roundTrip struct {
	mu  sync.Mutex
	avg time.Duration
	n   int
}

func (r *roundTrip) add(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		r.avg = d
	} else {
		r.avg += (d - r.avg) / 8
	}
	r.n++
}

func (r *roundTrip) get() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.avg, r.n > 0
}
