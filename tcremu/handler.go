package tcremu

import (
	"cmp"
	"io"
	"net/http"
	"reflect"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/cam"
	"github.com/tcr-promote/tcr-promote/tcremu/wire"
)

// Entry is one request in the emulator's log.
type Entry struct {
	Time      time.Time
	Action    string
	Region    string // X-TC-Region, the region the request was signed for
	SecretID  string
	Token     string // the X-TC-Token header, to check that a session token was sent
	Language  string
	Body      string
	Code      string    // the error code answered, "" on success
	Done      time.Time // when the answer was ready: Time + the latency, or later
	RequestID string
	Fault     bool // a fault answered instead of (or after) the service
}

// Requests returns a copy of the request log, oldest first.
func (e *Emulator) Requests() []Entry {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Entry(nil), e.log...)
}

// Count returns how many requests for action reached the emulator; with
// code set, only those answered with that error code.
func (e *Emulator) Count(action, code string) int {
	n := 0
	for _, r := range e.Requests() {
		if r.Action == action && (code == "" || r.Code == code) {
			n++
		}
	}
	return n
}

// entry is a request's log entry, from its headers.
func (e *Emulator) entry(r *http.Request) Entry {
	entry := Entry{
		Time:      e.now(),
		Action:    r.Header.Get("X-TC-Action"),
		Region:    r.Header.Get("X-TC-Region"),
		Token:     r.Header.Get("X-TC-Token"),
		Language:  r.Header.Get("X-TC-Language"),
		RequestID: newRequestID(),
	}
	if a, err := api3.ParseAuthorization(r.Header.Get("Authorization")); err == nil {
		entry.SecretID = a.SecretID
	}
	return entry
}

// ServeHTTP answers one API 3.0 request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	entry := e.entry(r)
	body, err := io.ReadAll(io.LimitReader(r.Body, api3.MaxBody+1))
	if err != nil {
		return // the client went away
	}
	entry.Body = string(body)

	e.faults.RunHooks(entry.Action, false)
	// Logged on arrival, so the log is complete even for a request whose
	// client gave up while a fault delayed it; finish fills in the outcome.
	idx := e.arrive(entry)

	if !wire.Pause(r.Context(), e.latency) {
		return
	}
	f := e.faults.Take(entry.Action, entry.Body)
	if f != nil {
		if !f.Wait(r.Context()) {
			e.finish(idx, "", true)
			return
		}
		if f.Instead() {
			e.finish(idx, f.Code, true)
			f.Deliver(w, r, f.Shape(wire.Answer{}, entry.RequestID))
			return
		}
	}

	var resp any
	aerr := e.limit(entry.Action)
	if aerr == nil {
		if len(body) > api3.MaxBody {
			aerr = api3.Errorf("RequestSizeLimitExceeded", "The request body exceeds %d bytes.", api3.MaxBody)
		} else {
			resp, aerr = e.handle(r, body)
		}
	}
	code := ""
	if aerr != nil {
		code = aerr.Code
	}
	e.finish(idx, code, f != nil)
	e.faults.RunHooks(entry.Action, true)
	a := wire.Answer{Status: http.StatusOK, ContentType: "application/json", Body: api3.ResponseBody(entry.RequestID, resp, aerr)}
	if f == nil {
		a.Write(w)
		return
	}
	f.Deliver(w, r, f.Shape(a, entry.RequestID))
}

func (e *Emulator) arrive(entry Entry) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.log = append(e.log, entry)
	return len(e.log) - 1
}

func (e *Emulator) finish(idx int, code string, fault bool) {
	e.mu.Lock()
	e.log[idx].Code, e.log[idx].Fault, e.log[idx].Done = code, fault, e.now()
	entry, logf := e.log[idx], e.logf
	e.mu.Unlock()
	if logf != nil {
		logf("tcremu: %s %s %s", entry.Action, cmp.Or(entry.Code, "ok"), entry.RequestID)
	}
}

// handle authenticates the request and runs its action.
func (e *Emulator) handle(r *http.Request, body []byte) (any, *api3.Error) {
	if r.Method != http.MethodPost {
		return nil, api3.Errorf("UnsupportedProtocol", "Only POST requests with a JSON body are supported.")
	}
	action := r.Header.Get("X-TC-Action")
	if action == "" {
		return nil, api3.Errorf("MissingParameter", "The request is missing a required parameter `Action`.")
	}
	act, ok := actions()[action]
	if !ok {
		return nil, api3.Errorf("InvalidAction", "The action `%s` does not exist.", action)
	}
	if v := r.Header.Get("X-TC-Version"); v != act.version {
		return nil, api3.Errorf("NoSuchVersion", "The API version `%s` does not exist for `%s`.", v, action)
	}
	if r.Header.Get("X-TC-Region") == "" && act.regional {
		return nil, api3.Errorf("MissingParameter", "The request is missing a required parameter `Region`.")
	}
	var caller cam.Caller
	if !act.unsigned {
		var aerr *api3.Error
		if caller, aerr = e.cam.Authenticate(r, body, act.service); aerr != nil {
			return nil, aerr
		}
		if aerr = e.cam.Allowed(caller, act.service, action); aerr != nil {
			return nil, aerr
		}
	}
	params := reflect.New(act.params)
	if aerr := api3.DecodeParams(body, params.Interface()); aerr != nil {
		return nil, aerr
	}
	return act.run(e, call{region: r.Header.Get("X-TC-Region"), caller: caller}, params.Interface())
}
