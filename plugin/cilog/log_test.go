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

// TestHumanDigests: a line a person reads shows each digest by its first
// 12 hex digits; with debug on, and in the step's own commands (outputs),
// every digest stays whole.
func TestHumanDigests(t *testing.T) {
	t.Parallel()
	full := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	short := "sha256:0123456789ab…"
	tests := []struct {
		name  string
		debug bool
		write func(l *Logger)
		want  string
	}{
		{"info", false, func(l *Logger) { l.Infof("promoted a → b (%s)", full) }, "promoted a → b (" + short + ")\n"},
		{"warning", false, func(l *Logger) { l.Warnf("at %s", full) }, "warning: at " + short + "\n"},
		{"error", false, func(l *Logger) { l.Errorf("holds %s", full) }, "error: holds " + short + "\n"},
		{"info under debug", true, func(l *Logger) { l.Infof("promoted a → b (%s)", full) }, "promoted a → b (" + full + ")\n"},
		{"debug", true, func(l *Logger) { l.Debugf("read %s", full) }, "debug: read " + full + "\n"},
		{"a command", false, func(l *Logger) { l.Command("##[set-output digest=" + full + "]") }, "##[set-output digest=" + full + "]\n"},
		{"not a digest", false, func(l *Logger) { l.Infof("sha256:abc and sha512:%s", strings.Repeat("a", 128)) }, "sha256:abc and sha512:" + strings.Repeat("a", 128) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			l := New(&b, &b, false)
			l.SetDebug(tt.debug)
			tt.write(l)
			if b.String() != tt.want {
				t.Errorf("wrote %q, want %q", b.String(), tt.want)
			}
		})
	}
}
