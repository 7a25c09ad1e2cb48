// Package cilog writes the step's log for CI runners that read it: lines
// on stdout and stderr, GitHub's masks and annotations, and one function,
// Inert, that makes text from outside harmless for every runner that parses
// the log for commands.
package cilog

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Logger writes the step's log. Lines go to stdout, where CI runners read
// workflow commands; on GitHub, warnings and errors become annotations.
// Every line it prints passes inert, so no text that came from outside
// (the API, settings) can start a new line or form a runner command; only
// the step's own commands go out as they are.
type Logger struct {
	mu      sync.Mutex
	out     io.Writer
	errOut  io.Writer
	debug   bool
	github  bool
	holding bool
	held    []heldLine
	secrets []string // to redact, longest first
	// A section's lines are kept until Flush writes them through parent,
	// which redacts them and knows the masks and the debug switch.
	parent *Logger
	kept   []heldLine
}

// Section returns a log whose lines are kept, in order, until Flush
// writes them to l: one promotion's lines in a batch come out together,
// in promotion order, whenever they were written. Masks and the debug
// switch are l's.
func (l *Logger) Section() *Logger {
	return &Logger{parent: l, out: l.out, errOut: l.errOut, github: l.github}
}

// Flush writes a section's kept lines to its log; nothing for a log that
// is not a section, or nil.
func (l *Logger) Flush() {
	if l == nil || l.parent == nil {
		return
	}
	l.mu.Lock()
	kept := l.kept
	l.kept = nil
	l.mu.Unlock()
	for _, h := range kept {
		l.parent.write(h.w, h.text)
	}
}

type loggerKey struct{}

// Into returns ctx carrying l: what runs under ctx writes its lines to l
// (a promotion's section).
func Into(ctx context.Context, l *Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// For is the log that ctx carries, else l.
func (l *Logger) For(ctx context.Context) *Logger {
	if c, ok := ctx.Value(loggerKey{}).(*Logger); ok && c != nil {
		return c
	}
	return l
}

// debugOn reports whether debug lines are on, for the whole log.
func (l *Logger) debugOn() bool {
	if l.parent != nil {
		return l.parent.debugOn()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.debug
}

// New returns the log: lines to out and errOut; on GitHub (github), masks,
// annotations and warnings as workflow commands.
func New(out, errOut io.Writer, github bool) *Logger {
	return &Logger{out: out, errOut: errOut, github: github}
}

// SetDebug turns the debug lines on.
func (l *Logger) SetDebug(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.debug = on
}

type heldLine struct {
	w    io.Writer
	text string
}

// Hold keeps lines back until Release, so that ::add-mask:: lines for
// secrets learnt later (an OIDC token, temporary keys) still come first.
func (l *Logger) Hold() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holding = true
}

func (l *Logger) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holding = false
	for _, h := range l.held {
		fmt.Fprintln(h.w, h.text)
	}
	l.held = nil
}

func (l *Logger) write(w io.Writer, s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.parent != nil {
		l.kept = append(l.kept, heldLine{w, s}) // redacted as it is flushed
		return
	}
	s = l.redact(s)
	if l.holding {
		l.held = append(l.held, heldLine{w, s})
		return
	}
	fmt.Fprintln(w, s)
}

// line writes one message line to stdout, made inert: only the step's
// own commands may read as runner commands.
func (l *Logger) line(s string) { l.write(l.out, Inert(s)) }

// Command writes one of the step's own runner commands (::warning::,
// CNB's ##[set-output]), as it is.
func (l *Logger) Command(s string) { l.write(l.out, s) }

// Errorf writes a failure line to stderr, which GitHub's runner parses
// for commands too.
func (l *Logger) Errorf(format string, args ...any) {
	l.write(l.errOut, "error: "+Inert(l.human(fmt.Sprintf(format, args...))))
}

func (l *Logger) Infof(format string, args ...any) {
	l.line(l.human(fmt.Sprintf(format, args...)))
}

// fullDigest is a sha256 digest as the registry writes it; compiled on
// first use, not at start-up.
var fullDigest = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`sha256:([0-9a-f]{12})[0-9a-f]{52}`) })

// human shortens the digests in a line a person reads to their first 12
// hex digits, as docker shows image IDs — unless debug is on: the
// outputs, the record and the debug log keep every digest whole.
func (l *Logger) human(s string) string {
	if l.debugOn() {
		return s
	}
	return fullDigest().ReplaceAllString(s, "sha256:${1}…")
}

// Inert makes untrusted text harmless wherever it is printed, for every
// runner that parses the log. GitHub's reads "::name" at the start of a
// line, after trimming its leading blanks, and the legacy "##[name"
// anywhere in it, on stdout and stderr; CNB reads "##[set-output". So
// control characters become spaces (no new line can start), every "##["
// becomes "## [", and leading "::" becomes ": :". The text stays readable;
// only those sequences change.
func Inert(s string) string {
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

func (l *Logger) Debugf(format string, args ...any) {
	if l.debugOn() {
		l.line("debug: " + fmt.Sprintf(format, args...))
	}
}

func (l *Logger) Warnf(format string, args ...any) {
	msg := Inert(l.human(fmt.Sprintf(format, args...)))
	if l.github {
		l.Command("::warning::" + escapeData(msg))
		return
	}
	l.line("warning: " + msg)
}

// Annotate adds a GitHub error annotation; elsewhere it does nothing, the
// failure is already in the log.
func (l *Logger) Annotate(title, msg string) {
	if l.github {
		l.Command(errorCommand(title, l.human(msg)))
	}
}

// errorCommand is GitHub's ::error workflow command, escaped as the
// runner's ActionCommand expects.
func errorCommand(title, msg string) string {
	return "::error title=" + escapeProperty(title) + "::" + escapeData(Inert(msg))
}

// Mask hides a secret in everything written after, on every CI: the
// step's own writers redact it (and each of its lines, and its form
// escaped for a workflow command) wherever it appears — in an error a
// library quoted it in, in a store's refusal that repeats it — and on
// GitHub the runner is told too, for what other steps print. Elsewhere
// nothing is printed for it: the line itself would leak the value.
func (l *Logger) Mask(secret string) {
	if l.parent != nil {
		l.parent.Mask(secret)
		return
	}
	if secret == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var parts []string
	for part := range strings.Lines(secret) {
		if p := strings.TrimRight(part, "\r\n"); p != "" {
			parts = append(parts, p)
		}
	}
	for _, p := range parts {
		l.secrets = append(l.secrets, p, escapeData(p), escapeProperty(p))
		if l.github {
			// The runner masks each line of a multi-line value too, but
			// a value with a newline would end the command early.
			fmt.Fprintln(l.out, "::add-mask::"+escapeData(p)) // never held back
		}
	}
	slices.SortFunc(l.secrets, func(a, b string) int { return len(b) - len(a) })
	l.secrets = slices.Compact(l.secrets)
}

// Redact replaces every secret masked so far in s, for text the step
// writes elsewhere than the log: outputs, the plan, the job summary.
func (l *Logger) Redact(s string) string {
	if l.parent != nil {
		return l.parent.Redact(s)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.redact(s)
}

func (l *Logger) redact(s string) string {
	for _, secret := range l.secrets {
		// A secret of a character or two would blank the log; GitHub's
		// runner leaves those alone too.
		if len(secret) >= 3 {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}

// Few joins items for a log line, an error or an annotation, within
// bounds: each said once, at most n of them, then "and N more" — a
// thousand replicas or destinations are a line, not a megabyte.
func Few(items []string, n int, sep string) string {
	seen := make(map[string]bool, len(items))
	var out []string
	more := 0
	for _, it := range items {
		switch {
		case seen[it]:
		case len(out) < n:
			out = append(out, it)
		default:
			more++
		}
		seen[it] = true
	}
	if more > 0 {
		out = append(out, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(out, sep)
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
