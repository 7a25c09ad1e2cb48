package tcrapi

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

// classify turns the outcome of one API call into a *failure.Error, using what
// the transport saw of it (ex) over what the SDK's error says: the SDK
// reduces a refused connection, a cut body or a redirect to one code. ctx
// is the step's context. It is the one place a class is decided: callers
// add context to the message, never change the class.
func classify(ctx context.Context, action string, ex *exchange, err error) *failure.Error {
	if err == nil {
		return nil
	}
	sent, status, wire, first := ex.snapshot()
	e := &failure.Error{Action: action, HTTPStatus: status, Err: err}
	var bad *badAnswerError
	if known, ok := errors.AsType[*failure.Error](err); ok {
		// The call classified its own failure (GitHub's token endpoint
		// does): it knows best.
		ke := *known
		ke.Action = cmp.Or(ke.Action, action)
		return &ke
	}
	sdkErr, isSDK := errors.AsType[*sdkerrors.TencentCloudSDKError](err)
	switch {
	case errors.As(err, &bad):
		// It parsed, but lacks what the step reads: not an answer the
		// API gives. Whatever the request did is unknown.
		e.Class, e.Code, e.Message, e.Ambiguous = failure.ClassUnexpected, failure.CodeBadAnswer, bad.Error(), sent
		if isSDK {
			e.RequestID = sdkErr.RequestId
		}
		return e
	case errors.Is(err, context.Canceled) && ctx.Err() != nil, wire != nil && wire.kind == wireCanceled:
		c := failure.Canceled(action, err)
		c.Ambiguous = sent
		return c
	case wire != nil:
		return fromWire(e, wire, sent)
	case IsCertificateError(err):
		return fromWire(e, &wireError{kind: wireCert, cause: "the endpoint's TLS certificate is not trusted: " + cilog.Inert(errors.Unwrap(err).Error())}, sent)
	case isSDK && !strings.HasPrefix(sdkErr.Code, "ClientError."):
		// The API answered, and said no: nothing is ambiguous.
		e.Code, e.Message, e.RequestID = sdkErr.Code, sdkErr.Message, sdkErr.RequestId
		e.Class = failure.ClassOfAnswer(e.Code, e.Message)
		if action == failure.ActionAssumeRole && e.Class != failure.ClassTemporary {
			// STS refused the token, the role or the provider: a
			// permission problem whatever its code.
			e.Class = failure.ClassPermission
		}
		return e
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		e.Class, e.Code, e.Message, e.Ambiguous = failure.ClassTemporary, failure.CodeTimeout, "no answer in time", sent
		return e
	}
	code := failure.CodeNetwork
	if isSDK {
		code = sdkErr.Code
	}
	return unreadable(e, code, status, first, sent)
}

// unreadable classifies what the SDK could not read as an answer: JSON cut
// short or mangled (a network error), or an answer that is not the API's
// (a proxy or load balancer spoke).
func unreadable(e *failure.Error, code string, status int, first byte, sent bool) *failure.Error {
	switch {
	case code != failure.CodeParseJSON && code != failure.CodeHTTPStatus && code != failure.CodeIOError:
		e.Class, e.Code, e.Message, e.Ambiguous = failure.ClassTemporary, failure.CodeNetwork, cilog.Inert(e.Err.Error()), sent
	case status >= 200 && status < 300 && (first == '{' || first == '['):
		// JSON that does not parse: an answer cut short or mangled on the
		// way, not one the API gave. Worth another try; for a copy,
		// whether it happened is unknown.
		e.Class, e.Code, e.Ambiguous = failure.ClassTemporary, failure.CodeNetwork, sent
		e.Message = fmt.Sprintf("the answer (HTTP %d) is not complete JSON: cut off or mangled on the way", status)
	default:
		// Its body is not worth repeating, its status says what happened.
		e.Code, e.Class = code, failure.ClassUnexpected
		e.Message = fmt.Sprintf("the endpoint answered HTTP %d without an API response", status)
		if transientStatus(status) {
			// A gateway's 5xx: the request may have reached the API.
			e.Class, e.Ambiguous = failure.ClassTemporary, sent
		}
	}
	return e
}

// fromWire classifies a failure the transport saw on the wire.
func fromWire(e *failure.Error, wire *wireError, sent bool) *failure.Error {
	e.Message = wire.cause
	switch wire.kind {
	case wireTimeout:
		e.Class, e.Code, e.Ambiguous = failure.ClassTemporary, failure.CodeTimeout, sent
	case wireCert:
		// It will not heal by retrying.
		e.Class, e.Code = failure.ClassUnexpected, failure.CodeCertificate
		e.Hint = "behind a TLS-inspecting proxy or a private endpoint, trust its CA: set ca_cert to its PEM (or SSL_CERT_FILE/SSL_CERT_DIR where the CI lets you set the step's environment)"
	case wireRedirect:
		e.Class, e.Code = failure.ClassUnexpected, failure.CodeRedirect
		e.Hint = "check endpoint (and sts_endpoint): it must be the API host itself, e.g. tcr.tencentcloudapi.com; a proxy that redirects API calls must be bypassed (no_proxy)"
	case wireTooLarge:
		e.Class, e.Code, e.Ambiguous = failure.ClassUnexpected, failure.CodeAnswerTooLarge, sent
		e.Hint = "something between the step and the API answers in its place: check endpoint, proxy and no_proxy"
	case wireEncoding, wireScalar:
		e.Class, e.Code, e.Ambiguous = failure.ClassUnexpected, failure.CodeBadAnswer, sent
	default:
		e.Class, e.Code, e.Ambiguous = failure.ClassTemporary, failure.CodeNetwork, sent
	}
	return e
}

// badAnswerError is an answer that parsed but lacks, or garbles, what the
// step reads from it: a Response, a RequestId, a digest, an instance, the
// credentials.
type badAnswerError struct{ what string }

func (e *badAnswerError) Error() string { return e.what }

// BadAnswer is the error of an answer that parsed but lacks, or garbles,
// what the step reads from it; classified ClientError.BadAnswer.
func BadAnswer(format string, args ...any) error {
	return &badAnswerError{what: "the answer is not one the API gives: " + cilog.Inert(fmt.Sprintf(format, args...))}
}

// IsCertificateError reports whether err says a TLS certificate was not
// trusted (an unknown authority, another host's name, an invalid one):
// for the API as for the registry, a matter of ca_cert, not of retrying.
func IsCertificateError(err error) bool {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	_, ok := errors.AsType[x509.CertificateInvalidError](err)
	return ok
}

// transientStatus: an HTTP answer worth retrying (5xx, 429 Too Many Requests).
func transientStatus(status int) bool { return status >= 500 || status == 429 }

func isTimeout(err error) bool {
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// Answered checks what every answer holds: a Response, and in it a
// RequestId. It returns the RequestId. An answer without them did not come
// from the API.
func Answered[P any](p *P, requestID func(*P) *string) (string, error) {
	if p == nil {
		return "", BadAnswer("it has no Response")
	}
	if id := requestID(p); id != nil && *id != "" {
		return *id, nil
	}
	return "", BadAnswer("it has no RequestId")
}

// IsCredential reports whether s can be a key or token taken from an
// answer: 1 to max characters of printable ASCII without blanks, as it
// goes into request headers.
func IsCredential(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := range len(s) {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
