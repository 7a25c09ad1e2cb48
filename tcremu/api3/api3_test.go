package api3_test

import (
	"strings"
	"testing"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
)

// Tencent's published "Signature v3" vectors (CVM DescribeInstances); the
// asterisks are part of the example key.
func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	const body = `{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`
	headers := map[string]string{
		"content-type": "application/json; charset=utf-8",
		"host":         "cvm.tencentcloudapi.com",
		"x-tc-action":  "DescribeInstances",
	}
	header := func(name string) string { return headers[name] }
	tests := []struct {
		name, key, signed, want string
	}{
		{"masked key", "Gu5t9xGARNpq86cd98joQYCN3*******", "content-type;host", "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"},
		{"x-tc-action signed", "Gu5t9xGARNpq86cd98joQYCN3*******", "content-type;host;x-tc-action", "be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3"},
		{"example key", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "content-type;host", "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			canon := api3.CanonicalRequest("POST", header, strings.Split(tt.signed, ";"), api3.SHA256Hex([]byte(body)))
			if tt.signed == "content-type;host" {
				if got, want := api3.SHA256Hex([]byte(canon)), "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"; got != want {
					t.Errorf("hashed canonical request = %s, want %s", got, want)
				}
			}
			if got := api3.Signature(tt.key, "cvm", 1551113065, canon); got != tt.want {
				t.Errorf("signature = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=abc", true},
		{"TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/other, SignedHeaders=content-type;host, Signature=abc", false},
		{"HMAC Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=abc", false},
		{"TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host", false},
		{"SKIP", false},
		{"", false},
	}
	for _, tt := range tests {
		if _, err := api3.ParseAuthorization(tt.in); (err == nil) != tt.ok {
			t.Errorf("api3.ParseAuthorization(%q) error = %v, want ok %t", tt.in, err, tt.ok)
		}
	}
}
