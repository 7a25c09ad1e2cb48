// Package api3 is Tencent Cloud's API 3.0 protocol, as a server speaks
// it: the TC3-HMAC-SHA256 signature checked from the published algorithm,
// the JSON parameters decoded strictly, and the answer's envelope. The
// emulator's services (TCR, STS) answer through it.
package api3

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// MaxBody is the largest request body the emulator reads, like the real
// service's RequestSizeLimitExceeded.
const MaxBody = 1 << 20

// Error is an API 3.0 error: a code and an English message.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf is an Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// The signature check verifies TC3-HMAC-SHA256 signatures from Tencent's published
// algorithm ("Signature v3"), independently of the SDK's signer, so that a
// bug in one cannot hide a bug in the other.

const (
	algorithm      = "TC3-HMAC-SHA256"
	SignatureSkew  = 5 * time.Minute // how far a request's timestamp may be from the server's clock
	unsignedMarker = "UNSIGNED-PAYLOAD"
)

// Authorization is a parsed TC3 Authorization header.
type Authorization struct {
	SecretID      string
	Date          string
	Service       string
	SignedHeaders []string
	Signature     string
}

var errBadAuthorization = errors.New("malformed authorization header")

// ParseAuthorization parses
// "TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=hex".
func ParseAuthorization(h string) (Authorization, error) {
	var a Authorization
	rest, ok := strings.CutPrefix(h, algorithm+" ")
	if !ok {
		return a, errBadAuthorization
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, errBadAuthorization
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 4 || f[3] != "tc3_request" || f[0] == "" {
				return a, errBadAuthorization
			}
			a.SecretID, a.Date, a.Service = f[0], f[1], f[2]
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = v
		}
	}
	if a.SecretID == "" || a.Signature == "" || len(a.SignedHeaders) == 0 {
		return a, errBadAuthorization
	}
	return a, nil
}

// CanonicalRequest builds the canonical request of a POST with an empty
// query. header returns the value of a lower-case header name.
func CanonicalRequest(method string, header func(string) string, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(method + "\n/\n\n")
	for _, name := range signed {
		b.WriteString(strings.ToLower(name) + ":" + strings.ToLower(strings.TrimSpace(header(strings.ToLower(name)))) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return b.String()
}

// Signature computes the TC3 signature of a canonical request.
func Signature(secretKey, service string, timestamp int64, canonical string) string {
	date := time.Unix(timestamp, 0).UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	stringToSign := algorithm + "\n" + strconv.FormatInt(timestamp, 10) + "\n" + scope + "\n" + SHA256Hex([]byte(canonical))
	kDate := hmacSHA256([]byte("TC3"+secretKey), date)
	kService := hmacSHA256(kDate, service)
	kSigning := hmacSHA256(kService, "tc3_request")
	return hex.EncodeToString(hmacSHA256(kSigning, stringToSign))
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func SHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Verify checks the signature of r (whose body is body) made with secretKey.
// Clients disagree on whether "host" includes a non-default port (the Go SDK
// signs what it sends, the Node.js SDK drops the port), so both are accepted.
func Verify(r *http.Request, body []byte, a Authorization, secretKey string, timestamp int64) bool {
	payloadHash := SHA256Hex(body)
	if r.Header.Get("X-TC-Content-SHA256") == unsignedMarker {
		payloadHash = SHA256Hex([]byte(unsignedMarker))
	}
	hosts := []string{r.Host}
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		hosts = append(hosts, h)
	}
	for _, host := range hosts {
		header := func(name string) string {
			if name == "host" {
				return host
			}
			return r.Header.Get(name)
		}
		got := Signature(secretKey, a.Service, timestamp, CanonicalRequest(r.Method, header, a.SignedHeaders, payloadHash))
		if hmac.Equal([]byte(got), []byte(a.Signature)) {
			return true
		}
	}
	return false
}

// DecodeParams decodes a JSON body into dst, answering UnknownParameter for a
// field dst lacks and InvalidParameter for a value of the wrong type.
func DecodeParams(body []byte, dst any) *Error {
	if len(body) == 0 {
		body = []byte("{}")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return Errorf("InvalidParameter", "The request body is not a JSON object.")
	}
	known := map[string]bool{}
	t := reflect.TypeOf(dst).Elem()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		known[name] = true
	}
	for name := range raw {
		if !known[name] {
			return Errorf("UnknownParameter", "The parameter `%s` is not recognized.", name)
		}
	}
	if err := json.Unmarshal(body, dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return Errorf("InvalidParameter", "The parameter `%s` should be of type %s.", te.Field, te.Type)
		}
		return Errorf("InvalidParameter", "The request body could not be decoded.")
	}
	return nil
}

// ResponseBody is the API 3.0 envelope of an answer: the action's fields
// and its RequestId, or the error. Like the real service the error is in
// the body, with HTTP 200.
func ResponseBody(requestID string, resp any, aerr *Error) []byte {
	if aerr != nil {
		return ErrorBody(requestID, aerr)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return ErrorBody(requestID, Errorf("InternalError", "The response could not be encoded."))
	}
	// Splice the RequestId into the action's own fields.
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(b, &fields)
	if fields == nil {
		fields = map[string]json.RawMessage{}
	}
	fields["RequestId"], _ = json.Marshal(requestID)
	out, _ := json.Marshal(map[string]any{"Response": fields})
	return out
}

// ErrorBody is the API 3.0 envelope of an error.
func ErrorBody(requestID string, aerr *Error) []byte {
	out, _ := json.Marshal(map[string]any{"Response": map[string]any{
		"Error":     map[string]string{"Code": aerr.Code, "Message": aerr.Message},
		"RequestId": requestID,
	}})
	return out
}

// Field is a named string parameter, for RequireAll.
type Field struct {
	Name  string
	Value *string
}

// RequireAll answers MissingParameter for the first field absent or empty.
func RequireAll(fields ...Field) *Error {
	for _, f := range fields {
		if f.Value == nil || *f.Value == "" {
			return Errorf("MissingParameter", "The request is missing a required parameter `%s`.", f.Name)
		}
	}
	return nil
}

// Param is a Field.
func Param(name string, v *string) Field { return Field{Name: name, Value: v} }

// Page is the part of a list of n that a page from offset of limit items
// shows.
func Page(n, offset, limit int64) (start, end int64) {
	start = min(offset, n)
	return start, min(start+limit, n)
}

// List makes an empty list encode as [] rather than null, as the service
// answers.
func List[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
