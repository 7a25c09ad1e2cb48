package cilog

import (
	"strings"
	"testing"

	"github.com/tcr-promote/tcr-promote/internal/golden"

	"github.com/tcr-promote/tcr-promote/internal/runnerfiles"
)

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
	golden.Check(t, "annotation", b.String())
}

// TestInert: no text, however it is made, forms a runner command once it
// has passed Inert — read as GitHub's runner reads a line — and the
// sequences that do not matter stay as they were.
func TestInert(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"  ::set-output name=x::y", "  : :set-output name=x::y"},
		{"qcs::cam::uin/1:roleName/x", "qcs::cam::uin/1:roleName/x"},
		{"a ##[set-output x=y]", "a ## [set-output x=y]"},
		{"###[x", "### [x"},
		{"\n::error::x", " : :error::x"},
		{"\u3000::x", "\u3000: :x"},
		{"##[##[", "## [## ["},
		{"line\r\n##[add-path]/tmp", "line  ## [add-path]/tmp"},
	} {
		got := Inert(tt.in)
		if got != tt.want {
			t.Errorf("Inert(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if cmds := runnerfiles.ParseCommands(got); len(cmds) > 0 {
			t.Errorf("Inert(%q) = %q still holds %v", tt.in, got, cmds)
		}
	}
}

// FuzzInert: whatever the text, after Inert it is one line that holds no
// runner command.
func FuzzInert(f *testing.F) {
	for _, s := range []string{"::x::y", " \t::a::b", "##[set-output a=b]", "#\n#[x]", "\u2028::x::", ":\u0000:x::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Inert(s)
		if strings.ContainsAny(got, "\r\n") || len(runnerfiles.ParseCommands(got)) > 0 {
			t.Fatalf("Inert(%q) = %q", s, got)
		}
	})
}
