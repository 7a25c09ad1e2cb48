package imageref

import "strings"

// TCR's name rules, written out: the reference grammar of
// distribution/reference is looser (it allows "a__b" and "a--b", which TCR
// refuses). names_test.go holds each one against the expression it stands
// for.

// What the rules say, for messages.
const (
	NamespaceRule = "a namespace: 2-30 of a-z 0-9 . _ -"
	RepoRule      = "a repository name: a-z 0-9 . _ - /"
	TagRule       = "a tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
)

// IsTag: the OCI rule, [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func IsTag(s string) bool {
	return s != "" && len(s) <= 128 && s[0] != '.' && s[0] != '-' && only(s, "_.-")
}

// IsNamespace: runs of [a-z0-9] joined by single . _ or -.
func IsNamespace(s string) bool { return joinedBy(s, "._-") }

// IsRepo: like a namespace, and / joins the levels of a nested name.
func IsRepo(s string) bool { return joinedBy(s, "._/-") }

// joinedBy reports whether s is runs of [a-z0-9] joined by single
// characters of seps: none at either end, none twice in a row.
func joinedBy(s, seps string) bool {
	afterSep := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			afterSep = false
		case strings.IndexByte(seps, c) >= 0 && !afterSep:
			afterSep = true
		default:
			return false
		}
	}
	return !afterSep
}

// IsDigest: sha256: and 64 lower-case hex digits.
func IsDigest(s string) bool {
	hex, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if !(hex[i] >= '0' && hex[i] <= '9' || hex[i] >= 'a' && hex[i] <= 'f') {
			return false
		}
	}
	return true
}

// IsReference: a tag or a digest.
func IsReference(s string) bool { return IsTag(s) || IsDigest(s) }

// IsHost: DNS labels of [A-Za-z0-9-] (no - at either end) joined by dots,
// and an optional :port.
func IsHost(s string) bool {
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort && (port == "" || strings.TrimLeft(port, "0123456789") != "") {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' || !only(label, "-") {
			return false
		}
	}
	return true
}

// only reports whether s holds only ASCII letters, digits and extra.
func only(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && strings.IndexByte(extra, s[i]) < 0 {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
