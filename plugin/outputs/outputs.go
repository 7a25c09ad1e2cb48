// Package outputs writes the step's outputs to every channel a CI home
// reads — GitHub's $GITHUB_OUTPUT (random heredoc delimiters), dotenv
// files ($DRONE_OUTPUT, output_file: GitLab's rules), CNB's set-output
// lines, a file per output in output_dir (Tekton, Argo) — and GitHub's job
// summary. Text from the API is untrusted: a value that cannot be written
// safely is left out, never altered.
package outputs

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// Spec describes one step output, for --help, action.yml and the GitLab
// component; tests hold them to this list.
type Spec struct {
	Name, Desc string
}

// Specs lists every output the step can write (dotenv keys are the names
// upper-cased).
var Specs = []Spec{
	{"request_id", "RequestId of the DuplicateImage call, or of the failed call (what Tencent Cloud support asks for)"},
	{"digest", "the digest the destination tag points at, verified by reading it back (sha256:…)"},
	{"image", "the promoted image, <registry domain>/<namespace>/<repo>:<tag>@<digest>"},
	{"previous_digest", "what the destination tag pointed at before this run, empty when it did not exist: promote it back to roll back"},
	{"accessories", "what was carried into the destination repository with the image, comma-separated: cosign's tags (sha256-<hex>.sig, .att, .sbom) and each OCI referrer as <kind>@sha256:<hex> (cosign-bundle, notation, sbom, attestation, else its artifactType); empty when none"},
	{"platforms", "what the image is, from its manifest: os/arch, or for an index each image's, comma-separated (linux/amd64,linux/arm64)"},
	{"record_type", "with record_file: the promotion record's predicate type, for actions/attest or cosign attest --type"},
	{"changes", "with mode plan or check, or a promotion_file: the number of destinations to create or move (that apply would change, or changed)"},
	{"replicas", "with wait_replicas: each replica of the instance as <region>=<ok|behind|failed>, comma-separated; empty when it has none"},
	{"promoted", "true when at least one promotion changed its destination and ended well (status promoted in results); false when none did"},
	{"copied_bytes", "with a destination on another instance: blob bytes (layers and configs, not manifests) the run moved through the runner; 0 when nothing was missing there"},
	{"request_ids", "the RequestIds of every promotion, comma-separated, in promotion order"},
	{"results", "JSON: one object per promotion with source, destination (with its host when it is another instance), digest, previous_digest, accessories, platforms, via (duplicate: server-side; registry: through the runner), change (create, move, already_there, refused), where (file:line:column in promotion_file), replicas, request_id, status (promoted, already_there, dry_run, failed), error_code, error_class"},
	{"error_code", "on failure: the TCR error code, or a client-side one such as ClientError.NetworkError (of the most serious failure in a batch)"},
	{"error_class", "on failure: unexpected, drift, usage, invalid, not_found, unavailable, conflict, temporary, permission or policy"},
}

// output is one named step output, e.g. request_id.
type output struct {
	Name, Value string
}

// Write writes the outputs of results — in registry, err being the most
// serious failure among them — and the replicas' states (nil when nothing
// was waited for) to every channel of this run. An output that cannot be
// written safely, or over a channel's budget, is left out with a warning
// and the others still go; the error is a channel that could not be
// written at all, after which later steps may see nothing.
func Write(cfg *settings.Config, log *cilog.Logger, registry string, results []promotion.Result, replicas []promotion.ReplicaState, err error) error {
	outs := values(results, err)
	if cfg.RecordFile != "" {
		outs = append([]output{{"record_type", RecordType}}, outs...)
	}
	if cfg.Reviewed() && failure.ClassOf(err) != failure.ClassUsage {
		outs = append([]output{{"changes", fmt.Sprint(Changes(results))}}, outs...)
	}
	if replicas != nil {
		// Waited for; empty when the instance has none.
		outs = append([]output{{"replicas", JoinStates(replicas)}}, outs...)
	}
	for i := range outs {
		outs[i].Value = log.Redact(outs[i].Value)
	}
	var werr error
	for _, s := range sinks(cfg, log) {
		skipped, e := s.write(outs)
		for _, skip := range skipped {
			// The value came from the API or is too large for the
			// format; the rest of the outputs still went out.
			log.Warnf("%s: left out %v", s.where, skip)
		}
		if e != nil {
			werr = errors.Join(werr, fmt.Errorf("%s: %w", s.where, e))
		}
	}
	if p := cfg.CI.StepSummary; p != "" && failure.ClassOf(err) != failure.ClassUsage {
		// A summary is a nicety (Gitea and others ignore it): a failure to
		// write it is only a warning.
		text := summary(registry, results, cfg.WaitReplicas)
		if cfg.DryRun && cfg.Reviewed() {
			text = Plan(cfg, registry, results)
		}
		if e := writeFile(p, log.Redact(text), false); e != nil {
			log.Warnf("writing the job summary: %v", e)
		}
	}
	if cfg.PlanFile != "" && failure.ClassOf(err) != failure.ClassUsage {
		if e := writeFile(cfg.PlanFile, log.Redact(Plan(cfg, registry, results)), true); e != nil {
			werr = errors.Join(werr, fmt.Errorf("plan_file: %w", e))
		}
	}
	return werr
}

// JoinStates writes replica states as the replicas output does:
// region=state, comma-separated.
func JoinStates(states []promotion.ReplicaState) string {
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = s.Region + "=" + string(s.State)
	}
	return strings.Join(parts, ",")
}

// values are the step outputs: per-promotion values for a single
// promotion, request_ids and results (JSON) always, and the error of the
// most serious failure.
func values(results []promotion.Result, err error) []output {
	var outs []output
	if len(results) == 1 {
		res := results[0]
		outs = append(outs, output{"request_id", res.RequestID})
		if res.Digest != "" {
			outs = append(outs, output{"digest", res.Digest})
		}
		if res.Image != "" {
			outs = append(outs, output{"image", res.Image})
		}
		if res.PreviousDigest != "" {
			outs = append(outs, output{"previous_digest", res.PreviousDigest})
		}
		if res.Err == nil && res.Digest != "" {
			// Looked for: empty says none, not "unknown".
			outs = append(outs, output{"accessories", strings.Join(res.Accessories, ",")})
		}
		if len(res.Platforms) > 0 {
			outs = append(outs, output{"platforms", strings.Join(res.Platforms, ",")})
		}
	}
	promoted := false
	ids := make([]string, 0, len(results))
	for _, res := range results {
		promoted = promoted || res.Status == promotion.StatusPromoted
		ids = append(ids, res.RequestID)
	}
	outs = append(outs, output{"promoted", fmt.Sprint(promoted)})
	if slices.ContainsFunc(results, func(r promotion.Result) bool { return r.Destination.Host != "" }) {
		outs = append(outs, output{"copied_bytes", fmt.Sprint(CopiedBytes(results))})
	}
	if err != nil {
		if e, ok := errors.AsType[*failure.Error](err); ok && e.Code != "" {
			outs = append(outs, output{"error_code", e.Code})
		}
		outs = append(outs, output{"error_class", failure.ClassOf(err).String()})
	}
	// The large ones last: a sink with a budget leaves them out first.
	if len(results) > 1 || results[0].Source != (imageref.Ref{}) {
		outs = append(outs, output{"request_ids", strings.Join(ids, ",")}, output{"results", ResultsJSON(results)})
	}
	return outs
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
func sinks(cfg *settings.Config, log *cilog.Logger) []sink {
	var out []sink
	if p := cfg.CI.GitHubOutput; p != "" {
		gh := lineFile(p, false, githubLine)
		gh.budget = githubBudget
		out = append(out, gh)
	}
	if p := cfg.CI.DroneOutput; p != "" {
		out = append(out, lineFile(p, false, dotenvWith(cfg.DotenvPrefix)))
	}
	if p := cfg.OutputFile; p != "" {
		out = append(out, lineFile(p, true, dotenvWith(cfg.DotenvPrefix)))
	}
	if cfg.CI.CNB {
		// Only on CNB: GitHub's runner parses ##[ commands too.
		out = append(out, sink{where: "stdout", format: cnbLine, emit: func(parts []rendered) error {
			for _, p := range parts {
				log.Command(p.text)
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

// CopiedBytes is the blob bytes the promotions moved through the runner.
func CopiedBytes(results []promotion.Result) int64 {
	var n int64
	for _, r := range results {
		n += r.CopiedBytes
	}
	return n
}
