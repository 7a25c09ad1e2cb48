// Package failure says what kind of failure happened: the classes, each
// with one exit code, the table that classifies every TCR error code by
// meaning, the step's own client-side codes, and the one error type that
// carries class, code, message and RequestId from where an error is made
// to where it is reported. Callers use errors.As, never message text.
package failure

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Class is what kind of failure happened. Each class has one exit code.
type Class int

// The classes, in the order of the exit-code table.
const (
	ClassOK Class = iota
	ClassUnexpected
	ClassDrift
	ClassUsage
	ClassInvalid
	ClassNotFound
	ClassUnavailable
	ClassConflict
	ClassTemporary
	ClassPermission
	ClassPolicy
)

// Info describes a class for the exit-code tables (--help, the README).
type Info struct {
	Name string
	Code int
	When string
	next string // what to do next, printed with the failure
}

var classes = []Info{
	ClassOK:          {"ok", 0, "promoted (or the destination already held the source's image)", ""},
	ClassUnexpected:  {"unexpected", 1, "anything not classified below: FailedOperation, InternalError.ErrorTcrInvalidMediaType, a code not in the table, an untrusted TLS certificate, a non-JSON 4xx from a proxy, an answer no real API gives (ClientError.BadAnswer, .Redirect, .AnswerTooLarge); a cancelled step (ClientError.Canceled)", "check the message; if it persists, contact Tencent Cloud support with the RequestId"},
	ClassDrift:       {"drift", 3, "mode: check found a destination that does not hold what the promotion file or the settings say (ClientError.Drift); nothing was changed", "review the drift listed above: apply again (mode: apply), or change the promotion file or the settings to what the registry holds"},
	ClassUsage:       {"usage", 64, "invalid or missing settings; nothing was sent", "fix the setting named above"},
	ClassInvalid:     {"invalid", 65, "the API rejected the request: InvalidParameter*, MissingParameter*, UnknownParameter*", "check the names of the namespace, repository and tags"},
	ClassNotFound:    {"not_found", 66, "ResourceNotFound*, InternalError.ErrNotExist, an ...Unauthorized answer saying \"not found\" (a missing namespace); ClientError.SourceNotFound, ClientError.NamespaceNotFound", "check registry_id, region, the namespaces, the repository and the source tag"},
	ClassUnavailable: {"unavailable", 69, "LimitExceeded*, ResourceInsufficient*, OperationDenied.QuotaOverLimit, InternalError.ErrorOverLimit, UnsupportedOperation*, ResourceUnavailable*, InvalidAction", "the instance, its quota or the action is not available here; check the instance's status, edition and quotas"},
	ClassConflict:    {"conflict", 73, "the destination tag exists at another image and override is false, or it is immutable: FailedOperation.PreconditionFailed, *ResourceConflict, InternalError.ErrConflict, InternalError.ErrorConflict, ResourceInUse*, ClientError.DestinationExists, ClientError.ImmutableTag; the pin failed or the source moved: ClientError.DigestMismatch; someone else wrote the destination: ClientError.DestinationChanged", "set override: true to replace the destination tag, or choose another destination_tag"},
	ClassTemporary:   {"temporary", 75, "RequestLimitExceeded*, InternalError, InternalError.DbError, .ErrorTcrInternal, .Unknown, FailedOperation.DbError, .DependenceError, .GetDBDataError, .ErrorGetDBDataError, .GetTcrClient, .EmptyCoreBody, ServiceUnavailable, network errors, timeouts; retries exhausted; a replica that did not catch up within replica_timeout (ClientError.ReplicaLag: the promotions themselves are done)", "re-run the step; it is safe to repeat"},
	ClassPermission:  {"permission", 77, "AuthFailure*, UnauthorizedOperation*, OperationDenied, InternalError.ErrorTcrUnauthorized, InternalError.ErrUnauthorized, FailedOperation.ErrorTcrUnauthorized", "check the credentials, and that their CAM policy allows the TCR actions the step calls (the README's Permissions)"},
	ClassPolicy:      {"policy", 78, "a gate refused the source before any copy: require_signature (ClientError.Unsigned), require_labels (ClientError.LabelMismatch). On Drone, where 78 ends the pipeline as passing, the step exits 1 instead", "promote an image that meets the gate — signed, built from the expected commit — or change the gate"},
}

// Classes lists every class in the order of the exit-code table.
func Classes() []Info { return append([]Info(nil), classes...) }

func (c Class) String() string { return classes[c].Name }

// ExitCode returns the process exit code for err: 0 for nil, the class's
// code for a classified error, 1 for anything else. It is the only place
// that turns a class into a number. 78 is policy's; on Drone, which ends
// a pipeline as passing on 78, the step maps it (DroneSafe).
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	return classes[ClassOf(err)].Code
}

// DroneSafe is code as Drone may see it: Drone ends a pipeline early, as
// passing, on 78, so a refusal by a gate exits 1 there.
func DroneSafe(code int) int {
	if code == classes[ClassPolicy].Code {
		return 1
	}
	return code
}

// Exits turns errors into the exit codes this run's CI sees, so that
// what the log says is what the process exits with.
type Exits struct{ Drone bool }

// Code is ExitCode(err), made DroneSafe on Drone.
func (e Exits) Code(err error) int {
	if e.Drone {
		return DroneSafe(ExitCode(err))
	}
	return ExitCode(err)
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

// severity orders the classes from most to least serious, for a batch
// whose promotions failed differently: what a re-run cannot fix (settings,
// permissions, wrong names) before what needs a decision (conflicts) before
// what a re-run may fix (temporary).
var severity = []Class{ClassUsage, ClassPermission, ClassPolicy, ClassInvalid, ClassNotFound, ClassUnavailable, ClassUnexpected, ClassConflict, ClassDrift, ClassTemporary}

// SeverityOrder names the classes in severity order, for the log.
func SeverityOrder() string {
	names := make([]string, len(severity))
	for i, c := range severity {
		names[i] = c.String()
	}
	return strings.Join(names, ", ")
}

// MostSerious returns the error of the most serious class among errs, the
// first such in their order; nil if all are nil.
func MostSerious(errs []error) error {
	var worst error
	rank := len(severity)
	for _, err := range errs {
		if err == nil {
			continue
		}
		for i, c := range severity {
			if c == ClassOf(err) && i < rank {
				worst, rank = err, i
			}
		}
	}
	return worst
}

// Error is a classified failure: a usage error, or the outcome of one API
// call with its TCR (or client-side) code, message and RequestId.
type Error struct {
	Class      Class
	Action     string // the API action, empty for usage errors
	Code       string // e.g. ResourceNotFound.TcrResourceNotFound or ClientError.NetworkError
	Message    string
	RequestID  string
	HTTPStatus int    // of the answer, 0 if none arrived
	Hint       string // what to do next, when the class's advice does not fit
	// Ambiguous: the request went out and no answer says what became of
	// it (lost, cut off, garbled, timed out): a copy may have happened.
	Ambiguous bool
	// Problems are a usage error's findings, one each, for a log that
	// tells them one per line; Message joins them.
	Problems []string
	Err      error
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

// RequestID is the RequestId err carries, if any.
func RequestID(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.RequestID
	}
	return ""
}

// CodeOf is the code err carries, if any.
func CodeOf(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return ""
}

// Usagef returns a usage error; nothing has been sent when it is made.
func Usagef(format string, args ...any) *Error {
	return &Error{Class: ClassUsage, Code: CodeInvalidSettings, Message: fmt.Sprintf(format, args...)}
}

// Canceled is the error of a step cancelled (SIGTERM) during action,
// wherever it was: in a call, a retry wait or the rate limiter.
func Canceled(action string, err error) *Error {
	return &Error{Class: ClassUnexpected, Action: action, Code: CodeCanceled, Message: "the step was cancelled", Err: err}
}

// Changed is the error of a destination, dst, that someone else wrote
// while the step promoted to it.
func Changed(action, dst, requestID, message string) *Error {
	return &Error{Class: ClassConflict, Action: action, Code: CodeDestinationChanged, RequestID: requestID, Message: message,
		Hint: "someone else promotes to " + dst + " at the same time: find out who, then re-run"}
}

// About adds what a failed call was about to its message, keeping its
// class, code and RequestId. The error may be shared by several
// promotions, so it is copied, not changed.
func About(err error, format string, args ...any) error {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return err
	}
	ne := *e
	ne.Message = fmt.Sprintf(format, args...) + ": " + e.Message
	return &ne
}

// WithNote appends a note to a failed call's message, like About.
func WithNote(err error, note string) *Error {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return &Error{Class: ClassOf(err), Message: err.Error() + " (" + note + ")", Err: err}
	}
	ne := *e
	ne.Message += " (" + note + ")"
	return &ne
}

// Next is what to do after err: its own hint, else the advice that fits
// its code or action, else its class's.
func Next(err error) string {
	e, ok := errors.AsType[*Error](err)
	switch {
	case !ok:
		return classes[ClassOf(err)].next
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
	return classes[e.Class].next
}

// permissionHint names what the refused call needs.
func permissionHint(action string) string {
	switch action {
	case "", ActionGitHubToken:
		return classes[ClassPermission].next
	case ActionAssumeRole:
		return "check that the role's trust policy admits this pipeline's OIDC token (its provider, audience and subject) and that provider_id names the identity provider"
	}
	return "check the credentials, and that their CAM policy allows tcr:" + action + " on this instance"
}

// OutOfTime marks a temporary failure that ended because the step's
// timeout ran out: the advice is to raise it, not merely to re-run.
func OutOfTime(e *Error, timeout time.Duration) *Error {
	if e == nil || e.Class != ClassTemporary || e.Hint != "" {
		return e
	}
	ne := *e
	ne.Hint = fmt.Sprintf("the step's timeout (%s) ran out before this could finish: raise timeout, then re-run (a re-run reads what is in place first)", timeout)
	return &ne
}

// Panicked is the error of a recovered panic: a bug, since every answer is
// checked before use. It still ends in outputs and exit 1.
func Panicked(v any) *Error {
	return &Error{Class: ClassUnexpected, Code: CodePanic, Message: fmt.Sprintf("an internal error: %v", v),
		Hint: "this is a bug in tcr-promote: please report it with this log; a re-run reads what is in place first"}
}
