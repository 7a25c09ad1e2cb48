package plugin

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plugin -run %s -update)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	src := Ref{"develop", "app", "stg"}
	results := []Result{
		{Source: src, Destination: Ref{"release", "app", "prd"}, RequestID: "6c169967-6dba-4590-a361-4f1590b17174", Status: StatusPromoted, Copied: true},
		{Source: src, Destination: Ref{"release", "app", "v1"}, RequestID: "0d2b6c9e-1111-4a5b-8c9d-0123456789ab", Digest: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Status: StatusAlreadyThere},
		{Source: src, Destination: Ref{"release", "app", "latest"}, RequestID: "e1|<b>x</b>`[l](http://x)`\n| forged | row |",
			Err: &Error{Class: ClassConflict, Code: "FailedOperation.PreconditionFailed", Message: "exists"}},
		{Source: src, Destination: Ref{"release", "app", "rc"}, Err: &Error{Class: ClassTemporary, Code: CodeNetwork}},
		{Source: src, Destination: Ref{"release", "app", "next"}, Digest: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Status: StatusDryRun},
		// Applied, its answer lost, then found in place on the retry.
		{Source: src, Destination: Ref{"release", "app", "v2"}, RequestID: "3a1f", Digest: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Status: StatusPromoted, Copied: true},
		// Copied, then the read-back found another digest.
		{Source: src, Destination: Ref{"release", "app", "rc2"}, RequestID: "9b2e", Copied: true,
			Err: &Error{Class: ClassConflict, Code: CodeDigestMismatch, Message: "moved"}},
	}
	golden(t, "summary", summary("tcr-1", results))
}

func TestAnnotationGolden(t *testing.T) {
	t.Parallel()
	cases := []struct{ title, msg string }{
		{"tcr-promote: conflict", "develop/app:stg → release/app:prd in tcr-1: DuplicateImage: FailedOperation.PreconditionFailed: exists (RequestId 6c16)"},
		{"a:b,c%d\r\ne", "100% done\r\n::error::forged\nline"},
	}
	var b strings.Builder
	for _, c := range cases {
		line := errorCommand(c.title, c.msg)
		b.WriteString(line + "\n")
		// The runner ends the properties at the first "::": the title
		// must not be able to end them early, and nothing may break
		// the line.
		props, _, ok := strings.Cut(strings.TrimPrefix(line, "::error "), "::")
		if !ok || props != "title="+escapeProperty(c.title) || strings.ContainsAny(line, "\r\n") {
			t.Errorf("command %q does not keep the title %q in its property", line, c.title)
		}
	}
	b.WriteString("::add-mask::" + escapeData("multi%\nline") + "\n")
	golden(t, "annotation", b.String())
}
