package outputs

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// tektonBudget keeps output_dir within what Tekton takes: a TaskRun's
// results share a termination message of about 4 KB. The outputs are
// written small ones first; request_ids and results are left out, with a
// warning, when they would not fit.
const tektonBudget = 3 << 10

// githubBudget is what the step writes to $GITHUB_OUTPUT at most: GitHub
// keeps 1 MiB of outputs for a whole job, and other steps need room too.
const githubBudget = 512 << 10

// rawValue is an output as a file of its own holds it: exactly the value,
// no trailing newline.
func rawValue(o output) (string, error) {
	if !isOutputName(strings.ToLower(o.Name)) {
		return "", fmt.Errorf("output %q: bad name: %w", o.Name, errUnsafeValue)
	}
	return o.Value, nil
}

// withTektonImage adds the results Tekton Chains reads to attest an image:
// IMAGE_URL (the image without its digest) and IMAGE_DIGEST.
func withTektonImage(outs []output) []output {
	var image, digest string
	for _, o := range outs {
		switch o.Name {
		case "image":
			image, _, _ = strings.Cut(o.Value, "@")
		case "digest":
			digest = o.Value
		}
	}
	if image == "" || digest == "" {
		return outs
	}
	return append(slices.Clone(outs), output{"IMAGE_URL", image}, output{"IMAGE_DIGEST", digest})
}

// cnbLine writes ##[set-output name=value], the line CNB reads from a
// plugin's stdout. A value that could not survive the line — a newline, a
// bracket, a backslash (CNB unescapes plain values), anything not printable
// ASCII, JSON — is written base64-encoded, as CNB decodes a value that
// starts with "base64,". CNB ignores values of 100 KB or more.
func cnbLine(o output) (string, error) {
	if !isOutputName(o.Name) {
		return "", fmt.Errorf("output %q: bad name: %w", o.Name, errUnsafeValue)
	}
	v := o.Value
	if !cnbPlain(v) {
		v = "base64," + base64.StdEncoding.EncodeToString([]byte(o.Value))
	}
	if len(v) >= 100<<10 {
		return "", fmt.Errorf("output %s: %d bytes, over CNB's limit: %w", o.Name, len(v), errUnsafeValue)
	}
	return "##[set-output " + o.Name + "=" + v + "]", nil
}

func cnbPlain(v string) bool {
	if strings.HasPrefix(v, "base64,") {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '\\' || c == '[' || c == ']' {
			return false
		}
	}
	return true
}

var errUnsafeValue = errors.New("value cannot be written safely")

// githubLine writes name<<DELIMITER, the value, DELIMITER — as GitHub's
// toolkit does — with a random delimiter, so no value, whatever the API put
// in it, can end the entry early and start a forged output.
func githubLine(o output) (string, error) {
	if !isOutputName(o.Name) {
		return "", fmt.Errorf("output %q: bad name: %w", o.Name, errUnsafeValue)
	}
	var r [16]byte
	_, _ = rand.Read(r[:])
	delim := "ghadelimiter_" + hex.EncodeToString(r[:])
	// A \r is refused too: runners' line readers disagree on it, so such
	// a value would not come back as written.
	if strings.Contains(o.Value, delim) || strings.Contains(o.Value, "\r") {
		return "", fmt.Errorf("output %s: %w", o.Name, errUnsafeValue)
	}
	return o.Name + "<<" + delim + "\n" + o.Value + "\n" + delim + "\n", nil
}

// dotenvLine writes KEY=value under GitLab's dotenv rules (keys [A-Z0-9_],
// one line, no quoting), which Harness' godotenv also reads. A value with a
// control character, or one a dotenv reader would unquote or cut at a
// comment, is refused rather than altered.
func dotenvLine(o output) (string, error) { return dotenvWith("")(o) }

// dotenvWith is dotenvLine with prefix before each key (dotenv_prefix).
func dotenvWith(prefix string) func(output) (string, error) {
	return func(o output) (string, error) { return dotenv(prefix, o) }
}

func dotenv(prefix string, o output) (string, error) {
	key := prefix + strings.ToUpper(o.Name)
	if !isOutputName(o.Name) {
		return "", fmt.Errorf("output %q: bad name: %w", o.Name, errUnsafeValue)
	}
	v := o.Value
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' }) ||
		strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `'`) || strings.HasPrefix(v, "`") || strings.Contains(v, " #") || strings.HasPrefix(v, "#") {
		return "", fmt.Errorf("output %s: %w", key, errUnsafeValue)
	}
	if len(v) > maxDotenvValue {
		return "", fmt.Errorf("output %s: %d bytes, over GitLab's dotenv limit: %w", key, len(v), errUnsafeValue)
	}
	return key + "=" + v + "\n", nil
}

// maxDotenvValue keeps one value well inside GitLab's 5 KB dotenv report,
// which GitLab rejects whole when it is larger.
const maxDotenvValue = 4096

// isOutputName: [a-z][a-z0-9_]*.
func isOutputName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
}
