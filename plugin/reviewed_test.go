package plugin_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tcr-promote/tcr-promote/tcremu/wire"
)

// The promotion file and its modes (plan, apply, check), and the wait for
// the replicas, end to end against the emulator.

const digestC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

// promotionFile writes text as the fixture's promotion file and returns
// the settings that promote it, without any single-promotion setting.
func (f *fixture) promotionFile(t *testing.T, text string) map[string]string {
	t.Helper()
	path := filepath.Join(f.dir, "promotions.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"PLUGIN_PROMOTION_FILE": path,
		"PLUGIN_SECRET_ID":      secretID,
		"PLUGIN_SECRET_KEY":     secretKey,
		"PLUGIN_ENDPOINT":       f.srv.URL,
		"PLUGIN_OUTPUT_FILE":    filepath.Join(f.dir, "out.env"),
		"PLUGIN_PLAN_FILE":      filepath.Join(f.dir, "plan.md"),
	}
}

// runFile runs the step with vars as its whole environment; it stops the
// test unless the step exits with code, and returns the outputs.
func (f *fixture) runFile(t *testing.T, code int, vars map[string]string) (runResult, map[string]string) {
	t.Helper()
	_ = os.Remove(vars["PLUGIN_OUTPUT_FILE"])
	res := run(t, vars)
	if res.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, code, res.stdout, res.stderr)
	}
	return res, readDotenv(t, vars["PLUGIN_OUTPUT_FILE"])
}

// changes reads each destination's change, status and error code from the
// results output.
func changes(t *testing.T, out map[string]string) map[string]string {
	t.Helper()
	var list []struct {
		Destination, Change, Status, Where string
		ErrorCode                          string `json:"error_code"`
	}
	if err := json.Unmarshal([]byte(out["RESULTS"]), &list); err != nil {
		t.Fatalf("RESULTS: %v\n%s", err, out["RESULTS"])
	}
	got := map[string]string{}
	for _, r := range list {
		got[r.Destination] = strings.TrimSuffix(r.Change+" "+r.Status+" "+r.ErrorCode, " ")
		if r.Where == "" {
			t.Errorf("%s: no where in results", r.Destination)
		}
	}
	return got
}

// planScene is a registry with one destination of each kind of plan line.
func planScene(t *testing.T, f *fixture) {
	t.Helper()
	for _, img := range []struct{ ns, repo, tag, digest string }{
		{"develop", "api", "stg", digestB},
		{"release", "app", "prd", digestA},  // already there
		{"release", "api", "prd", digestA},  // moves to B, with override
		{"release", "api", "old", digestA},  // would move, but no override
		{"release", "web", "v1", digestC},   // immutable
		{"develop", "web", "rc", digestA},   //
		{"release", "app", "keep", digestA}, // unlisted: untouched
	} {
		if err := f.emu.PutImage("tcr-1", img.ns, img.repo, img.tag, img.digest); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.emu.SetImmutableRule("tcr-1", tcremu.ImmutableRule{Namespace: "release", RepositoryPattern: "web", TagPattern: "v*"}); err != nil {
		t.Fatal(err)
	}
}

const planText = `registry: acme.tencentcloudcr.com
promotions:
  - source: develop/app@` + digestA + `
    destinations: [release/app:prd, release/app:v1.4.2]
  - source: develop/api:stg
    destinations: [release/api:prd]
    override: true
  - source: develop/api:stg
    destinations:
      - release/api:old
  - source: develop/web:rc
    destinations: [release/web:v1]
  - source: develop/gone:stg
    destinations: [release/gone:prd]
`

// TestPlan: a plan says for every destination create, move, already there
// or refused — in the log, the plan file and the results — and sends no
// copy; it exits as apply would fail (here not_found, the most serious).
func TestPlan(t *testing.T) {
	t.Parallel()
	eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
		f := newFixture(t, tcremu.WithBehaviour(b))
		planScene(t, f)
		summary := filepath.Join(f.dir, "summary.md")
		vars := testenv.With(f.promotionFile(t, planText), map[string]string{"PLUGIN_MODE": "plan", "PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou", "GITHUB_STEP_SUMMARY": summary})
		_, out := f.runFile(t, failure.ExitCode(&failure.Error{Class: failure.ClassNotFound}), vars)
		gone := missingCode(b, false)
		if b.Missing == tcremu.MissingProjectNotFound {
			gone = failure.CodeSourceNotFound // the namespace exists: an empty list
		}
		want := map[string]string{
			"release/app:prd":    "already_there already_there",
			"release/app:v1.4.2": "create dry_run",
			"release/api:prd":    "move dry_run",
			"release/api:old":    "refused failed " + failure.CodeDestinationExists,
			"release/web:v1":     "refused failed " + failure.CodeImmutableTag,
			"release/gone:prd":   "refused failed " + gone,
		}
		if diff := cmp.Diff(want, changes(t, out)); diff != "" {
			t.Errorf("plan (-want +got):\n%s", diff)
		}
		if out["CHANGES"] != "2" {
			t.Errorf("CHANGES = %q, want 2 (a create and a move)", out["CHANGES"])
		}
		if n := f.emu.Count("DuplicateImage", ""); n != 0 {
			t.Errorf("a plan sent %d copies", n)
		}
		plan, err := readFileString(filepath.Join(f.dir, "plan.md"))
		if err != nil {
			t.Fatal(err)
		}
		if sum, err := readFileString(summary); err != nil || sum != plan {
			t.Errorf("the job summary is not the plan (%v):\n%s", err, sum)
		}
		for _, line := range []string{
			"### tcr-promote plan: acme.tencentcloudcr.com, 2 changes",
			"| ➕ | `release/app:v1.4.2` | create | – | " + digestA + " |",
			"| 🔁 | `release/api:prd` | move | " + digestA + " | " + digestB + " |",
			"| ✅ | `release/app:prd` | already there | " + digestA + " | " + digestA + " |",
			"| ⛔ | `release/api:old` | refused: conflict (ClientError.DestinationExists) | " + digestA + " | " + digestB + " |",
			"- `release/web:v1` (" + filepath.Join(f.dir, "promotions.yaml") + ":12:20):",
		} {
			if !strings.Contains(plan, line) {
				t.Errorf("plan file lacks %q:\n%s", line, plan)
			}
		}
	})
}

// TestApplyThenCheck: apply carries the file out as a batch, reading each
// repository once; a re-run finds it all in place; check then passes, and
// after someone moves a tag, exits 3 naming the drift.
func TestApplyThenCheck(t *testing.T) {
	t.Parallel()
	eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
		f := newFixture(t, tcremu.WithBehaviour(b))
		if err := f.emu.PutImage("tcr-1", "develop", "api", "stg", digestB); err != nil {
			t.Fatal(err)
		}
		vars := f.promotionFile(t, `registry: acme.tencentcloudcr.com
promotions:
  - source: develop/app@`+digestA+`
    destinations: [release/app:prd, release/app:v1.4.2, release/app:latest]
  - source: develop/api:stg
    destinations: [release/api:prd]
`)
		_, out := f.runFile(t, 0, vars)
		want := map[string]string{
			"release/app:prd": "create promoted", "release/app:v1.4.2": "create promoted", "release/app:latest": "create promoted", "release/api:prd": "create promoted",
		}
		if diff := cmp.Diff(want, changes(t, out)); diff != "" {
			t.Errorf("apply (-want +got):\n%s", diff)
		}
		if out["CHANGES"] != "4" {
			t.Errorf("CHANGES = %q, want 4", out["CHANGES"])
		}
		for _, d := range []struct{ repo, tag, digest string }{{"app", "prd", digestA}, {"app", "latest", digestA}, {"api", "prd", digestB}} {
			if img, ok := f.emu.Lookup("tcr-1", "release", d.repo, d.tag); !ok || img.Digest != d.digest {
				t.Errorf("release/%s:%s = %+v, want %s", d.repo, d.tag, img, d.digest)
			}
		}
		f.runFile(t, 0, vars) // a re-run: all already there
		copies := f.emu.Count("DuplicateImage", "")
		// The three promotions of a digest copy exactly, through one
		// scratch repository they share: one copy into it, one each out.
		if copies != 5 {
			t.Errorf("%d copies over two runs, want 5 (the re-run sends none)", copies)
		}
		if repos := f.emu.Repositories("tcr-1", "develop"); slices.ContainsFunc(repos, func(r string) bool { return strings.HasPrefix(r, "tcr-promote-scratch-") }) {
			t.Errorf("a scratch repository was left behind: %v", repos)
		}
		res, out := f.runFile(t, 0, testenv.With(vars, map[string]string{"PLUGIN_MODE": "check"}))
		if out["CHANGES"] != "0" || !strings.Contains(res.stdout, "check: 0 of 4 destinations to change") {
			t.Errorf("check of what is in place: CHANGES = %q\n%s", out["CHANGES"], res.stdout)
		}
		// Someone moves a tag by hand, and deletes nothing: the nightly
		// check finds it, and says what each drifted one holds.
		for _, tag := range []string{"latest", "prd"} {
			if err := f.emu.PutImage("tcr-1", "release", "app", tag, digestC); err != nil {
				t.Fatal(err)
			}
		}
		res, out = f.runFile(t, 3, testenv.With(vars, map[string]string{"PLUGIN_MODE": "check"}))
		if out["ERROR_CODE"] != failure.CodeDrift || out["ERROR_CLASS"] != "drift" {
			t.Errorf("drift outputs: %v", out)
		}
		for _, want := range []string{
			"release/app:latest holds " + digestC + "; " + vars["PLUGIN_PROMOTION_FILE"] + ":4:57 says " + digestA,
			"release/app:prd holds " + digestC + "; " + vars["PLUGIN_PROMOTION_FILE"] + ":4:20 says " + digestA,
		} {
			if !strings.Contains(res.stderr, human(want)) {
				t.Errorf("the drift is not named with the file's position: %q\n%s", want, res.stderr)
			}
		}
		got := changes(t, out)
		for _, d := range []string{"release/app:latest", "release/app:prd"} {
			// Without override, apply would refuse to move them back:
			// drifted, and not among the changes apply would make.
			if got[d] != "refused failed "+failure.CodeDrift {
				t.Errorf("%s: %q, want drift", d, got[d])
			}
		}
		if out["CHANGES"] != "0" {
			t.Errorf("CHANGES = %q", out["CHANGES"])
		}
		if got := f.emu.Count("DuplicateImage", ""); got != copies {
			t.Errorf("check sent %d copies", got-copies)
		}
	})
}

// TestFileReadsEachRepositoryOnce: a file's lookups read each repository
// in pages of 100, not one DescribeImages per destination — unless paging
// through a repository costs more calls than the few tags it names.
func TestFileReadsEachRepositoryOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		existing     int // tags already in release/app, v0…
		destinations int // named in the file, v0…
		calls        int // DescribeImages in all
	}{
		{"30 new tags: one page each repository", 0, 30, 2},
		{"5 of 250 tags: three pages beat five lookups", 250, 5, 1 + 3},
		{"2 of 1,000 tags: a page, then tag by tag", 1000, 2, 1 + 1 + 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			for i := range tt.existing {
				if err := f.emu.PutImage("tcr-1", "release", "app", fmt.Sprintf("v%d", i), digestA); err != nil {
					t.Fatal(err)
				}
			}
			var dsts []string
			for i := range tt.destinations {
				dsts = append(dsts, fmt.Sprintf("release/app:v%d", i))
			}
			vars := testenv.With(f.promotionFile(t, "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: ["+strings.Join(dsts, ", ")+"]\n"),
				map[string]string{"PLUGIN_MODE": "plan", "PLUGIN_CARRY_SIGNATURES": "false", "PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou"})
			_, out := f.runFile(t, 0, vars)
			if n := f.emu.Count("DescribeImages", ""); n != tt.calls {
				t.Errorf("%d DescribeImages, want %d", n, tt.calls)
			}
			want := "0"
			if tt.existing == 0 {
				want = fmt.Sprint(tt.destinations)
			}
			if out["CHANGES"] != want {
				t.Errorf("CHANGES = %q, want %s (every named tag that exists is already there)", out["CHANGES"], want)
			}
		})
	}
}

// TestFileErrors: an error of the file is named as file:line:column, and
// nothing is sent; so are settings it cannot be combined with.
func TestFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		vars       map[string]string
		want       string // after the file's path
	}{
		{"unknown key", "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destination: [release/app:prd]\n", nil, `:4:5: unknown key "destination"`},
		{"bad reference", "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/App:stg\n    destinations: [release/app:prd]\n", nil, `:3:13: source "develop/App:stg"`},
		{"a destination twice", "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n  - source: develop/app:stg\n    destinations:\n      - release/app:prd\n", nil, ":7:9: release/app:prd is listed twice (first at "},
		{"a source in another registry", "registry: acme.tencentcloudcr.com\npromotions:\n  - source: other.tencentcloudcr.com/develop/app:stg\n    destinations: [release/app:prd]\n", nil, ":3:13: source \"other.tencentcloudcr.com/develop/app:stg\" is in another registry"},
		{"two other registries", "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: [b.tencentcloudcr.com/release/app:prd, c.tencentcloudcr.com/release/app:prd]\n", nil, ":4:20, "},
		{"another instance's host with no registry", "promotions:\n  - source: develop/app:stg\n    destinations: [b.tencentcloudcr.com/release/app:prd]\n", map[string]string{"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou"}, ":3:20: a destination \"b.tencentcloudcr.com/release/app:prd\" names a registry host"},
		{"a digest destination", "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: [release/app@" + digestA + "]\n", nil, ":4:20: "},
		{"no promotions", "registry: acme.tencentcloudcr.com\n", nil, ":1:1: promotions is missing"},
		{"override not a bool", "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n    override: yes please\n", nil, ":5:15: override must be true or false"},
		{"not YAML", "promotions: [\n", nil, "yaml: "},
		{"a key twice", "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    override: false\n    destinations: [release/app:prd]\n    override: true\n", nil, ":6:5: override is given twice (first at line 4)"},
		{"mixed with source_image", "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n",
			map[string]string{"PLUGIN_SOURCE_IMAGE": "acme.tencentcloudcr.com/develop/app:stg"}, "PLUGIN_PROMOTION_FILE and PLUGIN_SOURCE_IMAGE cannot be combined"},
		{"mixed with override", "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n",
			map[string]string{"PLUGIN_OVERRIDE": "true"}, "PLUGIN_PROMOTION_FILE and PLUGIN_OVERRIDE cannot be combined"},
		{"no registry, no registry_id", "promotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n", nil, "promotions.yaml names no registry: write registry: <host>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			vars := testenv.With(f.promotionFile(t, tt.text), tt.vars)
			res, out := f.runFile(t, 64, vars)
			if !strings.Contains(res.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, res.stderr)
			}
			if out["ERROR_CODE"] != failure.CodeInvalidSettings {
				t.Errorf("ERROR_CODE = %q", out["ERROR_CODE"])
			}
			if n := len(f.emu.Requests()); n != 0 {
				t.Errorf("%d requests sent for a bad file", n)
			}
		})
	}
}

// TestFileDigestNoTagCarries: a digest source no tag carries is an error
// of the file, at its position, found before any copy: 64, nothing sent
// for any promotion of the file.
func TestFileDigestNoTagCarries(t *testing.T) {
	t.Parallel()
	eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
		f := newFixture(t, tcremu.WithBehaviour(b))
		vars := f.promotionFile(t, `registry: acme.tencentcloudcr.com
promotions:
  - source: develop/app:stg
    destinations: [release/app:prd]
  - source: develop/app@`+digestB+`
    destinations: [release/app:next]
`)
		res, _ := f.runFile(t, 64, vars)
		if want := vars["PLUGIN_PROMOTION_FILE"] + ":5:13: no tag of develop/app points at " + digestB; !strings.Contains(res.stderr, human(want)) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
		if n := f.emu.Count("DuplicateImage", ""); n != 0 {
			t.Errorf("%d copies sent though the file is wrong", n)
		}
	})
}

// replicaScene adds replicas of tcr-1 in two regions, lagging as given.
func replicaScene(t *testing.T, f *fixture, lags ...time.Duration) {
	t.Helper()
	regions := []string{"ap-singapore", "eu-frankfurt"}
	for i, lag := range lags {
		if err := f.emu.AddReplica("tcr-1", "tcr-1-"+regions[i], regions[i], lag); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReplicasCatchUp: with wait_replicas the step waits until every
// replica holds the destination — read on the replica where DescribeImages
// answers for it, else by its sync status — saying which are behind.
func TestReplicasCatchUp(t *testing.T) {
	t.Parallel()
	eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
		f := newFixture(t, tcremu.WithBehaviour(b))
		// Lags longer than any read-back's polls: the clock moves only as
		// the step waits, and the replicas must still be behind when the
		// replica wait starts.
		replicaScene(t, f, 20*time.Second, 40*time.Second)
		// Three tags of one repository: each replica's repository is
		// paged through, not read tag by tag.
		record := filepath.Join(f.dir, "record.json")
		res, out := f.promote(t, 0, map[string]string{"PLUGIN_WAIT_REPLICAS": "true", "PLUGIN_DESTINATION_TAG": "prd,v1,latest", "PLUGIN_RECORD_FILE": record})
		if text, err := readFileString(record); err != nil || strings.Count(text, `"ap-singapore": "ok"`) != 3 {
			t.Errorf("the record does not say each destination is in each replica (%v):\n%s", err, text)
		}
		if out["REPLICAS"] != "ap-singapore=ok,eu-frankfurt=ok" {
			t.Errorf("REPLICAS = %q", out["REPLICAS"])
		}
		if !strings.Contains(res.stdout, "wait_replicas: ") || !strings.Contains(res.stdout, "behind after") {
			t.Errorf("no progress line while the replicas were behind:\n%s", res.stdout)
		}
		if strings.Count(out["RESULTS"], `"replicas":"ap-singapore=ok,eu-frankfurt=ok"`) != 3 {
			t.Errorf("results lack the replicas: %s", out["RESULTS"])
		}
		onReplica := 0
		for _, r := range f.emu.Requests() {
			// Answered by the replica: its images, or its missing repository,
			// not "no such instance" (plain ResourceNotFound).
			if r.Action == "DescribeImages" && r.Region == "ap-singapore" && r.Code != "ResourceNotFound" {
				onReplica++
			}
		}
		switch views := f.emu.Count("DescribeReplicationInstanceSyncStatus", ""); {
		case b.ReplicaImages && onReplica == 0:
			t.Errorf("replicas that DescribeImages shows were not read on the replica")
		case !b.ReplicaImages && views == 0:
			t.Errorf("replicas that DescribeImages does not show were not read by their sync status")
		}
	})
}

// TestReplicaLag: a replica that does not catch up within replica_timeout
// is ClientError.ReplicaLag, exit 75, naming it and what it lacks; the
// promotion itself is reported as done. A failed one says failed.
func TestReplicaLag(t *testing.T) {
	t.Parallel()
	eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
		f := newFixture(t, tcremu.WithBehaviour(b))
		replicaScene(t, f, 100*time.Millisecond, time.Hour)
		res, out := f.promote(t, 75, map[string]string{"PLUGIN_WAIT_REPLICAS": "true", "PLUGIN_REPLICA_TIMEOUT": "1500ms"})
		if out["REPLICAS"] != "ap-singapore=ok,eu-frankfurt=behind" || out["ERROR_CODE"] != failure.CodeReplicaLag {
			t.Errorf("outputs: %v", out)
		}
		if out["PROMOTED"] != "true" || out["DIGEST"] != digestA {
			t.Errorf("the promotion is not reported as done: %v", out)
		}
		if !strings.Contains(res.stderr, human("eu-frankfurt (tcr-1-eu-frankfurt) behind, lacking release/app:prd@"+digestA)) {
			t.Errorf("the lagging replica is not named:\n%s", res.stderr)
		}
	})
	t.Run("failed", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		replicaScene(t, f, time.Hour)
		f.emu.FailReplica("tcr-1-ap-singapore")
		res, out := f.promote(t, 75, map[string]string{"PLUGIN_WAIT_REPLICAS": "true", "PLUGIN_REPLICA_TIMEOUT": "30s", "PLUGIN_DESTINATION_TAG": "t1,t2,t3,t4,t5,t6,t7"})
		if out["REPLICAS"] != "ap-singapore=failed" {
			t.Errorf("REPLICAS = %q", out["REPLICAS"])
		}
		if !strings.Contains(res.stderr, ", and 2 more (") {
			t.Errorf("the lacking destinations are not bounded to five:\n%s", res.stderr)
		}
	})
}

// TestReplicaSyncNotProof: a sync status that says success, but at a
// time before the destination was written, or in words not known, or at
// a time that is not one, proves nothing: the replica stays behind.
func TestReplicaSyncNotProof(t *testing.T) {
	t.Parallel()
	tests := map[string]map[string]any{
		"success before the write": {"ReplicationStatus": "Success", "ReplicationTime": "2000-01-01 00:00:00"},
		"an unknown word":          {"ReplicationStatus": "Synchronised-ish", "ReplicationTime": "2999-01-01 00:00:00"},
		"not a time":               {"ReplicationStatus": "Success", "ReplicationTime": "just now"},
		"years ahead":              {"ReplicationStatus": "Success", "ReplicationTime": "2999-01-01 00:00:00"},
	}
	for name, fields := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tcremu.WithBehaviour(tcremu.Behaviours()[1])) // strict: the replica is seen by its sync status only
			replicaScene(t, f, 0)
			f.emu.Inject(tcremu.Fault{Action: "DescribeReplicationInstanceSyncStatus", Rewrite: wire.SetFields(fields)})
			_, out := f.promote(t, 75, map[string]string{"PLUGIN_WAIT_REPLICAS": "true", "PLUGIN_REPLICA_TIMEOUT": "1s"})
			if out["REPLICAS"] != "ap-singapore=behind" {
				t.Errorf("REPLICAS = %q", out["REPLICAS"])
			}
		})
	}
}

// TestNoReplicas: an instance without replicas has nothing to wait for:
// an empty output and a notice.
func TestNoReplicas(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, out := f.promote(t, 0, map[string]string{"PLUGIN_WAIT_REPLICAS": "true"})
	if v, ok := out["REPLICAS"]; !ok || v != "" {
		t.Errorf("REPLICAS = %q (set %t), want empty", v, ok)
	}
	if !strings.Contains(res.stdout, "has no replicas in other regions") {
		t.Errorf("no notice:\n%s", res.stdout)
	}
}

// TestReplicasNothingInPlace: when no promotion ended in place there is
// nothing to wait for: no replica is read, and none is said to be ok.
func TestReplicasNothingInPlace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	replicaScene(t, f, 0)
	_, out := f.promote(t, 66, map[string]string{"PLUGIN_WAIT_REPLICAS": "true", "PLUGIN_SOURCE_REFERENCE": "gone"})
	if v, ok := out["REPLICAS"]; ok {
		t.Errorf("REPLICAS = %q after a failed promotion", v)
	}
	if n := f.emu.Count("DescribeReplicationInstances", ""); n != 0 {
		t.Errorf("%d replica listings for nothing promoted", n)
	}
}
