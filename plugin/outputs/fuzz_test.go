package outputs

import (
	"encoding/base64"
	"errors"
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/tcr-promote/tcr-promote/internal/runnerfiles"
)

// FuzzOutputs renders an untrusted value between two fixed outputs with
// every writer's format and reads the result back as its consumer would:
// the value must come back intact or be refused, and no other output may
// appear or change. (The file I/O around it is tested end to end; here it
// would only slow the fuzzer down.)
func FuzzOutputs(f *testing.F) {
	f.Add("eee33f6d-1234-4a5b-8c9d-0123456789ab")
	f.Add("id\nrequest_id=forged")
	f.Add("x\r\nERROR_CLASS=ok")
	f.Add("\"quoted\"")
	f.Add("a #comment")
	f.Add("ghadelimiter_0123\n::error::x")
	f.Add("")
	f.Add("##[set-output promoted=true]")
	f.Add("base64,dHJ1ZQ==")
	f.Add("a]b\\n[c")
	readers := map[string]func(string) (map[string]string, error){
		"github": runnerfiles.ParseGitHubOutput,
		"dotenv": parseDotenv,
		"cnb":    parseCNB,
	}
	formats := map[string]func(output) (string, error){"github": githubLine, "dotenv": dotenvLine, "cnb": cnbLine}
	f.Fuzz(func(t *testing.T, value string) {
		outs := []output{{"error_class", "conflict"}, {"request_id", value}, {"error_code", "FailedOperation"}}
		for name, format := range formats {
			text, errs := render(format, outs)
			for _, err := range errs {
				if !errors.Is(err, errUnsafeValue) {
					t.Fatal(err)
				}
			}
			got, err := readers[name](text)
			if err != nil {
				t.Fatalf("%s: unreadable: %v\n%q", name, err, text)
			}
			want := map[string]string{"error_class": "conflict", "error_code": "FailedOperation", "request_id": value}
			if len(errs) > 0 {
				delete(want, "request_id") // the value was refused
			}
			if !maps.Equal(got, want) {
				t.Fatalf("%s: outputs %q, want %q", name, got, want)
			}
		}
	})
}

// render is what a sink with format writes for outs.
func render(format func(output) (string, error), outs []output) (string, []error) {
	var b strings.Builder
	s := sink{format: format, emit: func(parts []rendered) error {
		for _, p := range parts {
			b.WriteString(p.text)
			if strings.HasPrefix(p.text, "##[") {
				b.WriteString("\n") // the logger ends CNB's lines
			}
		}
		return nil
	}}
	skipped, _ := s.write(outs)
	return b.String(), skipped
}

// parseCNB reads ##[set-output name=value] lines as CNB does: a value
// starting with base64, is decoded, any other is taken as it is (it holds
// no backslash to unescape).
func parseCNB(text string) (map[string]string, error) {
	got := map[string]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		body, ok := strings.CutPrefix(line, "##[set-output ")
		if !ok || !strings.HasSuffix(body, "]") {
			return nil, errors.New("bad line " + line)
		}
		name, v, ok := strings.Cut(strings.TrimSuffix(body, "]"), "=")
		if !ok {
			return nil, errors.New("bad line " + line)
		}
		if b64, ok := strings.CutPrefix(v, "base64,"); ok {
			b, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, err
			}
			v = string(b)
		} else if strings.ContainsAny(v, "\\[]") {
			return nil, errors.New("a plain value CNB would alter: " + line)
		}
		got[name] = v
	}
	return got, nil
}

// parseDotenv reads a dotenv file as GitLab does, keys lower-cased.
func parseDotenv(text string) (map[string]string, error) {
	env, err := runnerfiles.ParseDotenv(text)
	if err != nil {
		return nil, err
	}
	got := map[string]string{}
	for k, v := range env {
		got[strings.ToLower(k)] = v
	}
	return got, nil
}

// TestOutputName holds isOutputName to the expression it stands for.
func TestOutputName(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for _, s := range []string{"", "a", "request_id", "Request_id", "1a", "a-b", "image_url", "_x", "x_", "a b"} {
		if got, want := isOutputName(s), re.MatchString(s); got != want {
			t.Errorf("isOutputName(%q) = %t, the expression says %t", s, got, want)
		}
	}
}
