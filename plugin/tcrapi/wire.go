package tcrapi

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
)

// The boundary with the network. Every request and answer of the step —
// TCR, STS, GitHub's token endpoint — passes guardTransport, which treats
// every byte that comes back as untrusted: a proxy or a middlebox may
// answer anything. It refuses redirects, bounds and decodes answers, and
// records for each attempt what the SDK's errors lose: whether the request
// went out, the answer's status, and what went wrong on the wire, in words.

// maxAnswer bounds every answer after decoding. The largest the step reads
// is a page of 100 tags or instances, tens of KiB; 4 MiB leaves room for
// any real answer while a hostile one — a flood, a gzip bomb — is cut off
// before it can take the runner's memory.
const maxAnswer = 4 << 20

// exchangeKey carries an *exchange in a request's context.
type exchangeKey struct{}

// exchange is what the transport saw of one attempt.
type exchange struct {
	mu     sync.Mutex
	sent   bool       // the request was written: the service may have acted on it
	status int        // the answer's HTTP status; 0 if none arrived
	wire   *wireError // what went wrong on the wire, if anything
	first  byte       // the answer body's first non-blank byte
}

func exchangeOf(ctx context.Context) *exchange {
	if ex, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
		return ex
	}
	return &exchange{} // nobody asked: record into the void
}

func (ex *exchange) record(f func(ex *exchange)) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	f(ex)
}

// snapshot returns the exchange as it is now.
func (ex *exchange) snapshot() (sent bool, status int, wire *wireError, first byte) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.sent, ex.status, ex.wire, ex.first
}

// wireKind is what kind of failure happened on the wire.
type wireKind int

const (
	wireNetwork  wireKind = iota // refused, reset, DNS, proxy, TLS handshake, closed, cut off
	wireTimeout                  // no answer within the attempt's deadline
	wireCanceled                 // the step was cancelled
	wireCert                     // an untrusted certificate
	wireRedirect                 // a 3xx: never followed
	wireTooLarge                 // an answer past maxAnswer
	wireEncoding                 // an answer that cannot be decoded
	wireScalar                   // an answer that is a JSON null, boolean, number or string
)

// wireError is a failure on the wire, its cause in one readable line.
type wireError struct {
	kind  wireKind
	cause string
	err   error
}

func (e *wireError) Error() string { return e.cause }
func (e *wireError) Unwrap() error { return e.err }

// guarded puts the network boundary around a transport.
func guarded(base http.RoundTripper, log *cilog.Logger) *guardTransport {
	g := &guardTransport{base: base, log: log}
	if t, ok := base.(*http.Transport); ok && t.Proxy != nil {
		g.proxyFor = t.Proxy
	}
	return g
}

// guardTransport wraps the transport that reaches the API.
type guardTransport struct {
	base http.RoundTripper
	log  *cilog.Logger
	// proxyFor names the proxy a request goes through, for messages; nil
	// when the base transport is not ours.
	proxyFor func(*http.Request) (*url.URL, error)
}

func (t *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := exchangeOf(req.Context())
	start := time.Now()
	var connected bool
	trace := &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected = true },
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				ex.record(func(ex *exchange) { ex.sent = true })
			}
		},
	}
	what := actionOf(req)
	resp, err := t.base.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		we := t.describe(req, err, connected)
		ex.record(func(ex *exchange) { ex.wire = we })
		t.log.For(req.Context()).Debugf("%s %s: no answer after %s: %s", req.Method, what, time.Since(start).Round(time.Millisecond), we.cause)
		return nil, we
	}
	ex.record(func(ex *exchange) { ex.status = resp.StatusCode })
	t.log.For(req.Context()).Debugf("%s %s: HTTP %d in %s", req.Method, what, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	if err := guard(req, resp, ex); err != nil {
		resp.Body.Close()
		ex.record(func(ex *exchange) { ex.wire = err })
		return nil, err
	}
	return resp, nil
}

// actionOf names a request in the log: its action, or the host it went to
// (GitHub's token endpoint has no action).
func actionOf(req *http.Request) string {
	if a := req.Header.Get("X-TC-Action"); a != "" {
		return a
	}
	return req.URL.Host
}

// guard checks an answer before anyone reads it, and makes its body
// bounded and decoded. A redirect is refused: following it would send the
// signed request, its session token or the OIDC token to another host.
func guard(req *http.Request, resp *http.Response, ex *exchange) *wireError {
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		to := "elsewhere"
		if loc, err := resp.Location(); err == nil {
			to = "to " + loc.Host
		}
		return &wireError{kind: wireRedirect, cause: fmt.Sprintf("%s answered HTTP %d, a redirect %s: API calls are never redirected, so that the signed request and its tokens stay with %s",
			req.URL.Host, resp.StatusCode, to, req.URL.Host)}
	}
	if resp.ContentLength > maxAnswer {
		return tooLarge(resp.ContentLength)
	}
	body := resp.Body
	if !resp.Uncompressed {
		// Go decodes what it asked for; anything the server sends on
		// its own is decoded here, bounded, before the SDK would do it
		// without a bound.
		switch enc := strings.ToLower(resp.Header.Get("Content-Encoding")); enc {
		case "", "identity":
		case "gzip":
			gz, err := gzip.NewReader(io.LimitReader(body, maxAnswer+1))
			if err != nil {
				return &wireError{kind: wireEncoding, cause: "the answer is not valid gzip: " + err.Error(), err: err}
			}
			body = readCloser{gz, body}
		case "deflate":
			body = readCloser{flate.NewReader(io.LimitReader(body, maxAnswer+1)), body}
		default:
			return &wireError{kind: wireEncoding, cause: fmt.Sprintf("the answer's Content-Encoding %q is not one the step reads", cilog.Inert(enc))}
		}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
	}
	switch resp.Header.Get("Content-Type") {
	case "text/event-stream", "application/octet-stream":
		// The SDK would read these as a stream or not at all: TCR
		// answers JSON, so they are read as JSON (and refused as such).
		resp.Header.Del("Content-Type")
	}
	resp.Body = &boundedBody{rc: body, ex: ex}
	return nil
}

type readCloser struct {
	io.Reader
	c io.Closer
}

func (r readCloser) Close() error { return r.c.Close() }

func tooLarge(n int64) *wireError {
	size := "more than " + fmt.Sprint(maxAnswer)
	if n > maxAnswer {
		size = fmt.Sprint(n)
	}
	return &wireError{kind: wireTooLarge, cause: fmt.Sprintf("the answer is %s bytes, over the %d that any real answer stays well within: cut off unread", size, maxAnswer)}
}

// boundedBody reads at most maxAnswer bytes of an answer and records how
// reading it ended. It reads the whole answer before giving any of it —
// the SDK reads it whole anyway — so that an answer the SDK must never
// parse is refused whole: a bare JSON value (null, true, 42, "…"), which
// no API answer is, and whose null the SDK's error check dereferences.
type boundedBody struct {
	rc     io.ReadCloser
	ex     *exchange
	n      int64
	buf    []byte
	loaded bool
	failed error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if !b.loaded {
		b.loaded = true
		b.load()
	}
	if b.failed != nil {
		return 0, b.failed
	}
	if len(b.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// load reads the answer into buf, or records why it could not.
func (b *boundedBody) load() {
	chunk := make([]byte, 32<<10)
	for {
		n, err := b.rc.Read(chunk)
		b.n += int64(n)
		if b.n > maxAnswer {
			b.fail(tooLarge(0))
			return
		}
		b.buf = append(b.buf, chunk[:n]...)
		if err != nil {
			b.recordFirst()
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			b.check()
		case errors.Is(err, context.DeadlineExceeded):
			b.fail(&wireError{kind: wireTimeout, cause: fmt.Sprintf("the answer stopped after %d bytes and did not finish in time", b.n), err: err})
		case errors.Is(err, context.Canceled):
			b.fail(&wireError{kind: wireCanceled, cause: "the step was cancelled while the answer arrived", err: err})
		case errors.Is(err, io.ErrUnexpectedEOF):
			b.fail(&wireError{kind: wireNetwork, cause: fmt.Sprintf("the answer was cut off after %d bytes: the connection closed mid-body", b.n), err: err})
		default:
			b.fail(&wireError{kind: wireNetwork, cause: fmt.Sprintf("reading the answer failed after %d bytes: %s", b.n, cilog.Inert(err.Error())), err: err})
		}
		return
	}
}

// recordFirst records the answer's first non-blank byte, which tells
// JSON cut short from an answer that never was JSON.
func (b *boundedBody) recordFirst() {
	if trimmed := bytes.TrimLeft(b.buf, " \t\r\n"); len(trimmed) > 0 {
		b.ex.record(func(ex *exchange) { ex.first = trimmed[0] })
	}
}

// check refuses a whole answer that is a bare JSON value.
func (b *boundedBody) check() {
	trimmed := bytes.TrimLeft(b.buf, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] != '{' && trimmed[0] != '[' && json.Valid(trimmed) {
		b.fail(&wireError{kind: wireScalar, cause: "the answer is a bare JSON value, not an object: not an answer the API gives"})
	}
}

func (b *boundedBody) fail(we *wireError) error {
	b.failed = we
	b.ex.record(func(ex *exchange) { ex.wire = we })
	return we
}

func (b *boundedBody) Close() error { return b.rc.Close() }

// describe turns a transport error into its cause, in one line: refused,
// reset, DNS, the proxy, TLS, a timeout.
func (t *guardTransport) describe(req *http.Request, err error, connected bool) *wireError {
	host := req.URL.Host
	var proxy *url.URL
	if t.proxyFor != nil {
		proxy, _ = t.proxyFor(req)
	}
	via := ""
	if proxy != nil {
		via = " (through the proxy " + proxy.Host + ")"
	}
	we := &wireError{kind: wireNetwork, err: err}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.Is(err, context.Canceled):
		we.kind, we.cause = wireCanceled, "the step was cancelled"
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		we.kind, we.cause = wireTimeout, "no answer from "+host+" in time"+via
	case IsCertificateError(err):
		we.kind, we.cause = wireCert, fmt.Sprintf("the TLS certificate of %s is not trusted%s: %s", host, via, cilog.Inert(err.Error()))
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		we.cause = fmt.Sprintf("cannot reach the proxy %s: %s", proxy.Host, cause(opErr.Err))
	case errors.As(err, &dnsErr):
		we.cause = fmt.Sprintf("DNS lookup of %s failed%s: %s", cilog.Inert(dnsErr.Name), via, cilog.Inert(dnsErr.Err))
	case errors.As(err, &recordErr):
		we.cause = fmt.Sprintf("TLS handshake with %s failed%s: it did not answer TLS (is it plain http?)", host, via)
	case strings.HasPrefix(err.Error(), "tls: "):
		we.cause = fmt.Sprintf("TLS handshake with %s failed%s: %s", host, via, cilog.Inert(err.Error()))
	case proxy != nil && !connected && req.URL.Scheme == "https" && !errors.As(err, &opErr):
		// Go reports a refused CONNECT with the proxy's status text alone.
		we.cause = fmt.Sprintf("the proxy %s refused the tunnel to %s: %s", proxy.Host, host, cilog.Inert(err.Error()))
	default:
		we.cause = fmt.Sprintf("%s%s: %s", host, via, cause(err))
	}
	return we
}

// cause says what a connection error was, briefly.
func cause(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the peer"
	case errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection closed before an answer"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the host"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "DNS lookup of " + cilog.Inert(dnsErr.Name) + " failed: " + cilog.Inert(dnsErr.Err)
	}
	return cilog.Inert(err.Error())
}
