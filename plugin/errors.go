package plugin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

// Class is what kind of failure happened. Each class has one exit code.
type Class int

// The classes, in the order of the exit-code table.
const (
	ClassOK Class = iota
	ClassUnexpected
	ClassUsage
	ClassInvalid
	ClassNotFound
	ClassUnavailable
	ClassConflict
	ClassTemporary
	ClassPermission
)

var classInfo = []struct {
	name string
	code int
	when string
	next string // what to do next, printed with the failure
}{
	ClassOK:          {"ok", 0, "promoted (or the destination already held the source's image)", ""},
	ClassUnexpected:  {"unexpected", 1, "anything not classified below: FailedOperation, InternalError.ErrorTcrInvalidMediaType, a code not in the table, an untrusted TLS certificate, a non-JSON 4xx from a proxy; a cancelled step (ClientError.Canceled)", "check the message; if it persists, contact Tencent Cloud support with the RequestId"},
	ClassUsage:       {"usage", 64, "invalid or missing settings; nothing was sent", "fix the setting named above"},
	ClassInvalid:     {"invalid", 65, "the API rejected the request: InvalidParameter*, MissingParameter*, UnknownParameter*", "check the names of the namespace, repository and tags"},
	ClassNotFound:    {"not_found", 66, "ResourceNotFound*, InternalError.ErrNotExist, an ...Unauthorized answer saying \"not found\" (a missing namespace); ClientError.SourceNotFound, ClientError.NamespaceNotFound", "check registry_id, region, the namespaces, the repository and the source tag"},
	ClassUnavailable: {"unavailable", 69, "LimitExceeded*, ResourceInsufficient*, OperationDenied.QuotaOverLimit, InternalError.ErrorOverLimit, UnsupportedOperation*, ResourceUnavailable*, InvalidAction", "the instance, its quota or the action is not available here; check the instance's status, edition and quotas"},
	ClassConflict:    {"conflict", 73, "the destination tag exists at another image and override is false, or it is immutable: FailedOperation.PreconditionFailed, *ResourceConflict, InternalError.ErrConflict, InternalError.ErrorConflict, ResourceInUse*, ClientError.DestinationExists, ClientError.ImmutableTag; the pin failed or the source moved: ClientError.DigestMismatch", "set override: true to replace the destination tag, or choose another destination_tag"},
	ClassTemporary:   {"temporary", 75, "RequestLimitExceeded*, InternalError, InternalError.DbError, .ErrorTcrInternal, .Unknown, FailedOperation.DbError, .DependenceError, .GetDBDataError, .ErrorGetDBDataError, .GetTcrClient, .EmptyCoreBody, ServiceUnavailable, network errors, timeouts; retries exhausted", "re-run the step; it is safe to repeat"},
	ClassPermission:  {"permission", 77, "AuthFailure*, UnauthorizedOperation*, OperationDenied, InternalError.ErrorTcrUnauthorized, InternalError.ErrUnauthorized, FailedOperation.ErrorTcrUnauthorized", "check the credentials, and that their CAM policy allows the TCR actions the step calls (the README's Permissions)"},
}

// next is what to do after err: its own hint, else the advice that fits
// its code or action, else its class's.
func next(err error) string {
	e, ok := errors.AsType[*Error](err)
	switch {
	case !ok:
		return classInfo[ClassOf(err)].next
	case e.Hint != "":
		return e.Hint
	case e.Code == CodeCanceled:
		return "the step was cancelled (SIGTERM or SIGINT) before it finished: re-run it when ready; a re-run reads what is in place before it copies"
	case e.Class == ClassPermission:
		return permissionHint(e.Action)
	case e.Class == ClassUnexpected && e.RequestID == "":
		// Support can do nothing without a RequestId.
		return "no answer came from the API itself: check the message above, and endpoint, proxy and no_proxy"
	}
	return classInfo[e.Class].next
}

// permissionHint names what the refused call needs.
func permissionHint(action string) string {
	switch action {
	case "", "GitHubOIDCToken":
		return classInfo[ClassPermission].next
	case actionAssumeRole:
		return "check that the role's trust policy admits this pipeline's OIDC token (its provider, audience and subject) and that provider_id names the identity provider"
	}
	return "check the credentials, and that their CAM policy allows tcr:" + action + " on this instance"
}

// outOfTime marks a temporary failure that ended because the step's
// timeout ran out: the advice is to raise it, not merely to re-run.
func outOfTime(e *Error, timeout time.Duration) *Error {
	if e == nil || e.Class != ClassTemporary || e.Hint != "" {
		return e
	}
	ne := *e
	ne.Hint = fmt.Sprintf("the step's timeout (%s) ran out before this could finish: raise timeout, then re-run (a re-run reads what is in place first)", timeout)
	return &ne
}

func (c Class) String() string { return classInfo[c].name }

// ExitCode returns the process exit code for err: 0 for nil, the class's code
// for a classified error, 1 for anything else. It is the only place that
// turns a class into a number. 78 is never used: Drone skips the rest of
// the pipeline on it.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	return classInfo[ClassOf(err)].code
}

// severity orders the classes from most to least serious, for a batch
// whose promotions failed differently: what a re-run cannot fix (settings,
// permissions, wrong names) before what needs a decision (conflicts) before
// what a re-run may fix (temporary).
var severity = []Class{ClassUsage, ClassPermission, ClassInvalid, ClassNotFound, ClassUnavailable, ClassUnexpected, ClassConflict, ClassTemporary}

// severityOrder names the classes in severity order, for the log.
func severityOrder() string {
	names := make([]string, len(severity))
	for i, c := range severity {
		names[i] = c.String()
	}
	return strings.Join(names, ", ")
}

// mostSerious returns the error of the most serious class among results,
// the first such in promotion order; nil if all succeeded.
func mostSerious(results []Result) error {
	var worst error
	rank := len(severity)
	for _, r := range results {
		if r.Err == nil {
			continue
		}
		for i, c := range severity {
			if c == ClassOf(r.Err) && i < rank {
				worst, rank = r.Err, i
			}
		}
	}
	return worst
}

// ClassOf returns the class of err; ClassUnexpected if it is not classified.
func ClassOf(err error) Class {
	if err == nil {
		return ClassOK
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Class
	}
	return ClassUnexpected
}

// Error is a classified failure: a usage error, or the outcome of one API
// call with its TCR (or client-side) code, message and RequestId.
type Error struct {
	Class     Class
	Action    string // the API action, empty for usage errors
	Code      string // e.g. ResourceNotFound.TcrResourceNotFound or ClientError.NetworkError
	Message   string
	RequestID string
	Status    int    // HTTP status of the answer, 0 if none arrived
	Hint      string // what to do next, when the class's advice does not fit
	// Ambiguous: the request went out and no answer says what became of
	// it (lost, cut off, garbled, timed out): a copy may have happened.
	Ambiguous bool
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Action != "" {
		b.WriteString(e.Action + ": ")
	}
	if e.Code != "" {
		b.WriteString(e.Code + ": ")
	}
	b.WriteString(e.Message)
	if e.RequestID != "" {
		b.WriteString(" (RequestId " + e.RequestID + ")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether trying again may succeed.
func (e *Error) Temporary() bool { return e.Class == ClassTemporary }

// CodeInvalidSettings is the code of a usage error in the settings.
const CodeInvalidSettings = "ClientError.InvalidSettings"

// usageErrorf returns a usage error; nothing has been sent when it is made.
func usageErrorf(format string, args ...any) error {
	return &Error{Class: ClassUsage, Code: CodeInvalidSettings, Message: fmt.Sprintf(format, args...)}
}

// Client-side codes, as the SDK names them, plus those it has none for.
const (
	CodeNetwork     = "ClientError.NetworkError"
	CodeParseJSON   = "ClientError.ParseJsonError"
	CodeHTTPStatus  = "ClientError.HttpStatusCodeError"
	CodeTimeout     = "ClientError.Timeout"
	CodeCanceled    = "ClientError.Canceled"
	CodeCertificate = "ClientError.CertificateError"
	// The step's own, for answers no real API gives.
	CodeBadAnswer      = "ClientError.BadAnswer"
	CodeRedirect       = "ClientError.Redirect"
	CodeAnswerTooLarge = "ClientError.AnswerTooLarge"
	CodePanic          = "ClientError.Panic"
	codeRateLimit      = "RequestLimitExceeded"
)

// codeTable classifies error codes by meaning: every code TCR documents
// (the 80 of its errors.go, tested one by one in errors_test.go), the API
// 3.0 common codes, and the client-side ones. A key "X" is that code only;
// "X.*" is X and every code under it. A code found nowhere is unexpected,
// and never retried: TCR answers many deterministic InternalError.* codes
// (Harbor's not-found, conflict, unauthorized, quota), so no family is
// assumed to be transient.
var codeTable = map[string]Class{
	// The credentials, or what CAM allows them.
	"AuthFailure.*":                        ClassPermission,
	"UnauthorizedOperation.*":              ClassPermission,
	"OperationDenied":                      ClassPermission,
	"InternalError.ErrorTcrUnauthorized":   ClassPermission, // but see notFoundMessage
	"InternalError.ErrUnauthorized":        ClassPermission,
	"FailedOperation.ErrorTcrUnauthorized": ClassPermission,
	"IpInBlacklist":                        ClassPermission,
	"IpNotInWhitelist":                     ClassPermission,
	"ClientError.CredentialError":          ClassPermission,

	// The instance, namespace, repository or tag does not exist.
	"ResourceNotFound.*":        ClassNotFound,
	"InternalError.ErrNotExist": ClassNotFound,

	// The destination exists: decided by reading it (same digest → success).
	"FailedOperation.PreconditionFailed":       ClassConflict,
	"InternalError.ErrorTcrResourceConflict":   ClassConflict,
	"FailedOperation.ErrorTcrResourceConflict": ClassConflict,
	"InternalError.ErrConflict":                ClassConflict,
	"InternalError.ErrorConflict":              ClassConflict,
	"ResourceInUse.*":                          ClassConflict,

	// Not available to this account, instance or edition: a quota, a
	// stopped instance, an unsupported action.
	"LimitExceeded.*":                ClassUnavailable,
	"ResourceInsufficient.*":         ClassUnavailable,
	"OperationDenied.QuotaOverLimit": ClassUnavailable,
	"InternalError.ErrorOverLimit":   ClassUnavailable,
	"UnsupportedOperation.*":         ClassUnavailable,
	"ResourceUnavailable.*":          ClassUnavailable,
	"UnsupportedRegion":              ClassUnavailable,
	"ActionOffline":                  ClassUnavailable,
	"InvalidAction":                  ClassUnavailable,
	"NoSuchProduct":                  ClassUnavailable,
	"NoSuchVersion":                  ClassUnavailable,

	// The request itself is wrong.
	"InvalidParameter.*":           ClassInvalid,
	"InvalidParameterValue.*":      ClassInvalid,
	"MissingParameter.*":           ClassInvalid,
	"UnknownParameter.*":           ClassInvalid,
	"InvalidRequest":               ClassInvalid,
	"RequestSizeLimitExceeded":     ClassInvalid,
	"UnsupportedProtocol":          ClassInvalid,
	"ClientError.InvalidParameter": ClassInvalid,

	// Worth another try: throttling, the service's own failures, the network.
	"RequestLimitExceeded.*":              ClassTemporary,
	"InternalError":                       ClassTemporary,
	"InternalError.DbError":               ClassTemporary,
	"InternalError.ErrorTcrInternal":      ClassTemporary,
	"InternalError.Unknown":               ClassTemporary,
	"FailedOperation.DbError":             ClassTemporary,
	"FailedOperation.DependenceError":     ClassTemporary,
	"FailedOperation.GetDBDataError":      ClassTemporary,
	"FailedOperation.ErrorGetDBDataError": ClassTemporary,
	"FailedOperation.GetTcrClient":        ClassTemporary,
	"FailedOperation.EmptyCoreBody":       ClassTemporary,
	"ServiceUnavailable":                  ClassTemporary,
	CodeNetwork:                           ClassTemporary,
	CodeTimeout:                           ClassTemporary,
	"ClientError.CircuitBreakerError":     ClassTemporary,
	"ClientError.IOError":                 ClassTemporary,

	// Deterministic failures with no better class, named so that the
	// table shows they were considered.
	"FailedOperation":                                 ClassUnexpected,
	"FailedOperation.OperationCancel":                 ClassUnexpected,
	"FailedOperation.ErrorTcrInvalidMediaType":        ClassUnexpected,
	"FailedOperation.GetSecurityPolicyFail":           ClassUnexpected,
	"FailedOperation.TradeFailed":                     ClassUnexpected,
	"FailedOperation.ValidateRegistryNameFail":        ClassUnexpected,
	"FailedOperation.ValidateSupportedRegionFail":     ClassUnexpected,
	"InternalError.ErrorTcrInvalidMediaType":          ClassUnexpected,
	"InternalError.CreatePrivateZone":                 ClassUnexpected,
	"InternalError.CreatePrivateZoneRecord":           ClassUnexpected,
	"InternalError.DeletePrivateZoneRecord":           ClassUnexpected,
	"InternalError.DescribeInternalEndpointDnsStatus": ClassUnexpected,
	"InternalError.DescribePrivateZoneList":           ClassUnexpected,
	"InternalError.DescribePrivateZoneRecordList":     ClassUnexpected,
	"InternalError.DescribePrivateZoneServiceList":    ClassUnexpected,
	"InternalError.ModifyPrivateZoneVpc":              ClassUnexpected,
	"DryRunOperation":                                 ClassUnexpected,
	"ResponseSizeLimitExceeded":                       ClassUnexpected,
	CodeCanceled:                                      ClassUnexpected,
	CodeCertificate:                                   ClassUnexpected,
	CodeParseJSON:                                     ClassUnexpected,
	CodeHTTPStatus:                                    ClassUnexpected,
	CodeBadAnswer:                                     ClassUnexpected,
	CodeRedirect:                                      ClassUnexpected,
	CodeAnswerTooLarge:                                ClassUnexpected,
	CodePanic:                                         ClassUnexpected,
}

// ClassOfCode classifies an error code: the code itself, else the nearest
// family ("X.*") above it, else unexpected.
func ClassOfCode(code string) Class {
	if class, ok := codeTable[code]; ok {
		return class
	}
	for c := code; ; {
		if class, ok := codeTable[c+".*"]; ok {
			return class
		}
		i := strings.LastIndexByte(c, '.')
		if i < 0 {
			return ClassUnexpected
		}
		c = c[:i]
	}
}

// classOfAnswer classifies an API answer. An "…Unauthorized" code whose
// message says "not found" is Harbor's wording for a missing project
// ("project not found: release"), which TCR passes on as
// InternalError.ErrorTcrUnauthorized: not found, not a permission problem.
func classOfAnswer(code, message string) Class {
	class := ClassOfCode(code)
	if class == ClassPermission && strings.HasSuffix(code, "Unauthorized") && notFoundMessage(message) {
		return ClassNotFound
	}
	return class
}

func notFoundMessage(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "not found")
}

// classify turns the outcome of one API call into an *Error, using what
// the transport saw of it (ex) over what the SDK's error says: the SDK
// reduces a refused connection, a cut body or a redirect to one code. ctx
// is the step's context. It is the one place a class is decided: callers
// add context to the message, never change the class.
func classify(ctx context.Context, action string, ex *exchange, err error) *Error {
	if err == nil {
		return nil
	}
	sent, status, wire, first := ex.snapshot()
	e := &Error{Action: action, Status: status, Err: err}
	var bad *badAnswerError
	if te, ok := errors.AsType[*tokenError](err); ok {
		e.Code, e.Message, e.Class = CodeOIDCToken, te.Error(), ClassPermission
		if transientStatus(te.status) {
			e.Class = ClassTemporary
		}
		return e
	}
	sdkErr, isSDK := errors.AsType[*sdkerrors.TencentCloudSDKError](err)
	switch {
	case errors.As(err, &bad):
		// It parsed, but lacks what the step reads: not an answer the
		// API gives. Whatever the request did is unknown.
		e.Class, e.Code, e.Message, e.Ambiguous = ClassUnexpected, CodeBadAnswer, bad.Error(), sent
		if isSDK {
			e.RequestID = sdkErr.RequestId
		}
		return e
	case errors.Is(err, context.Canceled) && ctx.Err() != nil, wire != nil && wire.kind == wireCanceled:
		c := canceled(action, err)
		c.Ambiguous = sent
		return c
	case wire != nil:
		return fromWire(e, wire, sent)
	case isCertificateError(err):
		return fromWire(e, &wireError{kind: wireCert, cause: "the endpoint's TLS certificate is not trusted: " + inert(errors.Unwrap(err).Error())}, sent)
	case isSDK && !strings.HasPrefix(sdkErr.Code, "ClientError."):
		// The API answered, and said no: nothing is ambiguous.
		e.Code, e.Message, e.RequestID = sdkErr.Code, sdkErr.Message, sdkErr.RequestId
		e.Class = classOfAnswer(e.Code, e.Message)
		if action == actionAssumeRole && e.Class != ClassTemporary {
			// STS refused the token, the role or the provider: a
			// permission problem whatever its code.
			e.Class = ClassPermission
		}
		return e
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		e.Class, e.Code, e.Message, e.Ambiguous = ClassTemporary, CodeTimeout, "no answer in time", sent
		return e
	}
	code := CodeNetwork
	if isSDK {
		code = sdkErr.Code
	}
	switch {
	case code == CodeParseJSON || code == CodeHTTPStatus || code == "ClientError.IOError":
		if status >= 200 && status < 300 && (first == '{' || first == '[') {
			// JSON that does not parse: an answer cut short or mangled
			// on the way, not one the API gave. Worth another try; for
			// a copy, whether it happened is unknown.
			e.Class, e.Code, e.Ambiguous = ClassTemporary, CodeNetwork, sent
			e.Message = fmt.Sprintf("the answer (HTTP %d) is not complete JSON: cut off or mangled on the way", status)
			return e
		}
		// Not an API answer: a proxy or load balancer spoke. Its body
		// is not worth repeating, its status says what happened.
		e.Code = code
		e.Message = fmt.Sprintf("the endpoint answered HTTP %d without an API response", status)
		e.Class = ClassUnexpected
		if transientStatus(status) {
			// A gateway's 5xx: the request may have reached the API.
			e.Class, e.Ambiguous = ClassTemporary, sent
		}
		return e
	}
	e.Class, e.Code, e.Message, e.Ambiguous = ClassTemporary, CodeNetwork, inert(err.Error()), sent
	return e
}

// fromWire classifies a failure the transport saw on the wire.
func fromWire(e *Error, wire *wireError, sent bool) *Error {
	e.Message = wire.cause
	switch wire.kind {
	case wireTimeout:
		e.Class, e.Code, e.Ambiguous = ClassTemporary, CodeTimeout, sent
	case wireCert:
		// It will not heal by retrying.
		e.Class, e.Code = ClassUnexpected, CodeCertificate
		e.Hint = "behind a TLS-inspecting proxy or a private endpoint, trust its CA: set ca_cert to its PEM (or SSL_CERT_FILE/SSL_CERT_DIR where the CI lets you set the step's environment)"
	case wireRedirect:
		e.Class, e.Code = ClassUnexpected, CodeRedirect
		e.Hint = "check endpoint (and sts_endpoint): it must be the API host itself, e.g. tcr.tencentcloudapi.com; a proxy that redirects API calls must be bypassed (no_proxy)"
	case wireTooLarge:
		e.Class, e.Code, e.Ambiguous = ClassUnexpected, CodeAnswerTooLarge, sent
		e.Hint = "something between the step and the API answers in its place: check endpoint, proxy and no_proxy"
	case wireEncoding:
		e.Class, e.Code, e.Ambiguous = ClassUnexpected, CodeBadAnswer, sent
	default:
		e.Class, e.Code, e.Ambiguous = ClassTemporary, CodeNetwork, sent
	}
	return e
}

// badAnswerError is an answer that parsed but lacks, or garbles, what the
// step reads from it: a Response, a RequestId, a digest, an instance, the
// credentials.
type badAnswerError struct{ what string }

func (e *badAnswerError) Error() string { return e.what }

func badAnswer(format string, args ...any) error {
	return &badAnswerError{what: "the answer is not one the API gives: " + inert(fmt.Sprintf(format, args...))}
}

const actionAssumeRole = "AssumeRoleWithWebIdentity"

// canceled is the error of a step cancelled (SIGTERM) during action,
// wherever it was: in a call, a retry wait or the rate limiter.
func canceled(action string, err error) *Error {
	return &Error{Class: ClassUnexpected, Action: action, Code: CodeCanceled, Message: "the step was cancelled", Err: err}
}

func isCertificateError(err error) bool {
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
