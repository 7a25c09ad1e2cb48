package tcremu

import (
	"cmp"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
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

	e.runHooks(entry.Action, false)
	// Logged on arrival, so the log is complete even for a request whose
	// client gave up while a fault delayed it; finish fills in the outcome.
	idx := e.arrive(entry)

	if !wire.Pause(r.Context(), e.latency) {
		return
	}
	f := e.takeFault(entry.Action, entry.Body)
	if f != nil {
		if !f.wait(r.Context()) {
			e.finish(idx, "", true)
			return
		}
		if f.instead() {
			e.finish(idx, f.Code, true)
			f.deliver(w, r, f.shape(wire.Answer{}, entry.RequestID))
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
	e.runHooks(entry.Action, true)
	a := wire.Answer{Status: http.StatusOK, ContentType: "application/json", Body: api3.ResponseBody(entry.RequestID, resp, aerr)}
	if f == nil {
		a.Write(w)
		return
	}
	f.deliver(w, r, f.shape(a, entry.RequestID))
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
	secretID := ""
	if !act.unsigned {
		var aerr *api3.Error
		if secretID, aerr = e.authenticate(r, body, act.service); aerr != nil {
			return nil, aerr
		}
		e.mu.Lock()
		denied := e.denied[secretID][action]
		e.mu.Unlock()
		if denied {
			return nil, api3.Errorf("AuthFailure.UnauthorizedOperation", "The request is not authorized: the CAM policy does not allow `tcr:%s`.", action)
		}
	}
	params := reflect.New(act.params)
	if aerr := api3.DecodeParams(body, params.Interface()); aerr != nil {
		return nil, aerr
	}
	return act.run(e, call{region: r.Header.Get("X-TC-Region"), secretID: secretID}, params.Interface())
}

// authenticate checks the TC3 signature and returns the SecretId.
func (e *Emulator) authenticate(r *http.Request, body []byte, service string) (string, *api3.Error) {
	a, err := api3.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return "", api3.Errorf("AuthFailure.InvalidAuthorization", "The Authorization header is not a valid TC3-HMAC-SHA256 authorization.")
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return "", api3.Errorf("MissingParameter", "The request is missing a valid `X-TC-Timestamp` header.")
	}
	now := e.now()
	if d := now.Sub(time.Unix(ts, 0)); d > api3.SignatureSkew || d < -api3.SignatureSkew {
		return "", api3.Errorf("AuthFailure.SignatureExpire", "The signature has expired: the timestamp %d is more than 5 minutes from the server time %d.", ts, now.Unix())
	}
	e.mu.Lock()
	k, ok := e.keys[a.SecretID]
	e.mu.Unlock()
	if !ok {
		return "", api3.Errorf("AuthFailure.SecretIdNotFound", "The SecretId is not found; check that it is correct and enabled.")
	}
	signed := ";" + strings.Join(a.SignedHeaders, ";") + ";"
	if a.Service != service || a.Date != time.Unix(ts, 0).UTC().Format("2006-01-02") ||
		!strings.Contains(signed, ";content-type;") || !strings.Contains(signed, ";host;") ||
		!api3.Verify(r, body, a, k.secret, ts) {
		return "", api3.Errorf("AuthFailure.SignatureFailure", "The provided credentials could not be validated; check the signature.")
	}
	if k.token != "" {
		if r.Header.Get("X-TC-Token") != k.token {
			return "", api3.Errorf("AuthFailure.TokenFailure", "The token is invalid or missing for these temporary credentials.")
		}
		if now.After(k.expiry) {
			return "", api3.Errorf("AuthFailure.TokenFailure", "The temporary credentials have expired.")
		}
	}
	return a.SecretID, nil
}
