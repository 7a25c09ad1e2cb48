package tcremu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file verifies TC3-HMAC-SHA256 signatures from Tencent's published
// algorithm ("Signature v3"), independently of the SDK's signer, so that a
// bug in one cannot hide a bug in the other.

const (
	algorithm      = "TC3-HMAC-SHA256"
	signatureSkew  = 5 * time.Minute
	unsignedMarker = "UNSIGNED-PAYLOAD"
)

// authorization is a parsed Authorization header.
type authorization struct {
	SecretID      string
	Date          string
	Service       string
	SignedHeaders []string
	Signature     string
}

var errBadAuthorization = errors.New("malformed authorization header")

// parseAuthorization parses
// "TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (authorization, error) {
	var a authorization
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

// canonicalRequest builds the canonical request of a POST with an empty
// query. header returns the value of a lower-case header name.
func canonicalRequest(method string, header func(string) string, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(method + "\n/\n\n")
	for _, name := range signed {
		b.WriteString(strings.ToLower(name) + ":" + strings.ToLower(strings.TrimSpace(header(strings.ToLower(name)))) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return b.String()
}

// signature computes the TC3 signature of a canonical request.
func signature(secretKey, service string, timestamp int64, canonical string) string {
	date := time.Unix(timestamp, 0).UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	stringToSign := algorithm + "\n" + strconv.FormatInt(timestamp, 10) + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
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

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// verify checks the signature of r (whose body is body) made with secretKey.
// Clients disagree on whether "host" includes a non-default port (the Go SDK
// signs what it sends, the Node.js SDK drops the port), so both are accepted.
func verify(r *http.Request, body []byte, a authorization, secretKey string, timestamp int64) bool {
	payloadHash := sha256Hex(body)
	if r.Header.Get("X-TC-Content-SHA256") == unsignedMarker {
		payloadHash = sha256Hex([]byte(unsignedMarker))
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
		got := signature(secretKey, a.Service, timestamp, canonicalRequest(r.Method, header, a.SignedHeaders, payloadHash))
		if hmac.Equal([]byte(got), []byte(a.Signature)) {
			return true
		}
	}
	return false
}
