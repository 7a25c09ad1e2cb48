package settings

import (
	"regexp"
	"slices"
	"testing"
)

// TestNameValidators holds the validators written out here to the
// expressions they stand for, on examples and many random strings built
// from the characters that matter.
func TestNameValidators(t *testing.T) {
	t.Parallel()
	rules := []struct {
		name string
		re   *regexp.Regexp
		is   func(string) bool
	}{
		{"role ARN", regexp.MustCompile(`^qcs::cam::uin/[0-9]+:role(Name)?/[\w+=,.@/-]+$`), isRoleArn},
		{"session name", regexp.MustCompile(`^[A-Za-z0-9=,.@-]{2,128}$`), isSessionName},
	}
	seeds := []string{"", "x", "a b", "tcr-promote@acme-app-1", "qcs::cam::uin/100000000001:roleName/tcr-promote", "qcs::cam::uin/1:role/a/b",
		"qcs::cam::uin/:role/x", "qcs::cam::uin/1:roleName/", "qcs::cam::uin/1:roleName/a_b+c=d,e.f@g"}
	// Every seed with each of its bytes dropped, or replaced by one of the
	// characters that matter.
	examples := slices.Clone(seeds)
	for _, seed := range seeds {
		for i := range len(seed) {
			examples = append(examples, seed[:i]+seed[i+1:])
			for _, c := range "aZ9_.-/:@=,+ #" {
				examples = append(examples, seed[:i]+string(c)+seed[i+1:])
			}
		}
	}
	for _, rule := range rules {
		for _, s := range examples {
			if got, want := rule.is(s), rule.re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %t, the expression says %t", rule.name, s, got, want)
			}
		}
	}
}
