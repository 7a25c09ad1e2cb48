package plugin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

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
	ClassOK:          {"ok", 0, "promoted", ""},
	ClassUnexpected:  {"unexpected", 1, "anything not classified below (e.g. FailedOperation, a non-JSON 4xx from a proxy)", "check the message; if it persists, contact Tencent Cloud support with the RequestId"},
	ClassUsage:       {"usage", 64, "invalid or missing settings; nothing was sent", "fix the setting named above"},
	ClassInvalid:     {"invalid", 65, "the API rejected the request: InvalidParameter*, MissingParameter*, UnknownParameter*", "check the names of the namespace, repository and tags"},
	ClassNotFound:    {"not_found", 66, "ResourceNotFound* (instance, namespace, repo or source tag)", "check registry_id, region, the namespaces, the repository and the source tag"},
	ClassUnavailable: {"unavailable", 69, "UnsupportedOperation*, ResourceUnavailable*, ActionOffline, InvalidAction", "the instance or action is not available here; check the instance's status and edition"},
	ClassConflict:    {"conflict", 73, "the destination tag exists (and points elsewhere) and override is false", "set override: true to replace the destination tag, or choose another destination_tag"},
	ClassTemporary:   {"temporary", 75, "RequestLimitExceeded*, other InternalError*, network errors, timeouts; retries exhausted", "re-run the step; it is safe to repeat"},
	ClassPermission:  {"permission", 77, "AuthFailure*, UnauthorizedOperation*, OperationDenied*", "check the credentials and that their CAM policy allows tcr:DuplicateImage on this instance"},
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
	Status    int // HTTP status of the answer, 0 if none arrived
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

// usageErrorf returns a usage error; nothing has been sent when it is made.
func usageErrorf(format string, args ...any) error {
	return &Error{Class: ClassUsage, Message: fmt.Sprintf(format, args...)}
}

// Client-side codes, as the SDK names them, plus the two it has none for.
const (
	CodeNetwork      = "ClientError.NetworkError"
	CodeParseJSON    = "ClientError.ParseJsonError"
	CodeHTTPStatus   = "ClientError.HttpStatusCodeError"
	CodeTimeout      = "ClientError.Timeout"
	CodeCanceled     = "ClientError.Canceled"
	codeRateLimit    = "RequestLimitExceeded"
	codeTcrConflict  = "InternalError.ErrorTcrResourceConflict"
	codePrecondition = "FailedOperation.PreconditionFailed"
)

// codeClasses maps TCR codes to classes. An entry matches the code itself and
// every code under it (an entry "A" matches "A" and "A.B"); the longest
// matching entry wins, so InternalError.ErrorTcrResourceConflict is a conflict
// although InternalError is temporary.
var codeClasses = map[string]Class{
	"InvalidParameter":                ClassInvalid,
	"InvalidParameterValue":           ClassInvalid,
	"MissingParameter":                ClassInvalid,
	"UnknownParameter":                ClassInvalid,
	"ResourceNotFound":                ClassNotFound,
	"UnsupportedOperation":            ClassUnavailable,
	"ResourceUnavailable":             ClassUnavailable,
	"ActionOffline":                   ClassUnavailable,
	"InvalidAction":                   ClassUnavailable,
	codePrecondition:                  ClassConflict,
	codeTcrConflict:                   ClassConflict,
	"ResourceInUse":                   ClassConflict,
	codeRateLimit:                     ClassTemporary,
	"InternalError":                   ClassTemporary,
	"ServiceUnavailable":              ClassTemporary,
	"AuthFailure":                     ClassPermission,
	"UnauthorizedOperation":           ClassPermission,
	"OperationDenied":                 ClassPermission,
	CodeNetwork:                       ClassTemporary,
	CodeTimeout:                       ClassTemporary,
	"ClientError.CredentialError":     ClassPermission,
	"ClientError.InvalidParameter":    ClassInvalid,
	"ClientError.CircuitBreakerError": ClassTemporary,
	"ClientError.IOError":             ClassTemporary,
	"FailedOperation.OperationCancel": ClassUnexpected,
	"FailedOperation.EmptyCoreBody":   ClassUnexpected,
	"FailedOperation":                 ClassUnexpected,
	CodeCanceled:                      ClassUnexpected,
}

// ClassOfCode classifies a TCR or client-side error code.
func ClassOfCode(code string) Class {
	for c := code; c != ""; {
		if class, ok := codeClasses[c]; ok {
			return class
		}
		i := strings.LastIndexByte(c, '.')
		if i < 0 {
			break
		}
		c = c[:i]
	}
	return ClassUnexpected
}

// classify turns the outcome of one API call into an *Error. status is the
// HTTP status of the answer (0 if none arrived); ctx is the step's context.
func classify(ctx context.Context, action string, status int, err error) *Error {
	if err == nil {
		return nil
	}
	e := &Error{Action: action, Status: status, Err: err}
	if te, ok := errors.AsType[*tokenError](err); ok {
		e.Code, e.Message, e.Class = CodeOIDCToken, te.Error(), ClassPermission
		if transientStatus(te.status) {
			e.Class = ClassTemporary
		}
		return e
	}
	sdkErr, isSDK := errors.AsType[*sdkerrors.TencentCloudSDKError](err)
	if isSDK {
		e.Code, e.Message, e.RequestID = sdkErr.Code, sdkErr.Message, sdkErr.RequestId
	} else {
		e.Code, e.Message = CodeNetwork, err.Error()
	}
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		e.Class, e.Code, e.Message = ClassUnexpected, CodeCanceled, "the step was cancelled"
		return e
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		e.Class, e.Code, e.Message = ClassTemporary, CodeTimeout, "no answer in time"
		return e
	case e.Code == CodeParseJSON || e.Code == CodeHTTPStatus:
		// Not an API answer: a proxy or load balancer spoke. Its body is
		// not worth repeating, its status says what happened.
		e.Message = fmt.Sprintf("the endpoint answered HTTP %d without an API response", status)
		e.Class = ClassUnexpected
		if transientStatus(status) {
			e.Class = ClassTemporary
		}
		return e
	}
	e.Class = ClassOfCode(e.Code)
	return e
}

// transientStatus: an HTTP answer worth retrying (5xx, 429 Too Many Requests).
func transientStatus(status int) bool { return status >= 500 || status == 429 }

func isTimeout(err error) bool {
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}
