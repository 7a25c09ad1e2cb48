package failure

import "strings"

// Client-side codes, as the SDK names them, and the step's own for what it
// finds out itself. error_code is always the code the API returned; the
// step's own start with ClientError.
const (
	CodeInvalidSettings = "ClientError.InvalidSettings"
	CodeNetwork         = "ClientError.NetworkError"
	CodeParseJSON       = "ClientError.ParseJsonError"
	CodeHTTPStatus      = "ClientError.HttpStatusCodeError"
	CodeIOError         = "ClientError.IOError"
	CodeTimeout         = "ClientError.Timeout"
	CodeCanceled        = "ClientError.Canceled"
	CodeCertificate     = "ClientError.CertificateError"
	CodeRateLimit       = "RequestLimitExceeded"

	// Answers no real API gives.
	CodeBadAnswer      = "ClientError.BadAnswer"
	CodeRedirect       = "ClientError.Redirect"
	CodeAnswerTooLarge = "ClientError.AnswerTooLarge"
	CodePanic          = "ClientError.Panic"

	// What a promotion finds out.
	CodeSourceNotFound     = "ClientError.SourceNotFound"
	CodeNamespaceNotFound  = "ClientError.NamespaceNotFound"
	CodeDigestMismatch     = "ClientError.DigestMismatch"
	CodeDestinationExists  = "ClientError.DestinationExists"
	CodeDestinationChanged = "ClientError.DestinationChanged" // someone else wrote it meanwhile
	CodeImmutableTag       = "ClientError.ImmutableTag"
	CodeIndexLag           = "ClientError.IndexLag"
	CodeInstanceNotFound   = "ClientError.InstanceNotFound"

	// The supply chain's: gates before the copy, what travels with it.
	CodeUnsigned          = "ClientError.Unsigned"
	CodeLabelMismatch     = "ClientError.LabelMismatch"
	CodeNoSignaturePolicy = "ClientError.NoSignaturePolicy"
	CodeSignatureLag      = "ClientError.SignatureLag"
	CodeAccessoryConflict = "ClientError.AccessoryConflict"

	// The registry's (the OCI distribution API, with an instance token).
	CodeRegistryUnreachable = "ClientError.RegistryUnreachable" // no answer, or 429/5xx, once retries are spent
	CodeRegistryDenied      = "ClientError.RegistryDenied"      // the token, or the instance token, refused
	CodeRegistryError       = "ClientError.RegistryError"       // any other refusal or garbled answer

	// The promotion file's and the replicas'.
	CodeDrift      = "ClientError.Drift"      // mode: check, exit 3 and nothing else
	CodeReplicaLag = "ClientError.ReplicaLag" // wait_replicas: a replica did not catch up in time

	// The composite action's, before the binary runs (composite/run.sh).
	CodeDownloadFailed    = "ClientError.DownloadFailed"
	CodeChecksumMismatch  = "ClientError.ChecksumMismatch"
	CodeUnsupportedRunner = "ClientError.UnsupportedRunner"

	// The keyless flow's own.
	CodeOIDCToken = "ClientError.OIDCTokenError"
	CodeNoCreds   = "ClientError.CredentialError"
)

// Actions that are not TCR's, for messages and advice.
const (
	ActionAssumeRole  = "AssumeRoleWithWebIdentity"
	ActionGitHubToken = "GitHubOIDCToken"
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
	CodeIOError:                           ClassTemporary,

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
	CodeChecksumMismatch:                              ClassUnexpected,
	CodeDownloadFailed:                                ClassTemporary,
	CodeRegistryUnreachable:                           ClassTemporary,
	CodeRegistryDenied:                                ClassPermission,
	CodeRegistryError:                                 ClassUnexpected,
	CodeUnsupportedRunner:                             ClassUnavailable,
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

// ClassOfAnswer classifies an API answer. An "…Unauthorized" code whose
// message says "not found" is Harbor's wording for a missing project
// ("project not found: release"), which TCR passes on as
// InternalError.ErrorTcrUnauthorized: not found, not a permission problem.
func ClassOfAnswer(code, message string) Class {
	class := ClassOfCode(code)
	if class == ClassPermission && strings.HasSuffix(code, "Unauthorized") && notFoundMessage(message) {
		return ClassNotFound
	}
	return class
}

func notFoundMessage(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "not found")
}
