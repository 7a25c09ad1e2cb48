package tcremu

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Fault makes the emulator misbehave for matching requests, the way a
// network, a proxy or the service itself does. Fields combine: Delay, then
// either an answer (Code, or Status with Body) or Drop; AfterApply with Drop
// carries the action out before the answer is lost.
type Fault struct {
	Action string // the X-TC-Action it applies to; "" means every action
	Times  int    // how many matching requests it applies to; 0 means all

	Code    string // answer this API error (HTTP 200, as the service does)
	Message string

	Status      int    // answer this raw HTTP status and Body instead
	Body        string // e.g. a proxy's HTML error page
	ContentType string // default text/html

	Delay      time.Duration // wait before answering; ends early if the client goes away
	Drop       bool          // close the connection without an answer
	AfterApply bool          // with Drop: apply the action first, then drop the answer
}

// Inject adds a fault. Faults apply in the order they were added; one with
// Times left is consumed before the next is considered.
func (e *Emulator) Inject(f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, &f)
}

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = nil
}

// takeFault returns the fault for this request, consuming one of its Times.
func (e *Emulator) takeFault(action string) *Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, f := range e.faults {
		if f.Action != "" && f.Action != action {
			continue
		}
		c := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				e.faults = append(e.faults[:i:i], e.faults[i+1:]...)
			}
		}
		return &c
	}
	return nil
}

// wait sleeps for the fault's delay; false if the client went away.
func (f *Fault) wait(ctx context.Context) bool { return pause(ctx, f.Delay) }

// pause sleeps for d; false if ctx (the client's request) ended first.
func pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
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

// answers reports whether the fault answers in place of the service.
func (f *Fault) answers() bool {
	return f.Code != "" || f.Status != 0 || (f.Drop && !f.AfterApply)
}

func (f *Fault) answer(w http.ResponseWriter, requestID string) {
	switch {
	case f.Drop:
		dropConnection(w)
	case f.Status != 0:
		ct := f.ContentType
		if ct == "" {
			ct = "text/html"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
	default:
		msg := f.Message
		if msg == "" {
			msg = "injected fault"
		}
		writeError(w, requestID, &apiError{Code: f.Code, Message: msg})
	}
}

// dropConnection closes the connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2): abort the handler, which resets the stream.
	panic(http.ErrAbortHandler)
}

type hook struct {
	action string
	fn     func(n int)
	n      int
}

// OnRequest calls fn before the emulator handles each request for action,
// with n counting those requests from 1. fn runs without the emulator's lock,
// so it may change state (PutImage), e.g. to move a tag between two calls.
func (e *Emulator) OnRequest(action string, fn func(n int)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hooks = append(e.hooks, hook{action: action, fn: fn})
}

func (e *Emulator) runHooks(action string) {
	e.mu.Lock()
	var run []func()
	for i := range e.hooks {
		h := &e.hooks[i]
		if h.action == action {
			h.n++
			fn, n := h.fn, h.n
			run = append(run, func() { fn(n) })
		}
	}
	e.mu.Unlock()
	for _, fn := range run {
		fn()
	}
}

// window is a sliding one-second request counter for one action.
type window struct {
	mu    sync.Mutex
	limit int
	times []time.Time
}

// WithRateLimit makes action answer RequestLimitExceeded past perSecond
// requests in any sliding second, as the real service does (DuplicateImage
// allows 20, DescribeImages 100).
func WithRateLimit(action string, perSecond int) Option {
	return func(e *Emulator) { e.limits[action] = &window{limit: perSecond} }
}

// limit counts the request against its action's window.
func (e *Emulator) limit(action string) *apiError {
	e.mu.Lock()
	w := e.limits[action]
	e.mu.Unlock()
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// Read the clock under the window's lock, so that the times stay in
	// order however many requests arrive at once.
	now := e.now()
	cut := 0
	for cut < len(w.times) && now.Sub(w.times[cut]) >= time.Second {
		cut++
	}
	w.times = w.times[cut:]
	if len(w.times) >= w.limit {
		return errorf("RequestLimitExceeded", "The request rate of `%s` exceeds %d per second.", action, w.limit)
	}
	w.times = append(w.times, now)
	return nil
}

// WithLatency delays every answer by d, like a CI runner far from the API
// (round trips of 50–200 ms). Requests are logged on arrival, before it.
func WithLatency(d time.Duration) Option {
	return func(e *Emulator) { e.latency = d }
}
