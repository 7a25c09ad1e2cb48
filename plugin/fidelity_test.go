package plugin_test

import (
	"cmp"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// TestRealServiceAnswers: each case is one way the real TCR answers that
// the step once got wrong (an unfamiliar conflict code, Harbor's words for
// a missing namespace, a lagging index, an immutable tag…).
func TestRealServiceAnswers(t *testing.T) {
	t.Parallel()
	conflicting := tcremu.Behaviour{ConflictCode: "InternalError.ErrorConflict", SameDigestConflicts: true}
	tests := []struct {
		name       string
		behaviour  *tcremu.Behaviour // nil: the default
		setup      func(f *fixture)
		vars       map[string]string
		code       int
		errCode    string
		duplicates int
		requestOf  string // the action whose last RequestId REQUEST_ID must be ("source lookup": the source's DescribeImages)
		finalDst   string // at release/<dstRepo>:prd afterwards
		dstRepo    string // default app
		logs       []string
		notLogs    []string
	}{
		{name: "InternalError.ErrorConflict, re-run onto the same image", behaviour: &conflicting, setup: putDst(digestA),
			vars: map[string]string{"PLUGIN_VERIFY": "false"}, code: 0, duplicates: 1, requestOf: "DuplicateImage", finalDst: digestA,
			logs: []string{"already points at " + digestA + ", as develop/app:stg does: nothing to change"}},
		{name: "InternalError.ErrorConflict, destination elsewhere", behaviour: &conflicting, setup: putDst(digestB),
			vars: map[string]string{"PLUGIN_VERIFY": "false"}, code: 73, errCode: "InternalError.ErrorConflict", duplicates: 1, requestOf: "DuplicateImage", finalDst: digestB},
		{name: "project not found is not found, not retried", setup: func(f *fixture) {
			f.emu.Inject(tcremu.Fault{Action: "DescribeImages", Code: "InternalError.ErrorTcrUnauthorized", Message: "project not found: develop"})
		}, code: 66, errCode: "InternalError.ErrorTcrUnauthorized", duplicates: 0, requestOf: "source lookup",
			notLogs: []string{"retry"}},
		{name: "wrong region: the API's answer and RequestId, not a missing tag", vars: map[string]string{"PLUGIN_REGION": "ap-shanghai"},
			code: 66, errCode: "ResourceNotFound", duplicates: 0, requestOf: "source lookup",
			logs: []string{"the source develop/app:stg: The instance `tcr-1` does not exist in region `ap-shanghai`"}},
		{name: "wrong registry_id", vars: map[string]string{"PLUGIN_REGISTRY_ID": "tcr-nope"},
			code: 66, errCode: "ResourceNotFound", duplicates: 0, requestOf: "source lookup"},
		{name: "lagging index after the copy", behaviour: &tcremu.Behaviour{ConflictCode: "FailedOperation.PreconditionFailed", IndexLag: 2 * time.Second},
			code: 0, duplicates: 1, requestOf: "DuplicateImage", finalDst: digestA},
		{name: "lagging index after an overriding copy", behaviour: &tcremu.Behaviour{ConflictCode: "FailedOperation.PreconditionFailed", IndexLag: 2 * time.Second},
			setup: putDst(digestB), vars: map[string]string{"PLUGIN_OVERRIDE": "true"}, code: 0, duplicates: 1, requestOf: "DuplicateImage", finalDst: digestA},
		{name: "index slower than index_lag", behaviour: &tcremu.Behaviour{ConflictCode: "FailedOperation.PreconditionFailed", IndexLag: time.Minute},
			vars: map[string]string{"PLUGIN_INDEX_LAG": "1s"}, code: 75, errCode: "ClientError.IndexLag", duplicates: 1, requestOf: "DuplicateImage", finalDst: digestA,
			logs: []string{"TCR's index may lag", "the registry was changed"}},
		{name: "read-back fails: the copy's RequestId stays", setup: failAfterCopy("InternalError.ErrorTcrInvalidMediaType"),
			code: 1, errCode: "InternalError.ErrorTcrInvalidMediaType", duplicates: 1, requestOf: "DuplicateImage", finalDst: digestA,
			logs: []string{"the registry was changed: DuplicateImage wrote release/app:prd", "reading release/app:prd back after the copy"}},
		{name: "immutable tag, override", setup: immutable(digestB, "p*"), vars: map[string]string{"PLUGIN_OVERRIDE": "true"},
			code: 73, errCode: "ClientError.ImmutableTag", duplicates: 0, finalDst: digestB,
			logs:    []string{"release/app:prd is an immutable tag (immutability rule 1 of namespace release (repositories matching \"**\", tags matching \"p*\"))", "override cannot replace an immutable tag"},
			notLogs: []string{"set override: true"}},
		{name: "immutable tag, override, unverified copy", setup: immutable(digestB, "p*"), vars: map[string]string{"PLUGIN_OVERRIDE": "true", "PLUGIN_VERIFY": "false"},
			code: 73, errCode: "FailedOperation.PreconditionFailed", duplicates: 1, requestOf: "DuplicateImage", finalDst: digestB,
			logs: []string{"is an immutable tag (immutability rule 1", "override cannot replace an immutable tag"}, notLogs: []string{"set override: true"}},
		{name: "immutable tag without override: the advice fits", setup: immutable(digestB, "p*"),
			code: 73, errCode: "ClientError.ImmutableTag", duplicates: 0, finalDst: digestB,
			logs: []string{"is an immutable tag"}, notLogs: []string{"set override: true"}},
		{name: "immutable rules unreadable", setup: func(f *fixture) {
			immutable(digestB, "p*")(f)
			f.emu.Deny(secretID, "DescribeImmutableTagRules")
		}, vars: map[string]string{"PLUGIN_OVERRIDE": "true"}, code: 73, errCode: "FailedOperation.PreconditionFailed", duplicates: 1, requestOf: "DuplicateImage", finalDst: digestB,
			logs: []string{"the tag may be immutable, but the rules could not be read"}},
		{name: "a new tag matching an immutability rule is created", setup: immutable("", "p*"),
			code: 0, duplicates: 1, requestOf: "DuplicateImage", finalDst: digestA},
		{name: "nested repositories", setup: func(f *fixture) { _ = f.emu.PutImage("tcr-1", "develop", "team/a/app", "stg", digestA) },
			vars: map[string]string{"PLUGIN_SOURCE_REPO": "team/a/app", "PLUGIN_DESTINATION_REPO": "team/app"}, code: 0, duplicates: 1, requestOf: "DuplicateImage", dstRepo: "team/app", finalDst: digestA,
			logs: []string{"promoted develop/team/a/app:stg → release/team/app:prd in tcr-1 (" + digestA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []tcremu.Option
			if tt.behaviour != nil {
				opts = append(opts, tcremu.WithBehaviour(*tt.behaviour))
			}
			f := newFixture(t, opts...)
			if tt.setup != nil {
				tt.setup(f)
			}
			res, env := f.promote(t, tt.code, tt.vars)
			if env["ERROR_CODE"] != tt.errCode {
				t.Errorf("ERROR_CODE = %q, want %q", env["ERROR_CODE"], tt.errCode)
			}
			want := f.lastRequestID(tt.requestOf)
			if tt.requestOf == "source lookup" {
				want = f.sourceLookupID()
			}
			if env["REQUEST_ID"] != want {
				t.Errorf("REQUEST_ID = %q, want the last %s's %q", env["REQUEST_ID"], tt.requestOf, want)
			}
			if tt.code != 0 && env["PROMOTED"] != "false" {
				t.Errorf("PROMOTED = %q next to a failure", env["PROMOTED"])
			}
			if n := f.emu.Count("DuplicateImage", ""); n != tt.duplicates {
				t.Errorf("DuplicateImage sent %d times, want %d", n, tt.duplicates)
			}
			repo := cmp.Or(tt.dstRepo, "app")
			if img, _ := f.emu.Lookup("tcr-1", "release", repo, "prd"); img.Digest != tt.finalDst {
				t.Errorf("release/%s:prd = %q, want %q", repo, img.Digest, tt.finalDst)
			}
			text := res.stdout + res.stderr
			for _, l := range tt.logs {
				if !strings.Contains(text, human(l)) {
					t.Errorf("log lacks %q:\n%s", l, text)
				}
			}
			for _, l := range tt.notLogs {
				if strings.Contains(text, l) {
					t.Errorf("log has %q:\n%s", l, text)
				}
			}
		})
	}
}

// sourceLookupID is the RequestId of the DescribeImages call that looked
// up the source (namespace develop).
func (f *fixture) sourceLookupID() string {
	for _, r := range f.emu.Requests() {
		if r.Action == "DescribeImages" && strings.Contains(r.Body, `"NamespaceName":"develop"`) {
			return r.RequestID
		}
	}
	return ""
}

func putDstWith(f *fixture, digest string) {
	if digest != "" {
		_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digest)
	}
}

// immutable puts release/app:prd at digest ("" leaves it absent) under a
// rule protecting the tags matching pattern in every repository.
func immutable(digest, pattern string) func(f *fixture) {
	return func(f *fixture) {
		putDstWith(f, digest)
		if err := f.emu.SetImmutableRule("tcr-1", tcremu.ImmutableRule{Namespace: "release", RepositoryPattern: "**", TagPattern: pattern}); err != nil {
			panic(err)
		}
	}
}

// failAfterCopy makes the first DescribeImages after the copy fail.
func failAfterCopy(code string) func(f *fixture) {
	return func(f *fixture) {
		f.emu.OnRequest("DuplicateImage", func(int) {
			// The read-back's, whatever other lookups run beside it.
			f.emu.Inject(tcremu.Fault{Action: "DescribeImages", When: `"ImageVersion":"prd"`, Code: code, Times: 1})
		})
	}
}

// TestCancelledInRetryWait: SIGTERM while the step waits to retry is a
// cancellation (exit 1, ClientError.Canceled), not "temporary, re-run".
func TestCancelledInRetryWait(t *testing.T) {
	t.Parallel()
	f := newWallFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.emu.Inject(tcremu.Fault{Action: "DuplicateImage", Code: "InternalError"})
	f.emu.OnRequest("DuplicateImage", func(int) { time.AfterFunc(100*time.Millisecond, cancel) })
	out := filepath.Join(f.dir, "out.env")
	// The cancellation lands in the wait before the first retry.
	res := runCtx(t, ctx, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_FILE": out, "PLUGIN_VERIFY": "false"}), func(int) time.Duration { return time.Minute })
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	if env := readDotenv(t, out); env["ERROR_CODE"] != "ClientError.Canceled" || env["ERROR_CLASS"] != "unexpected" {
		t.Errorf("outputs %v, want ClientError.Canceled", env)
	}
	if n := f.emu.Count("DuplicateImage", ""); n != 1 {
		t.Errorf("%d DuplicateImage calls, want 1", n)
	}
}

// TestPredictedDeadline: when the rate limiter sees the deadline coming
// before the next retry could be sent, the step reports the last real
// error with its RequestId, and its log shows only the retries sent.
func TestPredictedDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.emu.Inject(tcremu.Fault{Action: "DuplicateImage", Code: "InternalError", Message: "boom"})
	res, env := f.promote(t, 75, map[string]string{"PLUGIN_VERIFY": "false", "PLUGIN_RATE_LIMIT": "1", "PLUGIN_TIMEOUT": "1500ms"})
	if env["ERROR_CODE"] != "InternalError" || env["REQUEST_ID"] != f.lastRequestID("DuplicateImage") {
		t.Errorf("outputs %v, want the last real answer: InternalError, RequestId %s", env, f.lastRequestID("DuplicateImage"))
	}
	sent := f.emu.Count("DuplicateImage", "")
	if logged := strings.Count(res.stdout, "DuplicateImage: retry "); logged != sent-1 {
		t.Errorf("%d retries logged, %d sent after the first:\n%s", logged, sent-1, res.stdout)
	}
}

// TestUntrustedCertificate: a TLS certificate the step does not trust is
// not retried (it will not heal), and the message says how to trust it.
func TestUntrustedCertificate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := f.tlsServer(t)
	res, env := f.promote(t, 1, map[string]string{"PLUGIN_ENDPOINT": srv.URL, "PLUGIN_VERIFY": "false"})
	if env["ERROR_CODE"] != "ClientError.CertificateError" {
		t.Errorf("ERROR_CODE = %q, want ClientError.CertificateError", env["ERROR_CODE"])
	}
	if strings.Contains(res.stdout, "retry") || !strings.Contains(res.stderr, "SSL_CERT_FILE") {
		t.Errorf("retried, or no advice on trusting a CA:\n%s%s", res.stdout, res.stderr)
	}
}

// TestImmutabilityRulesRefused: without tcr:DescribeImmutableTagRules the
// step still promotes, and says what it could not read.
func TestImmutabilityRulesRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB)
	f.emu.Deny(secretID, "DescribeImmutableTagRules")
	res, env := f.promote(t, 0, map[string]string{"PLUGIN_DESTINATION_NAMESPACE": "release", "PLUGIN_OVERRIDE": "true"})
	if env["DIGEST"] != digestA || !strings.Contains(res.stdout, "warning: the tag immutability rules could not be read (grant tcr:DescribeImmutableTagRules)") {
		t.Errorf("outputs %v\n%s", env, res.stdout)
	}
}

// TestRegionFromTheEnvironment: registry_id with source_image but no
// region signs for $TENCENTCLOUD_REGION; the log and a not-found error say
// so, where the region came from and what to do.
func TestRegionFromTheEnvironment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	vars := map[string]string{"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "", "PLUGIN_SOURCE_NAMESPACE": "", "PLUGIN_SOURCE_REPO": "", "PLUGIN_SOURCE_REFERENCE": "",
		"PLUGIN_DESTINATION_TAG": "", "PLUGIN_DESTINATION_NAMESPACE": "", "PLUGIN_SOURCE_IMAGE": "acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE": "release/app:prd",
		"TENCENTCLOUD_REGION": "ap-shanghai"}
	res, _ := f.promote(t, 66, vars)
	for _, want := range []string{"instance tcr-1 in ap-shanghai, the region from $TENCENTCLOUD_REGION", "the calls were signed for ap-shanghai, the region from $TENCENTCLOUD_REGION"} {
		if !strings.Contains(res.stdout+res.stderr, want) {
			t.Errorf("the log lacks %q:\n%s%s", want, res.stdout, res.stderr)
		}
	}
	if res, _ := f.promote(t, 0, testenv.With(vars, map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou"})); strings.Contains(res.stderr, "signed for") {
		t.Errorf("a note on success:\n%s", res.stderr)
	}
}
