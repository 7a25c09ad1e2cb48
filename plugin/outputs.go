package plugin

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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
	{"promoted", "true if this run changed a destination; false if all were already there, or on a dry run or failure"},
	{"request_ids", "the RequestIds of every promotion, comma-separated, in promotion order"},
	{"results", "JSON: one object per promotion with source, destination, digest, request_id, status (promoted, already_there, dry_run, failed), error_code, error_class"},
	{"error_code", "on failure: the TCR error code, or a client-side one such as ClientError.NetworkError (of the most serious failure in a batch)"},
	{"error_class", "on failure: unexpected, usage, invalid, not_found, unavailable, conflict, temporary or permission"},
}

// output is one named step output, e.g. request_id.
type output struct {
	Name, Value string
}

// outputFile is one place the outputs go: GitHub's $GITHUB_OUTPUT, Harness'
// $DRONE_OUTPUT, or the output_file setting. They differ only in how a line
// is formatted and whether the file is ours to truncate.
type outputFile struct {
	path     string
	truncate bool
	format   func(output) (string, error)
}

// outputFiles returns where this run's outputs go.
func outputFiles(env func(string) string, outputFilePath string) []outputFile {
	var files []outputFile
	if p := env("GITHUB_OUTPUT"); p != "" {
		files = append(files, outputFile{path: p, format: githubLine})
	}
	if p := env("DRONE_OUTPUT"); p != "" {
		files = append(files, outputFile{path: p, format: dotenvLine})
	}
	if outputFilePath != "" {
		files = append(files, outputFile{path: outputFilePath, truncate: true, format: dotenvLine})
	}
	return files
}

// write formats every output and writes them in one append. An output that
// cannot be written safely is left out and reported; the others still go.
//
// skipped lists the outputs left out as unsafe (errUnsafeValue); err is
// an I/O failure, after which later steps may see nothing.
func (f outputFile) write(outs []output) (skipped []error, err error) {
	text, skipped := f.render(outs)
	return skipped, writeFile(f.path, text, f.truncate)
}

// writeFile writes text in one write: appended to a file the runner gave
// us, or replacing one that is ours.
func writeFile(path, text string, truncate bool) error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if truncate {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	fh, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return err
	}
	_, werr := fh.WriteString(text)
	return errors.Join(werr, fh.Close())
}

// render formats the outputs, leaving out (and reporting) those that
// cannot be written safely.
func (f outputFile) render(outs []output) (string, []error) {
	var b strings.Builder
	var errs []error
	for _, o := range outs {
		line, err := f.format(o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b.WriteString(line)
	}
	return b.String(), errs
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
		if r.Copied {
			text += ", after the copy"
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
	).Replace(oneLine(s))
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
