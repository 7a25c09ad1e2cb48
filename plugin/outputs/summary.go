package outputs

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
)

// summary renders the GitHub job summary: a small Markdown table with one
// row per promotion. Refs are validated settings; everything else came from
// the API and is escaped for a Markdown table cell.
func summary(registryID string, results []promotion.Result, replicas bool) string {
	var b strings.Builder
	b.WriteString("### tcr-promote: " + mdCell(registryID) + "\n\n")
	head, rule := "| source | destination | digest | before | RequestId | result |", "|---|---|---|---|---|---|"
	if replicas {
		head, rule = head+" replicas |", rule+"---|"
	}
	b.WriteString(head + "\n" + rule + "\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s | %s |",
			r.Source, r.Destination, mdCell(cmp.Or(r.Digest, "–")), mdCell(previous(r)), mdCell(cmp.Or(r.RequestID, "–")), mdCell(resultText(r)))
		if replicas {
			fmt.Fprintf(&b, " %s |", mdCell(cmp.Or(JoinStates(r.Replicas), "–")))
		}
		b.WriteString("\n")
	}
	if n := CopiedBytes(results); n > 0 {
		fmt.Fprintf(&b, "\n%d bytes of blobs moved through the runner to another instance.\n", n)
	}
	return b.String()
}

// previous is what the destination held before, for the summary: the
// digest to promote back to roll back.
func previous(r promotion.Result) string {
	switch {
	case r.PreviousDigest != "":
		return r.PreviousDigest
	case r.Digest != "":
		return "(new)"
	}
	return "–"
}

// resultText is a promotion's outcome for the job summary.
func resultText(r promotion.Result) string {
	switch r.Status {
	case promotion.StatusFailed:
		text := "❌ " + failure.ClassOf(r.Err).String()
		if e, ok := errors.AsType[*failure.Error](r.Err); ok && e.Code != "" {
			text += " (" + e.Code + ")"
		}
		switch {
		case r.Copied:
			text += ", after the copy"
		case r.MaybeCopied:
			text += ", the copy may have happened"
		}
		return text
	case promotion.StatusDryRun:
		return "✅ dry run, nothing changed"
	case promotion.StatusAlreadyThere:
		return "✅ already there"
	default:
		return "✅ promoted"
	}
}

// mdCell makes untrusted text inert in a Markdown table cell: no HTML, no
// line breaks, no cell breaks, no code spans, links or images — and none
// of what GitHub makes live after rendering: autolinks (https://…,
// www.…, addresses), @mentions that notify a team, #references. A
// zero-width space breaks each of those, unseen.
func mdCell(s string) string {
	return strings.NewReplacer(
		"&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "\\|", "`", "&#96;",
		"[", "&#91;", "]", "&#93;", "*", "&#42;",
	).Replace(unlinked.Replace(cilog.Inert(s)))
}

const zwsp = "\u200b"

var unlinked = strings.NewReplacer(
	"://", ":"+zwsp+"//", "www.", "www"+zwsp+".", "WWW.", "WWW"+zwsp+".", "Www.", "Www"+zwsp+".",
	"@", "@"+zwsp, "#", "#"+zwsp,
)

// resultJSON is one promotion in the results output.
type resultJSON struct {
	Source         string `json:"source"`
	Destination    string `json:"destination"`
	Digest         string `json:"digest"`
	PreviousDigest string `json:"previous_digest"`
	Accessories    string `json:"accessories"`
	Platforms      string `json:"platforms"`
	Via            string `json:"via,omitempty"`
	Change         string `json:"change"`
	Where          string `json:"where,omitempty"`
	Replicas       string `json:"replicas,omitempty"`
	RequestID      string `json:"request_id"`
	Status         string `json:"status"`
	ErrorCode      string `json:"error_code"`
	ErrorClass     string `json:"error_class"`
}

// ResultsJSON is the results output: one object per promotion.
func ResultsJSON(results []promotion.Result) string {
	list := make([]resultJSON, 0, len(results))
	for _, r := range results {
		j := resultJSON{Source: r.Source.String(), Destination: r.Destination.String(), Digest: r.Digest, PreviousDigest: r.PreviousDigest,
			Accessories: strings.Join(r.Accessories, ","), Platforms: strings.Join(r.Platforms, ","), Via: r.Via, Change: r.Change.String(), Where: r.Where, Replicas: JoinStates(r.Replicas), RequestID: r.RequestID, Status: r.Status.String()}
		if r.Err != nil {
			j.ErrorClass = failure.ClassOf(r.Err).String()
			if e, ok := errors.AsType[*failure.Error](r.Err); ok {
				j.ErrorCode = e.Code
			}
		}
		list = append(list, j)
	}
	b, _ := json.Marshal(list) // strings only: cannot fail
	return string(b)
}
