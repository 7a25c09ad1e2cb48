package outputs

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// Changes counts the destinations a plan would change, or a run changed:
// those to create or move that no check refused; without verify, those
// copied.
func Changes(results []promotion.Result) int {
	n := 0
	for _, r := range results {
		switch {
		case r.Err != nil && failure.CodeOf(r.Err) != failure.CodeDrift:
		case r.Change == promotion.ChangeCreate || r.Change == promotion.ChangeMove:
			n++
		case r.Change == promotion.ChangeUnknown && r.Copied:
			n++
		}
	}
	return n
}

// Plan renders the plan as Markdown — one row per destination: create,
// move (from → to), already there or refused, and why — for the job
// summary and plan_file, ready to post as a pull-request comment. What
// came from the API is escaped as in the summary.
func Plan(cfg *settings.Config, registry string, results []promotion.Result) string {
	var b strings.Builder
	title := "plan"
	if cfg.Mode == "check" {
		title = "check"
	}
	n := Changes(results)
	fmt.Fprintf(&b, "### tcr-promote %s: %s, %d %s\n\n", title, mdCell(cmp.Or(cfg.RegistryHost, registry)), n, plural(n, "change", "changes"))
	if cfg.File != nil {
		fmt.Fprintf(&b, "From `%s`.\n\n", mdCell(cfg.File.Path))
	}
	b.WriteString("| | destination | change | from | to | source |\n|---|---|---|---|---|---|\n")
	var notes []string
	for _, r := range results {
		mark, word := planWord(r)
		to := r.SourceDigest()
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | `%s` |\n", mark, r.Destination, mdCell(word), mdCell(cmp.Or(r.PreviousDigest, "–")), mdCell(cmp.Or(to, "–")), r.Source)
		if r.Err != nil {
			where := ""
			if r.Where != "" {
				where = " (" + mdCell(r.Where) + ")"
			}
			notes = append(notes, fmt.Sprintf("- `%s`%s: %s", r.Destination, where, mdCell(r.Err.Error())))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}

// planWord is a destination's line of the plan.
func planWord(r promotion.Result) (mark, word string) {
	if r.Err != nil {
		word = "refused: " + failure.ClassOf(r.Err).String()
		if e, ok := errors.AsType[*failure.Error](r.Err); ok && e.Code != "" {
			word += " (" + e.Code + ")"
		}
		if failure.CodeOf(r.Err) == failure.CodeDrift {
			return "⚠️", "drift: " + strings.ReplaceAll(r.Change.String(), "_", " ")
		}
		return "⛔", word
	}
	switch r.Change {
	case promotion.ChangeCreate:
		return "➕", "create"
	case promotion.ChangeMove:
		return "🔁", "move"
	case promotion.ChangeAlreadyThere:
		return "✅", "already there"
	}
	return "❔", r.Status.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
