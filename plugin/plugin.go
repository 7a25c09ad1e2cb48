// Package plugin is the step: what main calls. It reads the settings,
// gets the credentials, finds the instance, runs the promotions, reports
// each, writes the outputs and returns the exit code — orchestrating the
// packages beneath it, each of which does one of those jobs.
package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/outputs"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Version is the binary's, stamped at build time with
// -ldflags "-X …/plugin.Version=v1.2.3".
var Version = ""

// versionLine is --version's: the version, and the commit and the time
// it was built from where the build recorded them (a build from a git
// checkout does).
func versionLine() string {
	line := "tcr-promote " + version()
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return line
	}
	var commit, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value[:min(12, len(s.Value))]
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+changes"
			}
		}
	}
	if commit != "" {
		line += " (commit " + commit + dirty
		if at != "" {
			line += ", " + at
		}
		line += ")"
	}
	return line + ", " + bi.GoVersion
}

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
	Env    envconfig.Lookuper
	Stdout io.Writer
	Stderr io.Writer
	// Transport carries the API's HTTP requests; nil means
	// tcrapi.NewTransport() with the step's CA and proxy settings.
	Transport http.RoundTripper
	// Backoff is the wait before retry n (from 0); nil means exponential
	// backoff with full jitter from 1s, capped at 20s.
	Backoff func(retry int) time.Duration
	// Clock is where the step's deliberate waits happen (index lag,
	// replicas, retries); nil means the wall clock.
	Clock tcrapi.Clock
	// DefaultCredentials is the last resort when neither keys nor a role
	// are given; nil means the common SDK's chain (profile file, TKE OIDC,
	// CVM role).
	DefaultCredentials func(ctx context.Context) (common.CredentialIface, error)
}

// Main runs the step with args (os.Args) and returns the exit code.
func Main(ctx context.Context, args []string, env envconfig.Lookuper, stdout, stderr io.Writer) int {
	r := &Runner{Env: env, Stdout: stdout, Stderr: stderr}
	return r.Run(ctx, args)
}

// Run runs the step and returns the exit code.
func (r *Runner) Run(ctx context.Context, args []string) int {
	cl, code, done := r.arguments(args)
	if done {
		return code
	}
	started := time.Now()
	cfg, err := settings.LoadWith(r.Env, cl.flags)
	logOut := r.Stdout
	if cl.json {
		logOut = r.Stderr // stdout is the results' alone, for a script
	}
	log := cilog.New(logOut, r.Stderr, cfg.CI.GitHub)
	// Masks go first, before any line that could carry a secret; lines
	// are held back until the secrets that credentials bring are masked.
	for _, secret := range cfg.Secrets() {
		log.Mask(secret)
	}
	log.SetDebug(cfg.Debug)
	log.Hold()
	for _, w := range cfg.Warnings() {
		log.Warnf("%s", w)
	}
	if err != nil {
		log.Release()
		res := promotion.Result{Err: err}
		report(log, failure.Exits{Drone: cfg.CI.Drone}, "", res, false, false)
		return r.finishCLI(cl, cfg, log, "", started, outcome{results: []promotion.Result{res}})
	}
	out := r.executeSafely(ctx, cfg, log)
	return r.finishCLI(cl, cfg, log, out.registry, started, out)
}

// finishCLI is finish, and with --json the results on stdout.
func (r *Runner) finishCLI(cl commandLine, cfg *settings.Config, log *cilog.Logger, registry string, started time.Time, out outcome) int {
	code := r.finish(cfg, log, registry, started, out)
	if cl.json {
		fmt.Fprintln(r.Stdout, log.Redact(outputs.ResultsJSON(out.results)))
	}
	return code
}

// commandLine is what the command line asked for beyond --help and
// --version: the settings given as flags, and --json.
type commandLine struct {
	flags map[string]string
	json  bool
}

// arguments handles the command line: --help, --version, or the settings
// as flags (settings.ParseFlags) and --json.
func (r *Runner) arguments(args []string) (cl commandLine, code int, done bool) {
	if len(args) < 2 {
		return cl, 0, false
	}
	switch args[1] {
	case "-h", "--help", "help":
		fmt.Fprint(r.Stdout, Help())
		return cl, 0, true
	case "-v", "--version", "version":
		fmt.Fprintln(r.Stdout, versionLine())
		return cl, 0, true
	}
	rest := args[1:]
	if i := slices.Index(rest, "--json"); i >= 0 {
		cl.json, rest = true, slices.Delete(slices.Clone(rest), i, i+1)
	}
	flags, err := settings.ParseFlags(rest)
	if err != nil {
		fmt.Fprintf(r.Stderr, "tcr-promote: %s\n", cilog.Inert(err.Error()))
		return cl, failure.ExitCode(err), true
	}
	cl.flags = flags
	return cl, 0, false
}

// executeSafely is execute with a last resort: a panic — a bug, since every
// answer is checked before use — still ends in outputs and exit 1. Tests
// hold that it is never reached.
func (r *Runner) executeSafely(ctx context.Context, cfg *settings.Config, log *cilog.Logger) (out outcome) {
	defer func() {
		if v := recover(); v != nil {
			log.Release()
			res := promotion.Result{Err: failure.Panicked(v)}
			report(log, failure.Exits{Drone: cfg.CI.Drone}, out.registry, res, false, false)
			out.results, out.replicaErr = []promotion.Result{res}, nil
		}
	}()
	return r.execute(ctx, cfg, log)
}

// outcome is what a run found: each promotion's result, where they ran, and
// with wait_replicas, the replicas' states and the wait's failure.
type outcome struct {
	results    []promotion.Result
	registry   string
	replicas   []promotion.ReplicaState
	replicaErr error
}

// failedAll reports the cause that kept every promotion from starting
// once, and every promotion as failed by it.
func failedAll(log *cilog.Logger, cfg *settings.Config, registry string, err error) []promotion.Result {
	report(log, failure.Exits{Drone: cfg.CI.Drone}, registry, promotion.Result{Err: err}, false, false)
	id := failure.RequestID(err) // e.g. STS's, which support will ask for
	results := make([]promotion.Result, len(cfg.Pairs))
	for i, pair := range cfg.Pairs {
		results[i] = promotion.Result{Source: pair.Source, Destination: pair.Destination, RequestID: id, Err: err}
	}
	return results
}

// summarize ends a batch's log with its counts and its exit code's cause.
func summarize(log *cilog.Logger, exits failure.Exits, results []promotion.Result, refusals int) {
	refused := ""
	if refusals > 0 {
		refused = fmt.Sprintf("; %d requests refused by TCR's rate limit and sent again", refusals)
	}
	if len(results) < 2 {
		if refused != "" {
			log.Infof("%s", strings.TrimPrefix(refused, "; "))
		}
		return
	}
	causes(log, results)
	counts := map[promotion.Status]int{}
	for _, res := range results {
		counts[res.Status]++
	}
	log.Infof("%d promotions: %d promoted, %d already there, %d dry run, %d failed%s",
		len(results), counts[promotion.StatusPromoted], counts[promotion.StatusAlreadyThere], counts[promotion.StatusDryRun], counts[promotion.StatusFailed], refused)
	if err := mostSerious(results); err != nil {
		log.Errorf("exit %d: %s is the most serious failure (order: %s)", exits.Code(err), failure.ClassOf(err), failure.SeverityOrder())
	}
}

// finish writes the outputs, the summary and the promotion record, and
// returns the exit code: 0 only when every promotion succeeded, else the
// most serious class's (on Drone, never 78).
func (r *Runner) finish(cfg *settings.Config, log *cilog.Logger, registry string, started time.Time, out outcome) int {
	results := out.results
	err := failure.MostSerious([]error{mostSerious(results), out.replicaErr})
	werr := outputs.Write(cfg, log, registry, results, out.replicas, err)
	if werr != nil {
		log.Errorf("writing the outputs: %v", werr)
	}
	if cfg.RecordFile != "" && failure.ClassOf(err) != failure.ClassUsage {
		inv := outputs.Invocation{Version: version(), Started: started, Finished: time.Now(), Registry: registry}
		if rerr := outputs.WriteRecord(cfg, inv, results); rerr != nil {
			log.Errorf("writing the promotion record: %s: %v", cfg.RecordFile, rerr)
			werr = errors.Join(werr, rerr)
		}
	}
	if werr != nil && err == nil {
		// The promotion happened, but later steps will not see it.
		// Failing is safe: a re-run finds the tag in place.
		err = &failure.Error{Class: failure.ClassUnexpected}
	}
	return failure.Exits{Drone: cfg.CI.Drone}.Code(err)
}

func mostSerious(results []promotion.Result) error {
	errs := make([]error, len(results))
	for i, res := range results {
		errs[i] = res.Err
	}
	return failure.MostSerious(errs)
}
