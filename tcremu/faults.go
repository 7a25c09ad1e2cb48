package tcremu

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
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

// hasAnswer reports whether the fault brings an answer of its own.
func (f *Fault) hasAnswer() bool { return f.Code != "" || f.Status != 0 || f.Flood > 0 }

// instead reports whether the fault answers in place of the service, the
// action not carried out.
func (f *Fault) instead() bool { return !f.AfterApply && (f.hasAnswer() || f.Drop) }

// answer is what goes on the wire, before delivery.
type answer struct {
	status      int
	contentType string
	body        []byte
	flood       int64 // stream this many filler bytes instead of body
}

// shape turns the service's answer into the fault's.
func (f *Fault) shape(a answer, requestID string) answer {
	switch {
	case f.Code != "":
		msg := f.Message
		if msg == "" {
			msg = "injected fault"
		}
		a = answer{status: http.StatusOK, contentType: "application/json", body: errorBody(requestID, &apiError{Code: f.Code, Message: msg})}
	case f.Flood > 0:
		a = answer{status: cmpInt(f.Status, http.StatusOK), contentType: "application/json", flood: f.Flood}
	case f.Status != 0:
		a = answer{status: f.Status, contentType: "text/html", body: []byte(f.Body)}
	case f.Rewrite != nil:
		a.body = f.Rewrite(a.body)
	}
	if f.ContentType != "" {
		a.contentType = f.ContentType
	}
	return a
}

func cmpInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// deliver writes the answer as the fault says: whole, dropped, cut short,
// trickled or gzip-encoded.
func (f *Fault) deliver(w http.ResponseWriter, r *http.Request, a answer) {
	if f.Drop {
		dropConnection(w)
		return
	}
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	if f.Cut {
		cutConnection(w, a)
		return
	}
	w.Header().Set("Content-Type", a.contentType)
	var out io.Writer = w
	if f.Gzip {
		w.Header().Set("Content-Encoding", "gzip")
		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		defer gz.Close()
		out = gz
	}
	w.WriteHeader(a.status)
	switch {
	case a.flood > 0:
		flood(r.Context(), out, a.flood)
	case f.Trickle > 0:
		fl, _ := w.(http.Flusher)
		for i := range a.body {
			if !pause(r.Context(), f.Trickle) {
				return
			}
			if _, err := out.Write(a.body[i : i+1]); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
	default:
		_, _ = out.Write(a.body)
	}
}

// flood writes n bytes of a JSON object that never closes, stopping when
// the client goes away.
func flood(ctx context.Context, w io.Writer, n int64) {
	head := `{"Response":{"RequestId":"flood","Filler":"`
	if _, err := io.WriteString(w, head); err != nil {
		return
	}
	chunk := []byte(strings.Repeat("a", 64<<10))
	for left := n - int64(len(head)); left > 0 && ctx.Err() == nil; left -= int64(len(chunk)) {
		if _, err := w.Write(chunk[:min(int64(len(chunk)), left)]); err != nil {
			return
		}
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

// cutConnection writes the answer's status line and headers, announcing
// the whole body, then half of it, and closes the connection: an answer
// cut off mid-body.
func cutConnection(w http.ResponseWriter, a answer) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	writeRaw(buf.Writer, w.Header(), a, len(a.body)/2)
	_ = buf.Flush()
}

func writeRaw(bw *bufio.Writer, h http.Header, a answer, n int) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", a.status, http.StatusText(a.status))
	h.Set("Content-Type", a.contentType)
	h.Set("Content-Length", fmt.Sprint(len(a.body)))
	_ = h.Write(bw)
	bw.WriteString("\r\n")
	_, _ = bw.Write(a.body[:n])
}

// DropFields returns a Rewrite that deletes every field with one of these
// names, at any depth of the answer: e.g. DropFields("Digest") lists tags
// without their digests.
func DropFields(names ...string) func([]byte) []byte {
	return rewriteJSON(func(m map[string]any) {
		for _, n := range names {
			delete(m, n)
		}
	})
}

// SetFields returns a Rewrite that sets each field, at any depth, where the
// answer has it: e.g. SetFields(map[string]any{"RequestId": "…"}).
func SetFields(fields map[string]any) func([]byte) []byte {
	return rewriteJSON(func(m map[string]any) {
		for k, v := range fields {
			if _, ok := m[k]; ok {
				m[k] = v
			}
		}
	})
}

func rewriteJSON(edit func(map[string]any)) func([]byte) []byte {
	return func(body []byte) []byte {
		var v any
		if json.Unmarshal(body, &v) != nil {
			return body
		}
		walk(v, edit)
		out, _ := json.Marshal(v)
		return out
	}
}

func walk(v any, edit func(map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		edit(t)
		for _, c := range t {
			walk(c, edit)
		}
	case []any:
		for _, c := range t {
			walk(c, edit)
		}
	}
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
