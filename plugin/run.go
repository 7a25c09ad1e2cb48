package plugin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Version is stamped at build time with -ldflags "-X …/plugin.Version=v1.2.3".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Runner runs the step. Its fields are the outside world, injected so tests
// run in parallel without touching the process.
type Runner struct {
	Env    Lookuper
	Stdout io.Writer
	Stderr io.Writer
	// Transport carries the API's HTTP requests; nil means NewTransport().
	Transport http.RoundTripper
	// Backoff is the wait before retry n (from 0); nil means exponential
	// backoff with full jitter from 1s, capped at 20s.
	Backoff func(retry int) time.Duration
	// DefaultCredentials is the last resort when neither keys nor a role
	// are given; nil means the common SDK's chain (profile file, TKE OIDC,
	// CVM role).
	DefaultCredentials func(ctx context.Context) (common.CredentialIface, error)
}

// Main runs the step with args (os.Args) and returns the exit code.
func Main(ctx context.Context, args []string, env Lookuper, stdout, stderr io.Writer) int {
	r := &Runner{Env: env, Stdout: stdout, Stderr: stderr}
	return r.Run(ctx, args)
}

// Run runs the step and returns the exit code.
func (r *Runner) Run(ctx context.Context, args []string) int {
	if len(args) > 1 {
		switch args[1] {
		case "-h", "--help", "help":
			fmt.Fprint(r.Stdout, Help())
			return 0
		case "-v", "--version", "version":
			fmt.Fprintln(r.Stdout, "tcr-promote", version())
			return 0
		default:
			fmt.Fprintf(r.Stderr, "tcr-promote: unknown argument %q: settings come from PLUGIN_* or INPUT_* variables; see --help\n", inert(args[1]))
			return ExitCode(&Error{Class: ClassUsage})
		}
	}
	cfg, err := LoadConfig(r.Env)
	log := &logger{out: r.Stdout, errOut: r.Stderr, github: cfg.CI.GitHub}
	// Masks go first, before any line that could carry a secret; lines
	// are held back until the secrets that credentials bring are masked.
	for _, secret := range cfg.secrets {
		log.mask(secret)
	}
	log.debug = cfg.Debug
	log.hold()
	for _, w := range cfg.warnings {
		log.warnf("%s", w)
	}
	var results []Result
	if err != nil {
		log.release()
		results = []Result{{Err: err}}
		report(log, cfg.RegistryID, results[0], false)
	} else {
		results = r.executeSafely(ctx, cfg, log)
	}
	return r.finish(cfg, log, results)
}

// executeSafely is execute with a last resort: a panic — a bug, since every
// answer is checked before use — still ends in outputs and exit 1. Tests
// hold that it is never reached.
func (r *Runner) executeSafely(ctx context.Context, cfg *Config, log *logger) (results []Result) {
	defer func() {
		if v := recover(); v != nil {
			log.release()
			res := Result{Err: panicked(v)}
			report(log, cfg.RegistryID, res, false)
			results = []Result{res}
		}
	}()
	return r.execute(ctx, cfg, log)
}

// panicked is the error of a recovered panic.
func panicked(v any) *Error {
	return &Error{Class: ClassUnexpected, Code: CodePanic, Message: fmt.Sprintf("an internal error: %v", v),
		Hint: "this is a bug in tcr-promote: please report it with this log; a re-run reads what is in place first"}
}

// execute gets the credentials and runs the promotions.
func (r *Runner) execute(ctx context.Context, cfg *Config, log *logger) []Result {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	a := newAPI(cfg, log, r.Transport, r.Backoff)
	cred, err := r.credentials(ctx, cfg, a, log)
	log.release()
	if err == nil {
		err = a.connect(cfg, cmp.Or(cfg.Region, lookupRegion), cred)
	}
	if err == nil && len(cfg.InstanceNames) > 0 {
		// The host named the instance: find it, then sign every call
		// for its region.
		if err = findInstance(ctx, a, cfg); err == nil {
			err = a.connect(cfg, cfg.Region, cred)
		}
	}
	if err != nil {
		// No promotion can start: report the cause once, and every
		// promotion as failed by it.
		report(log, cfg.RegistryID, Result{Err: err}, false)
		id := requestID(err) // e.g. STS's, which support will ask for
		results := make([]Result, len(cfg.Pairs))
		for i, pair := range cfg.Pairs {
			results[i] = Result{Source: pair.Source, Destination: pair.Destination, RequestID: id, Err: err}
		}
		return results
	}
	log.debugf("tcr-promote %s: %d promotions in %s (%s) via %s://%s, override %t, verify %t, dry run %t, timeout %s, %d copies/s",
		version(), len(cfg.Pairs), cfg.RegistryID, cfg.Region, cfg.Scheme, cfg.Host, cfg.Override, cfg.Verify, cfg.DryRun, cfg.Timeout, cfg.RateLimit)
	if need := time.Duration(len(cfg.Pairs)) * time.Second / time.Duration(cfg.RateLimit); need > cfg.Timeout {
		log.warnf("%d promotions at %d copies/s need at least %s, more than timeout (%s): raise timeout, or the rest will fail with 75", len(cfg.Pairs), cfg.RateLimit, need, cfg.Timeout)
	}
	results := newPromoter(ctx, a, cfg, log).batch(ctx, cfg.Pairs)
	refused := ""
	if n := a.refusals(); n > 0 {
		refused = fmt.Sprintf("; %d requests refused by TCR's rate limit and sent again", n)
	}
	if len(results) > 1 {
		counts := map[Status]int{}
		for _, res := range results {
			counts[res.Status]++
		}
		log.infof("%d promotions: %d promoted, %d already there, %d dry run, %d failed%s",
			len(results), counts[StatusPromoted], counts[StatusAlreadyThere], counts[StatusDryRun], counts[StatusFailed], refused)
		if err := mostSerious(results); err != nil {
			log.errorf("exit %d: %s is the most serious failure (order: %s)", ExitCode(err), ClassOf(err), severityOrder())
		}
	} else if refused != "" {
		log.infof("%s", strings.TrimPrefix(refused, "; "))
	}
	return results
}

// finish writes the outputs and the summary and returns the exit code: 0
// only when every promotion succeeded, else the most serious class's.
func (r *Runner) finish(cfg *Config, log *logger, results []Result) int {
	err := mostSerious(results)
	outs := resultOutputs(results, err)
	var werr error
	for _, s := range sinks(cfg, log) {
		skipped, e := s.write(outs)
		for _, skip := range skipped {
			// The value came from the API or is too large for the
			// format; the rest of the outputs still went out.
			log.warnf("%s: left out %v", s.where, skip)
		}
		if e != nil {
			werr = errors.Join(werr, fmt.Errorf("%s: %w", s.where, e))
		}
	}
	if p := cfg.CI.StepSummary; p != "" && ClassOf(err) != ClassUsage {
		// A summary is a nicety (Gitea and others ignore it): a failure to
		// write it is only a warning.
		if e := writeFile(p, summary(cfg.RegistryID, results), false); e != nil {
			log.warnf("writing the job summary: %v", e)
		}
	}
	if werr != nil {
		log.errorf("writing the outputs: %v", werr)
		if err == nil {
			// The promotion happened, but later steps will not see it.
			// Failing is safe: a re-run finds the tag in place.
			return ExitCode(&Error{Class: ClassUnexpected})
		}
	}
	return ExitCode(err)
}

// resultOutputs are the step outputs: per-promotion values for a single
// promotion, request_ids and results (JSON) always, and the error of the
// most serious failure.
func resultOutputs(results []Result, err error) []output {
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
	}
	promoted := false
	ids := make([]string, 0, len(results))
	for _, res := range results {
		promoted = promoted || res.Status == StatusPromoted
		ids = append(ids, res.RequestID)
	}
	outs = append(outs, output{"promoted", fmt.Sprint(promoted)})
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok && e.Code != "" {
			outs = append(outs, output{"error_code", e.Code})
		}
		outs = append(outs, output{"error_class", ClassOf(err).String()})
	}
	// The large ones last: a sink with a budget leaves them out first.
	if len(results) > 1 || results[0].Source != (Ref{}) {
		outs = append(outs, output{"request_ids", strings.Join(ids, ",")}, output{"results", resultsJSON(results)})
	}
	return outs
}

// report logs one line for a success, or the failure with what to do next.
func report(log *logger, registryID string, res Result, batch bool) {
	what := fmt.Sprintf("%s → %s in %s", res.Source, res.Destination, registryID)
	if res.Source == (Ref{}) {
		what = "before any promotion" // settings or credentials
	}
	if res.Err == nil {
		verb := map[Status]string{StatusPromoted: "promoted", StatusDryRun: "dry run ok:", StatusAlreadyThere: "already promoted"}[res.Status]
		var detail []string
		if res.Digest != "" {
			detail = append(detail, res.Digest)
		}
		if res.RequestID != "" {
			detail = append(detail, "RequestId "+res.RequestID)
		} else {
			detail = append(detail, "nothing copied")
		}
		log.infof("%s %s (%s)", verb, what, strings.Join(detail, ", "))
		return
	}
	class := ClassOf(res.Err)
	e, _ := errors.AsType[*Error](res.Err)
	if class == ClassUsage {
		log.errorf("%s (exit %d)", res.Err, ExitCode(res.Err))
		log.annotate("tcr-promote: invalid settings", res.Err.Error())
		return
	}
	exit := fmt.Sprintf(" (exit %d)", ExitCode(res.Err))
	if batch {
		exit = "" // the batch's exit code is decided at the end
	}
	log.errorf("failed %s: %s%s", what, class, exit)
	if e != nil {
		log.errorf("  %s: %s", cmpOrNone(e.Code), e.Message)
		log.errorf("  RequestId: %s", cmp.Or(e.RequestID, "none (no answer from the API)"))
	} else {
		log.errorf("  %s", res.Err)
	}
	switch {
	case res.Copied:
		// The failure came after the copy: say plainly what changed.
		log.errorf("  the registry was changed: DuplicateImage wrote %s (RequestId %s)", res.Destination, cmp.Or(res.RequestID, "unknown"))
	case res.MaybeCopied:
		log.errorf("  the registry may have been changed: DuplicateImage was sent to write %s, and what became of it is unknown; a re-run reads it first", res.Destination)
	}
	log.errorf("  next: %s", next(res.Err))
	log.annotate("tcr-promote: "+class.String(), fmt.Sprintf("%s: %s", what, res.Err))
}

func cmpOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Help is the --help text, derived from the Settings struct and the class
// table so that it cannot drift from the code.
func Help() string {
	var b strings.Builder
	b.WriteString(`tcr-promote promotes an image tag in Tencent Cloud Container Registry (TCR)
with one server-side copy (DuplicateImage; DuplicateImagePersonal on the
Personal edition), e.g. acme.tencentcloudcr.com/develop/app:stg ->
release/app:prd, and reports the RequestId and digest to the pipeline.

Usage: tcr-promote [--help | --version | demo]   (demo: a real promotion against the built-in emulator)
Settings come from the environment: PLUGIN_<NAME> (Drone, Woodpecker),
INPUT_<NAME> (GitHub; INPUT_<NAME-WITH-HYPHENS> too), first found wins; an
empty value counts as unset.

Settings:
`)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  name\tvariables\tdefault\tmeaning")
	for _, s := range AllSettings() {
		def := s.Default
		switch {
		case s.Required && def != "":
			def = "required, else " + def
		case s.Required:
			def = "required"
		case s.Or != "" && def != "":
			def = def + " (without " + s.Or + ": required)"
		case s.Or != "":
			def = "required without " + s.Or
		}
		names := s.Names()
		fmt.Fprintf(tw, "  %s\t%s, %s\t%s\t%s\n", s.Name, names[0], names[1], def, s.Desc)
	}
	tw.Flush()
	b.WriteString(`
Image references: source_image (acme.tencentcloudcr.com/develop/app:stg) and
destination_image (release/app:prd) stand for the separate names. From an
Enterprise host (<name>.tencentcloudcr.com) the instance and its region are
looked up once; a custom domain needs registry_id and region. A Personal
edition host (ccr.ccs.tencentyun.com, hkccr.ccs.tencentyun.com, ...) copies
with DuplicateImagePersonal, which has no override flag (without override the
destination is checked first) and gives no digest before a copy: there,
expected_digest and digest sources are usage errors, verify checks only that
the source exists, and the digest reported is the copy's own answer.

Retries: a transient failure is retried up to retries times, with backoff,
within timeout. A request TCR refuses for rate (RequestLimitExceeded) was not
carried out: it is sent again, without counting against retries, at a pace
that adapts to the share of TCR's account-wide limits other pipelines leave,
until timeout (then exit 75 with the last refusal's RequestId).

Outputs, written to $GITHUB_OUTPUT (GitHub), $DRONE_OUTPUT (Harness),
output_file (dotenv, upper-case keys), output_dir (a file each, exactly the
value; also IMAGE_URL and IMAGE_DIGEST for Tekton Chains) and, on CNB only,
stdout lines in CNB's set-output form (base64 for unsafe values):
`)
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, o := range Outputs {
		fmt.Fprintf(tw, "  %s\t%s\n", o.Name, o.Desc)
	}
	tw.Flush()
	b.WriteString(`
Exit codes:
`)
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range classInfo {
		fmt.Fprintf(tw, "  %d\t%s\t%s\n", c.code, c.name, c.when)
	}
	tw.Flush()
	return b.String()
}
