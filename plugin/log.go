package plugin

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
)

// logger writes the step's log. Lines go to stdout, where CI runners read
// workflow commands; on GitHub, warnings and errors become annotations.
// Every line it prints passes inert, so no text that came from outside
// (the API, settings) can start a new line or form a runner command; only
// the step's own commands go out as they are.
type logger struct {
	mu      sync.Mutex
	out     io.Writer
	errOut  io.Writer
	debug   bool
	github  bool
	holding bool
	held    []heldLine
}

type heldLine struct {
	w    io.Writer
	text string
}

// hold keeps lines back until release, so that ::add-mask:: lines for
// secrets learnt later (an OIDC token, temporary keys) still come first.
func (l *logger) hold() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holding = true
}

func (l *logger) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holding = false
	for _, h := range l.held {
		fmt.Fprintln(h.w, h.text)
	}
	l.held = nil
}

func (l *logger) write(w io.Writer, s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holding {
		l.held = append(l.held, heldLine{w, s})
		return
	}
	fmt.Fprintln(w, s)
}

// line writes one message line to stdout, made inert: only the step's
// own commands may read as runner commands.
func (l *logger) line(s string) { l.write(l.out, inert(s)) }

// command writes one of the step's own runner commands (::warning::,
// CNB's ##[set-output]), as it is.
func (l *logger) command(s string) { l.write(l.out, s) }

// errorf writes a failure line to stderr, which GitHub's runner parses
// for commands too.
func (l *logger) errorf(format string, args ...any) {
	l.write(l.errOut, "error: "+inert(fmt.Sprintf(format, args...)))
}

func (l *logger) infof(format string, args ...any) {
	l.line(fmt.Sprintf(format, args...))
}

// inert makes untrusted text harmless wherever it is printed, for every
// runner that parses the log. GitHub's reads "::name" at the start of a
// line, after trimming its leading blanks, and the legacy "##[name"
// anywhere in it, on stdout and stderr; CNB reads "##[set-output". So
// control characters become spaces (no new line can start), every "##["
// becomes "## [", and leading "::" becomes ": :". The text stays readable;
// only those sequences change.
func inert(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	lead := true // still in the leading blanks
	for i, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		switch {
		case lead && unicode.IsSpace(r):
		case lead && r == ':' && strings.HasPrefix(s[i:], "::"):
			b.WriteString(": ")
			lead = false
			continue
		case r == '[' && strings.HasSuffix(b.String(), "##"):
			b.WriteByte(' ')
			lead = false
		default:
			lead = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (l *logger) debugf(format string, args ...any) {
	if l.debug {
		l.line("debug: " + fmt.Sprintf(format, args...))
	}
}

func (l *logger) warnf(format string, args ...any) {
	msg := inert(fmt.Sprintf(format, args...))
	if l.github {
		l.command("::warning::" + escapeData(msg))
		return
	}
	l.line("warning: " + msg)
}

// annotate adds a GitHub error annotation; elsewhere it does nothing, the
// failure is already in the log.
func (l *logger) annotate(title, msg string) {
	if l.github {
		l.command(errorCommand(title, msg))
	}
}

// errorCommand is GitHub's ::error workflow command, escaped as the
// runner's ActionCommand expects.
func errorCommand(title, msg string) string {
	return "::error title=" + escapeProperty(title) + "::" + escapeData(inert(msg))
}

// mask tells the GitHub runner to hide a secret in everything logged after.
// Elsewhere it must print nothing: the line itself would leak the value.
func (l *logger) mask(secret string) {
	if !l.github || secret == "" {
		return
	}
	// The runner masks each line of a multi-line value too, but a value
	// with a newline would end the command early; mask line by line.
	l.mu.Lock()
	defer l.mu.Unlock()
	for part := range strings.Lines(secret) {
		if p := strings.TrimRight(part, "\r\n"); p != "" {
			fmt.Fprintln(l.out, "::add-mask::"+escapeData(p)) // never held back
		}
	}
}

// escapeData escapes a workflow command's message, as the runner's
// ActionCommand does: % \r \n.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value: also : and ,.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
