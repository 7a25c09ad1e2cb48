package plugin

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// OutputSpec describes one step output, for --help, action.yml and the
// GitLab component; tests hold them to this list.
type OutputSpec struct {
	Name, Desc string
}

// Outputs lists every output the step can write (dotenv keys are the names
// upper-cased).
var Outputs = []OutputSpec{
	{"request_id", "RequestId of the DuplicateImage call, or of the failed call (what Tencent Cloud support asks for)"},
	{"digest", "the digest the destination tag points at, verified by reading it back (sha256:…)"},
	{"image", "the promoted image, <registry domain>/<namespace>/<repo>:<tag>@<digest>"},
	{"promoted", "true when at least one promotion changed its destination and ended well (status promoted in results); false when none did"},
	{"request_ids", "the RequestIds of every promotion, comma-separated, in promotion order"},
	{"results", "JSON: one object per promotion with source, destination, digest, request_id, status (promoted, already_there, dry_run, failed), error_code, error_class"},
	{"error_code", "on failure: the TCR error code, or a client-side one such as ClientError.NetworkError (of the most serious failure in a batch)"},
	{"error_class", "on failure: unexpected, usage, invalid, not_found, unavailable, conflict, temporary or permission"},
}

// output is one named step output, e.g. request_id.
type output struct {
	Name, Value string
}

// sink is one place the outputs go: a file of lines the runner reads
// ($GITHUB_OUTPUT, Harness' $DRONE_OUTPUT, output_file), CNB's stdout
// lines, or a directory of one file per output (output_dir). Sinks differ
// in how one output is written and where the text goes; writing them is
// shared.
type sink struct {
	where  string                       // for messages: a path, or stdout
	format func(output) (string, error) // one output; errUnsafeValue if it cannot be written safely
	emit   func(parts []rendered) error // where the formatted outputs go
	extend func([]output) []output      // outputs only this sink writes
	budget int                          // bytes the consumer takes in all; 0: no limit
}

// rendered is one output as a sink writes it.
type rendered struct {
	output
	text string
}

// sinks returns where this run's outputs go.
func sinks(cfg *Config, log *logger) []sink {
	var out []sink
	if p := cfg.CI.GitHubOutput; p != "" {
		out = append(out, lineFile(p, false, githubLine))
	}
	if p := cfg.CI.DroneOutput; p != "" {
		out = append(out, lineFile(p, false, dotenvLine))
	}
	if p := cfg.OutputFile; p != "" {
		out = append(out, lineFile(p, true, dotenvLine))
	}
	if cfg.CI.CNB {
		// Only on CNB: GitHub's runner parses ##[ commands too.
		out = append(out, sink{where: "stdout", format: cnbLine, emit: func(parts []rendered) error {
			for _, p := range parts {
				log.command(p.text)
			}
			return nil
		}})
	}
	if dir := cfg.OutputDir; dir != "" {
		out = append(out, sink{where: dir, format: rawValue, extend: withTektonImage, budget: tektonBudget,
			emit: func(parts []rendered) error { return writeDir(dir, parts) }})
	}
	return out
}

// lineFile is a file of formatted lines: appended to when the runner gave
// it, replaced when it is ours.
func lineFile(path string, ours bool, format func(output) (string, error)) sink {
	return sink{where: path, format: format, emit: func(parts []rendered) error {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p.text)
		}
		return writeFile(path, b.String(), ours)
	}}
}

// write formats every output and emits them together. An output that
// cannot be written safely, or would take the sink past its budget, is
// left out and reported; the others still go.
//
// skipped lists the outputs left out (errUnsafeValue); err is an I/O
// failure, after which later steps may see nothing.
func (s sink) write(outs []output) (skipped []error, err error) {
	if s.extend != nil {
		outs = s.extend(outs)
	}
	var parts []rendered
	total := 0
	for _, o := range outs {
		text, err := s.format(o)
		switch {
		case err != nil:
			skipped = append(skipped, err)
		case s.budget > 0 && total+len(text) > s.budget:
			skipped = append(skipped, fmt.Errorf("output %s: %d bytes would take the outputs past %d: %w", o.Name, len(text), s.budget, errUnsafeValue))
		default:
			total += len(text)
			parts = append(parts, rendered{o, text})
		}
	}
	return skipped, s.emit(parts)
}

// writeFile writes text in one write: appended to a file the runner gave
// us, or replacing one that is ours.
func writeFile(path, text string, ours bool) error {
	if ours {
		return replaceFile(path, text)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, werr := fh.WriteString(text)
	return errors.Join(werr, fh.Close())
}

// replaceFile writes path whole and atomically: a temporary file in the
// same directory, renamed over it. The rename replaces whatever is at path
// — a symlink planted by an earlier step too — and never writes through
// it; a reader sees the old file or the new one, never half of one.
func replaceFile(path, text string) error {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(cmp.Or(dir, "."), "."+base+".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.WriteString(text)
	err = errors.Join(werr, f.Close(), os.Chmod(f.Name(), 0o644)) // readable by the steps that follow
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// writeDir writes output_dir: each output a file of its own, and every
// other file the step owns there removed, so that no value of an earlier
// run survives this one.
func writeDir(dir string, parts []rendered) error {
	var errs []error
	written := map[string]bool{}
	for _, p := range parts {
		errs = append(errs, replaceFile(filepath.Join(dir, p.Name), p.text))
		written[p.Name] = true
	}
	for _, name := range ownedFiles() {
		if written[name] {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ownedFiles are the names the step writes in output_dir.
func ownedFiles() []string {
	names := []string{"IMAGE_URL", "IMAGE_DIGEST"}
	for _, o := range Outputs {
		names = append(names, o.Name)
	}
	return names
}

// tektonBudget keeps output_dir within what Tekton takes: a TaskRun's
// results share a termination message of about 4 KB. The outputs are
// written small ones first; request_ids and results are left out, with a
// warning, when they would not fit.
const tektonBudget = 3 << 10

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
func dotenvLine(o output) (string, error) {
	key := strings.ToUpper(o.Name)
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

// summary renders the GitHub job summary: a small Markdown table with one
// row per promotion. Refs are validated settings; everything else came from
// the API and is escaped for a Markdown table cell.
func summary(registryID string, results []Result) string {
	var b strings.Builder
	b.WriteString("### tcr-promote: " + mdCell(registryID) + "\n\n")
	b.WriteString("| source | destination | digest | RequestId | result |\n|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n",
			r.Source, r.Destination, mdCell(cmpOrDash(r.Digest)), mdCell(cmpOrDash(r.RequestID)), mdCell(resultText(r)))
	}
	return b.String()
}

// resultText is a promotion's outcome for the job summary.
func resultText(r Result) string {
	switch r.Status {
	case StatusFailed:
		text := "❌ " + ClassOf(r.Err).String()
		if e, ok := errors.AsType[*Error](r.Err); ok && e.Code != "" {
			text += " (" + e.Code + ")"
		}
		switch {
		case r.Copied:
			text += ", after the copy"
		case r.MaybeCopied:
			text += ", the copy may have happened"
		}
		return text
	case StatusDryRun:
		return "✅ dry run, nothing changed"
	case StatusAlreadyThere:
		return "✅ already there"
	default:
		return "✅ promoted"
	}
}

func cmpOrDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// mdCell makes untrusted text inert in a Markdown table cell: no HTML, no
// line breaks, no cell breaks, no code spans or links.
func mdCell(s string) string {
	return strings.NewReplacer(
		"&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "\\|", "`", "&#96;",
		"[", "&#91;", "]", "&#93;", "*", "&#42;",
	).Replace(inert(s))
}

// resultJSON is one promotion in the results output.
type resultJSON struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Digest      string `json:"digest"`
	RequestID   string `json:"request_id"`
	Status      string `json:"status"`
	ErrorCode   string `json:"error_code"`
	ErrorClass  string `json:"error_class"`
}

func resultsJSON(results []Result) string {
	list := make([]resultJSON, 0, len(results))
	for _, r := range results {
		j := resultJSON{Source: r.Source.String(), Destination: r.Destination.String(), Digest: r.Digest, RequestID: r.RequestID, Status: r.Status.String()}
		if r.Err != nil {
			j.ErrorClass = ClassOf(r.Err).String()
			if e, ok := errors.AsType[*Error](r.Err); ok {
				j.ErrorCode = e.Code
			}
		}
		list = append(list, j)
	}
	b, _ := json.Marshal(list) // strings only: cannot fail
	return string(b)
}
