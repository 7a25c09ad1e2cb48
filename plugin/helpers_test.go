package plugin_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/runnerfiles"
	"github.com/tcr-promote/tcr-promote/internal/testclock"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/spelling"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

const (
	secretID  = "AKIDplugintest"
	secretKey = "plugin-test-secret-key-0123456789"
	digestA   = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB   = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// fixture is a fresh emulator on loopback holding tcr-1 (ap-guangzhou) with
// develop/app:stg → digestA and an empty release namespace.
type fixture struct {
	emu *tcremu.Emulator
	srv *httptest.Server
	dir string
	// reg is tcr-1's registry (the referrers API on), and regsrv what
	// it serves: the distribution API the referrers are read through.
	reg    *httptest.Server
	regsrv *oci.Server
}

func newFixture(t *testing.T, opts ...tcremu.Option) *fixture {
	t.Helper()
	return newFixtureOn(t, testclock.New(), opts...)
}

// newWallFixture is a fixture on the wall clock, for the tests whose
// subject is time itself: a rate measured in real seconds, a cancellation
// that must land inside a real wait.
func newWallFixture(t *testing.T, opts ...tcremu.Option) *fixture {
	t.Helper()
	return newFixtureOn(t, nil, opts...)
}

func newFixtureOn(t *testing.T, clock *testclock.Clock, opts ...tcremu.Option) *fixture {
	t.Helper()
	if clock != nil {
		opts = append([]tcremu.Option{tcremu.WithClock(clock.Now)}, opts...)
	}
	emu := tcremu.New(append([]tcremu.Option{tcremu.WithCredential(secretID, secretKey)}, opts...)...)
	emu.AddInstance("tcr-1", "ap-guangzhou", "acme.tencentcloudcr.com")
	if err := emu.AddNamespace("tcr-1", "release"); err != nil {
		t.Fatal(err)
	}
	if err := emu.PutImage("tcr-1", "develop", "app", "stg", digestA); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	if clock != nil {
		clocks.Store(srv.URL, clock)
		t.Cleanup(func() { clocks.Delete(srv.URL) })
	}
	regsrv, reg := serveRegistry(t, emu, "tcr-1", srv.URL)
	return &fixture{emu: emu, srv: srv, dir: t.TempDir(), reg: reg, regsrv: regsrv}
}

// serveRegistry serves instance id's registry (the referrers API on) for
// the emulator whose API is at api: runs against it are pointed there.
func serveRegistry(tb testing.TB, emu *tcremu.Emulator, id, api string) (*oci.Server, *httptest.Server) {
	tb.Helper()
	regsrv := emu.RegistryServer(id, oci.Options{Referrers: true})
	reg := httptest.NewServer(regsrv)
	tb.Cleanup(reg.Close)
	registries.Store(api, reg.URL)
	tb.Cleanup(func() { registries.Delete(api) })
	return regsrv, reg
}

// registries holds each fixture's registry URL by its API endpoint: a run
// against a fixture that names no registry_endpoint is given the
// fixture's — the instance's domain does not resolve here — in the
// spelling its endpoint setting uses.
var registries sync.Map

func withRegistry(vars map[string]string) map[string]string {
	for k, v := range vars {
		prefix, ok := strings.CutSuffix(k, "ENDPOINT")
		if !ok || strings.HasSuffix(prefix, "STS_") || strings.HasSuffix(prefix, "REGISTRY_") {
			continue
		}
		reg, ok := registries.Load(v)
		if !ok {
			continue
		}
		for name := range vars {
			if strings.HasSuffix(name, "REGISTRY_ENDPOINT") {
				return vars
			}
		}
		return testenv.With(vars, map[string]string{prefix + "REGISTRY_ENDPOINT": reg.(string)})
	}
	return vars
}

// clocks holds each fixture's clock by its endpoint, so that a run of the
// step against a fixture — however the test wrote its settings — waits
// on the clock the fixture's emulator reads.
var clocks sync.Map

func clockOf(vars map[string]string) tcrapi.Clock {
	for _, v := range vars { // the endpoint, in whichever spelling
		if c, ok := clocks.Load(v); ok {
			return c.(*testclock.Clock)
		}
	}
	return nil // the wall clock
}

// eachBehaviour runs test under every plausible behaviour of the real
// service (tcremu.Behaviours), in parallel: the step must be right under
// each.
func eachBehaviour(t *testing.T, test func(t *testing.T, b tcremu.Behaviour)) {
	t.Helper()
	for _, b := range tcremu.Behaviours() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

// missingCode is the error code a lookup of a missing repository (or, with
// namespace, a missing namespace) ends in under b: the API's own answer,
// or the step's when TCR answers an empty list.
func missingCode(b tcremu.Behaviour, namespace bool) string {
	switch {
	case b.Missing == tcremu.MissingNotFound:
		return "ResourceNotFound.TcrResourceNotFound"
	case b.Missing == tcremu.MissingProjectNotFound && namespace:
		return "InternalError.ErrorTcrUnauthorized"
	}
	return failure.CodeSourceNotFound
}

// tlsServer serves the fixture's emulator over HTTPS with a certificate of
// its own, which no system trusts.
func (f *fixture) tlsServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(f.emu)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// droneVars are Drone-style settings for develop/app:stg → release/app:prd.
func (f *fixture) droneVars() map[string]string {
	return map[string]string{
		"PLUGIN_REGISTRY_ID":           "tcr-1",
		"PLUGIN_REGION":                "ap-guangzhou",
		"PLUGIN_SOURCE_NAMESPACE":      "develop",
		"PLUGIN_SOURCE_REPO":           "app",
		"PLUGIN_SOURCE_REFERENCE":      "stg",
		"PLUGIN_DESTINATION_NAMESPACE": "release",
		"PLUGIN_DESTINATION_TAG":       "prd",
		"PLUGIN_SECRET_ID":             secretID,
		"PLUGIN_SECRET_KEY":            secretKey,
		"PLUGIN_ENDPOINT":              f.srv.URL,
	}
}

type runResult struct {
	code           int
	stdout, stderr string
}

// run runs the step in-process with vars as its whole environment.
func run(t *testing.T, vars map[string]string) runResult {
	t.Helper()
	return runCtx(t, context.Background(), vars, nil)
}

// runCtx is run under ctx (a cancelled pipeline cancels it), waiting
// backoff before each retry; nil waits not at all.
func runCtx(t *testing.T, ctx context.Context, vars map[string]string, backoff func(int) time.Duration) runResult {
	t.Helper()
	return runWith(t, ctx, nil, vars, backoff)
}

// runWith is runCtx with a command line after the program's name.
func runWith(t *testing.T, ctx context.Context, args []string, vars map[string]string, backoff func(int) time.Duration) runResult {
	t.Helper()
	if backoff == nil {
		backoff = func(int) time.Duration { return 0 }
	}
	var stdout, stderr strings.Builder
	vars = withRegistry(vars)
	r := &plugin.Runner{
		Env:     spelling.Environment(vars),
		Stdout:  &stdout,
		Stderr:  &stderr,
		Backoff: backoff,
		Clock:   clockOf(vars),
		// This machine has no profile file and is no CVM: say so without
		// letting the SDK's chain try the metadata service.
		DefaultCredentials: func(context.Context) (common.CredentialIface, error) {
			return nil, errors.New("no credential found in every providers")
		},
	}
	code := r.Run(ctx, append([]string{"tcr-promote"}, args...))
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// promote runs the step with the fixture's settings, vars on top, and
// output_file set; it stops the test unless the step exits with code, and
// returns the result and the outputs.
func (f *fixture) promote(t *testing.T, code int, vars map[string]string) (runResult, map[string]string) {
	t.Helper()
	out := filepath.Join(f.dir, "out.env")
	res := run(t, testenv.With(testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_FILE": out}), vars))
	if res.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, code, res.stdout, res.stderr)
	}
	return res, readDotenv(t, out)
}

// readDotenv parses a dotenv output file strictly: KEY=value lines only.
func readDotenv(t *testing.T, path string) map[string]string {
	t.Helper()
	out, err := runnerfiles.ReadDotenv(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readGitHubOutput parses $GITHUB_OUTPUT the way the runner does.
func readGitHubOutput(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runnerfiles.ParseGitHubOutput(string(b))
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return out
}

// lastRequestID is the RequestId the emulator gave the last call of action.
func (f *fixture) lastRequestID(action string) string {
	id := ""
	for _, r := range f.emu.Requests() {
		if r.Action == action {
			id = r.RequestID
		}
	}
	return id
}

func readFileString(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// human is s as a log line a person reads shows it: each digest shortened
// to its first 12 hex digits (debug off).
func human(s string) string {
	return regexp.MustCompile(`sha256:([0-9a-f]{12})[0-9a-f]{52}`).ReplaceAllString(s, "sha256:${1}…")
}
