package tcremu

import (
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/faults"
)

// Fault makes the emulator misbehave for matching requests; see
// faults.Fault.
type Fault = faults.Fault

// Inject adds a fault. Faults apply in the order they were added; one with
// Times left is consumed before the next is considered.
func (e *Emulator) Inject(f Fault) { e.faults.Inject(f) }

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() { e.faults.Clear() }

// OnRequest calls fn before the emulator handles each request for action,
// with n counting those requests from 1. fn runs without the emulator's lock,
// so it may change state (PutImage), e.g. to move a tag between two calls.
func (e *Emulator) OnRequest(action string, fn func(n int)) { e.faults.Hook(action, false, fn) }

// AfterRequest calls fn after the emulator has carried out (or refused)
// each request for action, before its answer goes out: e.g. someone else
// writing a tag while a copy's answer is on its way.
func (e *Emulator) AfterRequest(action string, fn func(n int)) { e.faults.Hook(action, true, fn) }

// WithRateLimit makes action answer RequestLimitExceeded past perSecond
// requests in any sliding second, as the real service does (DuplicateImage
// allows 20, DescribeImages 100).
func WithRateLimit(action string, perSecond int) Option {
	return func(e *Emulator) { e.limits[action] = faults.NewWindow(perSecond) }
}

// limit counts the request against its action's window.
func (e *Emulator) limit(action string) *api3.Error {
	e.mu.Lock()
	w := e.limits[action]
	e.mu.Unlock()
	if w == nil || w.Admit(e.now) {
		return nil
	}
	return api3.Errorf("RequestLimitExceeded", "The request rate of `%s` exceeds %d per second.", action, w.Limit())
}

// WithLatency delays every answer by d, like a CI runner far from the API
// (round trips of 50–200 ms). Requests are logged on arrival, before it.
func WithLatency(d time.Duration) Option {
	return func(e *Emulator) { e.latency = d }
}
