package plugin

import "strings"

// Validators for the names in the settings, written out rather than as
// regular expressions: every run validates its settings, and compiling
// expressions at start-up would cost more than the checks themselves.
// names_test.go holds each one against the expression it stands for.

// isTag: the OCI rule, [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func isTag(s string) bool {
	return s != "" && len(s) <= 128 && s[0] != '.' && s[0] != '-' && only(s, "_.-")
}

// isNamespace: runs of [a-z0-9] joined by single . _ or -.
func isNamespace(s string) bool { return joinedBy(s, "._-") }

// isRepo: like a namespace, and / joins the levels of a nested name.
func isRepo(s string) bool { return joinedBy(s, "._/-") }

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

// isDigest: sha256: and 64 lower-case hex digits.
func isDigest(s string) bool {
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

// isReference: a tag or a digest.
func isReference(s string) bool { return isTag(s) || isDigest(s) }

// isHost: DNS labels of [A-Za-z0-9-] (no - at either end) joined by dots,
// and an optional :port.
func isHost(s string) bool {
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

// isRoleArn: qcs::cam::uin/<digits>:role/<name> or …:roleName/<name>.
func isRoleArn(s string) bool {
	rest, ok := strings.CutPrefix(s, "qcs::cam::uin/")
	if !ok {
		return false
	}
	uin, role, ok := strings.Cut(rest, ":")
	if !ok || uin == "" || strings.TrimLeft(uin, "0123456789") != "" {
		return false
	}
	name, ok := strings.CutPrefix(role, "roleName/")
	if !ok {
		name, ok = strings.CutPrefix(role, "role/")
	}
	return ok && name != "" && only(name, "_+=,.@/-")
}

// isSessionName: 2-128 of A-Z a-z 0-9 = , . @ -.
func isSessionName(s string) bool {
	return len(s) >= 2 && len(s) <= 128 && only(s, "=,.@-")
}

// isOutputName: [a-z][a-z0-9_]*.
func isOutputName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_') {
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

// isInstanceID: an Enterprise instance ID, e.g. tcr-e8pg46c6: 1-64 of
// a-z 0-9 -.
func isInstanceID(s string) bool {
	return s != "" && len(s) <= 64 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}

// isRegion: a region such as ap-guangzhou or ap-shanghai-fsi: runs of
// a-z 0-9 joined by single hyphens, at least two of them.
func isRegion(s string) bool {
	return len(s) <= 64 && strings.Contains(s, "-") && joinedBy(s, "-")
}

// isCredential: a key or token as STS gives them, printable ASCII without
// blanks (they go into request headers), 1-4096 characters.
func isCredential(s string) bool {
	if s == "" || len(s) > 4096 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
