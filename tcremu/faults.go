package tcremu

import (
	"cmp"
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/wire"
)

// Fault makes the emulator misbehave for matching requests, the way a
// network, a proxy, a compromised middlebox or the service itself does.
//
// Two things are decided for each request: whether the action is carried
// out, and what goes on the wire. The action is carried out unless the
// fault answers instead of it — Code, Status or Flood, or Drop — without
// AfterApply. On the wire goes the fault's own answer if it has one (an
// API error, a raw Status and Body, a Flood of bytes), else the service's
// answer, changed by Rewrite; then it is delivered as the fault says:
// dropped, cut short, trickled, gzip-encoded.
type Fault struct {
	Action string // the X-TC-Action it applies to; "" means every action
	Times  int    // how many matching requests it applies to; 0 means all
	// When, if set, narrows it to requests whose body holds this text,
	// e.g. `"ImageVersion":"prd"` for one tag's lookups.
	When string

	Code    string // answer this API error (HTTP 200, as the service does)
	Message string

	Status      int               // answer this raw HTTP status and Body instead
	Body        string            // e.g. a proxy's HTML error page, or `{"Response":null}`
	ContentType string            // default text/html (application/json for a Rewrite or Flood)
	Header      map[string]string // extra answer headers, e.g. Location for a redirect

	// Flood answers this many bytes of a JSON-looking body that never
	// ends, as a hostile front might, streamed without holding it.
	Flood int64
	// Rewrite changes the service's own JSON answer before it goes out,
	// e.g. DropFields("Digest") or SetFields(...).
	Rewrite func(body []byte) []byte

	Delay      time.Duration // wait before answering; ends early if the client goes away
	Drop       bool          // close the connection without an answer
	AfterApply bool          // carry the action out first, whatever the answer then is
	Cut        bool          // send the headers with the whole Content-Length, then half the body, then close
	Trickle    time.Duration // send the body one byte every Trickle
	Gzip       bool          // send the body gzip-encoded (Content-Encoding: gzip)
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
func (e *Emulator) takeFault(action, body string) *Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, f := range e.faults {
		if f.Action != "" && f.Action != action || f.When != "" && !strings.Contains(body, f.When) {
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
func (f *Fault) wait(ctx context.Context) bool { return wire.Pause(ctx, f.Delay) }

// hasAnswer reports whether the fault brings an answer of its own.
func (f *Fault) hasAnswer() bool { return f.Code != "" || f.Status != 0 || f.Flood > 0 }

// instead reports whether the fault answers in place of the service, the
// action not carried out.
func (f *Fault) instead() bool { return !f.AfterApply && (f.hasAnswer() || f.Drop) }

// shape turns the service's answer into the fault's.
func (f *Fault) shape(a wire.Answer, requestID string) wire.Answer {
	switch {
	case f.Code != "":
		msg := f.Message
		if msg == "" {
			msg = "injected fault"
		}
		a = wire.Answer{Status: http.StatusOK, ContentType: "application/json", Body: api3.ErrorBody(requestID, &api3.Error{Code: f.Code, Message: msg})}
	case f.Flood > 0:
		a = wire.Answer{Status: cmp.Or(f.Status, http.StatusOK), ContentType: "application/json", Flood: f.Flood}
	case f.Status != 0:
		a = wire.Answer{Status: f.Status, ContentType: "text/html", Body: []byte(f.Body)}
	case f.Rewrite != nil:
		a.Body = f.Rewrite(a.Body)
	}
	if f.ContentType != "" {
		a.ContentType = f.ContentType
	}
	return a
}

// deliver writes the answer as the fault says: whole, dropped, cut short,
// trickled or gzip-encoded.
func (f *Fault) deliver(w http.ResponseWriter, r *http.Request, a wire.Answer) {
	wire.Delivery{Header: f.Header, Drop: f.Drop, Cut: f.Cut, Trickle: f.Trickle, Gzip: f.Gzip}.Deliver(w, r, a)
}

type hook struct {
	action string
	after  bool // after the action was carried out, before the answer goes out
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

// AfterRequest calls fn after the emulator has carried out (or refused)
// each request for action, before its answer goes out: e.g. someone else
// writing a tag while a copy's answer is on its way.
func (e *Emulator) AfterRequest(action string, fn func(n int)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hooks = append(e.hooks, hook{action: action, after: true, fn: fn})
}

func (e *Emulator) runHooks(action string, after bool) {
	e.mu.Lock()
	var run []func()
	for i := range e.hooks {
		h := &e.hooks[i]
		if h.action == action && h.after == after {
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
func (e *Emulator) limit(action string) *api3.Error {
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
		return api3.Errorf("RequestLimitExceeded", "The request rate of `%s` exceeds %d per second.", action, w.limit)
	}
	w.times = append(w.times, now)
	return nil
}

// WithLatency delays every answer by d, like a CI runner far from the API
// (round trips of 50–200 ms). Requests are logged on arrival, before it.
func WithLatency(d time.Duration) Option {
	return func(e *Emulator) { e.latency = d }
}
