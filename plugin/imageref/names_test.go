package imageref

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The expressions the validators in names.go stand for.
var nameRules = []struct {
	name string
	re   *regexp.Regexp
	is   func(string) bool
}{
	{"tag", regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`), IsTag},
	{"namespace", regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`), IsNamespace},
	{"repo", regexp.MustCompile(`^[a-z0-9]+(?:[._/-][a-z0-9]+)*$`), IsRepo},
	{"digest", regexp.MustCompile(`^sha256:[a-f0-9]{64}$`), IsDigest},
	{"reference", regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$|^sha256:[a-f0-9]{64}$`), IsReference},
	{"host", regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]+)?$`), IsHost},
}

// TestNameValidators holds each validator to its expression: on examples,
// and on many random strings built from the characters that matter.
func TestNameValidators(t *testing.T) {
	t.Parallel()
	examples := []string{
		"", "a", "stg", "v1.4.2", "-x", ".x", "_x", "prd_1", strings.Repeat("t", 128), strings.Repeat("t", 129),
		"develop", "de--v", "a.b_c-d", "a.", ".a", "team/app", "a//b", "a/b/c", "A",
		"sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("A", 64), "sha256:" + strings.Repeat("a", 63),
		"acme.tencentcloudcr.com", "host:443", "host:", "-a.com", "a-.com", "a..b", "127.0.0.1:8080",
		"qcs::cam::uin/100000000001:roleName/tcr-promote", "qcs::cam::uin/1:role/a/b", "qcs::cam::uin/:role/x", "qcs::cam::uin/1:roleName/",
		"tcr-promote@acme-app-1", "x", "a b", "request_id", "Request_id", "1a",
	}
	const alphabet = "aZ09._-/:@=,+sha256qcs::cam::uin/roleName"
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		examples = append(examples, string(b))
	}
	for _, rule := range nameRules {
		for _, s := range examples {
			if got, want := rule.is(s), rule.re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %t, the expression says %t", rule.name, s, got, want)
			}
		}
	}
}
