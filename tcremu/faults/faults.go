// Package faults is how the emulators misbehave on purpose: the faults a
// test injects (an API error, a raw status, a flood, a rewrite, a drop, a
// cut, a trickle), the hooks that run around a request, and the service's
// own sliding-second rate limit. The emulator asks a Book, per request,
// what to do; nothing here knows TCR's model.
package faults

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

// Wait sleeps for the fault's delay; false if the client went away.
func (f *Fault) Wait(ctx context.Context) bool { return wire.Pause(ctx, f.Delay) }

// hasAnswer reports whether the fault brings an answer of its own.
func (f *Fault) hasAnswer() bool { return f.Code != "" || f.Status != 0 || f.Flood > 0 }

// Instead reports whether the fault answers in place of the service, the
// action not carried out.
func (f *Fault) Instead() bool { return !f.AfterApply && (f.hasAnswer() || f.Drop) }

// Shape turns the service's answer into the fault's.
func (f *Fault) Shape(a wire.Answer, requestID string) wire.Answer {
	switch {
	case f.Code != "":
		msg := cmp.Or(f.Message, "injected fault")
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

// Deliver writes the answer as the fault says: whole, dropped, cut short,
// trickled or gzip-encoded.
func (f *Fault) Deliver(w http.ResponseWriter, r *http.Request, a wire.Answer) {
	wire.Delivery{Header: f.Header, Drop: f.Drop, Cut: f.Cut, Trickle: f.Trickle, Gzip: f.Gzip}.Deliver(w, r, a)
}

// Book holds the injected faults and hooks; safe for concurrent use, its
// zero value ready.
type Book struct {
	mu     sync.Mutex
	faults []*Fault
	hooks  []hook
}

type hook struct {
	action string
	after  bool // after the action was carried out, before the answer goes out
	fn     func(n int)
	n      int
}

// Inject adds a fault. Faults apply in the order they were added; one with
// Times left is consumed before the next is considered.
func (b *Book) Inject(f Fault) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults = append(b.faults, &f)
}

// Clear removes every fault.
func (b *Book) Clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults = nil
}

// Take returns the fault for this request, consuming one of its Times;
// nil when none applies.
func (b *Book) Take(action, body string) *Fault {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, f := range b.faults {
		if f.Action != "" && f.Action != action || f.When != "" && !strings.Contains(body, f.When) {
			continue
		}
		c := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				b.faults = append(b.faults[:i:i], b.faults[i+1:]...)
			}
		}
		return &c
	}
	return nil
}

// Hook calls fn around each request for action — before it is handled,
// or after it was carried out (or refused) when after is set — with n
// counting those requests from 1. fn runs without any lock, so it may
// change the emulator's state.
func (b *Book) Hook(action string, after bool, fn func(n int)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hooks = append(b.hooks, hook{action: action, after: after, fn: fn})
}

// RunHooks runs the hooks of action, before or after.
func (b *Book) RunHooks(action string, after bool) {
	b.mu.Lock()
	var run []func()
	for i := range b.hooks {
		h := &b.hooks[i]
		if h.action == action && h.after == after {
			h.n++
			fn, n := h.fn, h.n
			run = append(run, func() { fn(n) })
		}
	}
	b.mu.Unlock()
	for _, fn := range run {
		fn()
	}
}

// Window is a sliding one-second request counter: the service's own rate
// limit for one action.
type Window struct {
	mu    sync.Mutex
	limit int
	times []time.Time
}

// NewWindow admits perSecond requests in any sliding second.
func NewWindow(perSecond int) *Window { return &Window{limit: perSecond} }

// Admit counts a request arriving now; false when it is over the limit.
func (w *Window) Admit(now func() time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Read the clock under the window's lock, so that the times stay in
	// order however many requests arrive at once.
	t := now()
	cut := 0
	for cut < len(w.times) && t.Sub(w.times[cut]) >= time.Second {
		cut++
	}
	w.times = w.times[cut:]
	if len(w.times) >= w.limit {
		return false
	}
	w.times = append(w.times, t)
	return true
}

// Limit is the window's requests per second.
func (w *Window) Limit() int { return w.limit }
