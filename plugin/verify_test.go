package plugin_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// TestVerifiedPromotion covers the digest-pinned flow: resolve, pin, skip
// when already there, copy, read back.
func TestVerifiedPromotion(t *testing.T) {
	t.Parallel()
	image := func(d string) string { return "acme.tencentcloudcr.com/release/app:prd@" + d }
	tests := []struct {
		name       string
		vars       map[string]string
		setup      func(f *fixture)
		code       int
		outputs    map[string]string // expected dotenv, REQUEST_ID aside
		duplicates int
		finalDst   string // digest at release/app:prd afterwards, "" = absent
		copyID     bool   // REQUEST_ID is the DuplicateImage call's although the step failed
		logs       []string
	}{
		{name: "promoted with digest outputs", code: 0, duplicates: 1, finalDst: digestA,
			outputs: verified(map[string]string{"DIGEST": digestA, "IMAGE": image(digestA), "PROMOTED": "true"})},
		{name: "registry_domain skips DescribeInstances", vars: map[string]string{"PLUGIN_REGISTRY_DOMAIN": "cr.example.com"}, code: 0, duplicates: 1, finalDst: digestA,
			outputs: verified(map[string]string{"DIGEST": digestA, "IMAGE": "cr.example.com/release/app:prd@" + digestA, "PROMOTED": "true"})},
		{name: "source moved mid-promotion", setup: moveSourceBeforeCopy, code: 73, duplicates: 1, finalDst: digestB, copyID: true,
			outputs: map[string]string{"PROMOTED": "false", "ERROR_CODE": "ClientError.DigestMismatch", "ERROR_CLASS": "conflict"},
			logs: []string{"after the copy release/app:prd points at " + digestB + ", not at " + digestA, "the source moved in between", "which was not the image checked",
				"the registry was changed: DuplicateImage wrote release/app:prd"}},
		{name: "source moved mid-promotion, override", vars: map[string]string{"PLUGIN_OVERRIDE": "true"}, setup: moveSourceBeforeCopy, code: 73, duplicates: 1, finalDst: digestB, copyID: true,
			outputs: map[string]string{"PROMOTED": "false", "ERROR_CODE": "ClientError.DigestMismatch", "ERROR_CLASS": "conflict"},
			logs:    []string{"release/app:prd now holds " + digestB, "the registry was changed"}},
		{name: "digest as source", vars: map[string]string{"PLUGIN_SOURCE_REFERENCE": digestA}, code: 0, duplicates: 2, finalDst: digestA, // exact: through a scratch repository
			outputs: verified(map[string]string{"DIGEST": digestA, "IMAGE": image(digestA), "PROMOTED": "true"})},
		{name: "digest as source, no tag points at it", vars: map[string]string{"PLUGIN_SOURCE_REFERENCE": digestB}, code: 66, duplicates: 0,
			outputs: map[string]string{"PROMOTED": "false", "ERROR_CODE": "ClientError.SourceNotFound", "ERROR_CLASS": "not_found"},
			logs:    []string{"no tag of develop/app points at " + digestB}},
		{name: "expected_digest holds", vars: map[string]string{"PLUGIN_EXPECTED_DIGEST": digestA}, code: 0, duplicates: 2, finalDst: digestA, // exact
			outputs: verified(map[string]string{"DIGEST": digestA, "IMAGE": image(digestA), "PROMOTED": "true"})},
		{name: "expected_digest fails", vars: map[string]string{"PLUGIN_EXPECTED_DIGEST": digestB}, code: 73, duplicates: 0,
			outputs: map[string]string{"PROMOTED": "false", "ERROR_CODE": "ClientError.DigestMismatch", "ERROR_CLASS": "conflict"},
			logs:    []string{"develop/app:stg points at " + digestA + ", not at the expected " + digestB, "nothing was copied"}},
		{name: "already there", setup: func(f *fixture) { _ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestA) }, code: 0, duplicates: 0, finalDst: digestA,
			outputs: verified(map[string]string{"DIGEST": digestA, "IMAGE": image(digestA), "PROMOTED": "false", "PREVIOUS_DIGEST": digestA}),
			logs:    []string{"release/app:prd already points at " + digestA + ", as develop/app:stg does: nothing to copy", "already promoted develop/app:stg"}},
		{name: "source tag missing", vars: map[string]string{"PLUGIN_SOURCE_REFERENCE": "gone"}, code: 66, duplicates: 0,
			outputs: map[string]string{"PROMOTED": "false", "ERROR_CODE": "ClientError.SourceNotFound", "ERROR_CLASS": "not_found"}},
		{name: "DescribeImages forbidden: warn, promote unverified", setup: func(f *fixture) { f.emu.Deny(secretID, "DescribeImages") }, code: 0, duplicates: 1, finalDst: digestA,
			outputs: map[string]string{"PROMOTED": "true"},
			logs:    []string{"warning: cannot verify: DescribeImages: AuthFailure.UnauthorizedOperation"}},
		{name: "DescribeImages forbidden with a pin", vars: map[string]string{"PLUGIN_EXPECTED_DIGEST": digestA}, setup: func(f *fixture) { f.emu.Deny(secretID, "DescribeImages") }, code: 77, duplicates: 0,
			outputs: map[string]string{"PROMOTED": "false", "ERROR_CODE": "AuthFailure.UnauthorizedOperation", "ERROR_CLASS": "permission"},
			logs:    []string{"DescribeImages is needed for expected_digest"}},
		{name: "DescribeImages forbidden with a digest source", vars: map[string]string{"PLUGIN_SOURCE_REFERENCE": digestA}, setup: func(f *fixture) { f.emu.Deny(secretID, "DescribeImages") }, code: 77, duplicates: 0,
			outputs: map[string]string{"PROMOTED": "false", "ERROR_CODE": "AuthFailure.UnauthorizedOperation", "ERROR_CLASS": "permission"}},
		{name: "DescribeInstances forbidden: no image output", setup: func(f *fixture) { f.emu.Deny(secretID, "DescribeInstances") }, code: 0, duplicates: 1, finalDst: digestA,
			outputs: verified(map[string]string{"DIGEST": digestA, "PROMOTED": "true"}),
			logs:    []string{"no image output: DescribeInstances gave no domain", "set registry_domain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
				f := newFixture(t, tcremu.WithBehaviour(b))
				if tt.setup != nil {
					tt.setup(f)
				}
				res, got := f.promote(t, tt.code, tt.vars)
				if id := f.lastRequestID("DuplicateImage"); tt.copyID && got["REQUEST_ID"] != id {
					t.Errorf("REQUEST_ID = %q, want the DuplicateImage call's %q", got["REQUEST_ID"], id)
				}
				delete(got, "REQUEST_ID")
				delete(got, "REQUEST_IDS") // batch outputs have their own tests
				delete(got, "RESULTS")
				if diff := cmp.Diff(tt.outputs, got); diff != "" {
					t.Errorf("outputs (-want +got):\n%s", diff)
				}
				if n := f.emu.Count("DuplicateImage", ""); n != tt.duplicates {
					t.Errorf("DuplicateImage sent %d times, want %d", n, tt.duplicates)
				}
				img, ok := f.emu.Lookup("tcr-1", "release", "app", "prd")
				if d := map[bool]string{true: img.Digest}[ok]; d != tt.finalDst {
					t.Errorf("release/app:prd = %q, want %q", d, tt.finalDst)
				}
				for _, l := range tt.logs {
					if !strings.Contains(res.stdout+res.stderr, human(l)) {
						t.Errorf("log lacks %q:\n%s%s", l, res.stdout, res.stderr)
					}
				}
				if strings.Count(res.stdout, "cannot verify") > 1 {
					t.Errorf("the cannot-verify warning was repeated:\n%s", res.stdout)
				}
			})
		})
	}
}

// moveSourceBeforeCopy retags develop/app:stg to digestB just before the
// DuplicateImage call is handled: between the plugin's check and its copy.
func moveSourceBeforeCopy(f *fixture) {
	f.emu.OnRequest("DuplicateImage", func(n int) {
		if n == 1 {
			_ = f.emu.PutImage("tcr-1", "develop", "app", "stg", digestB)
		}
	})
}

// TestDryRun: every outcome, the exit code the real run would have, and
// nothing changed.
func TestDryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vars    map[string]string
		setup   func(f *fixture)
		code    int
		errCode string
		log     string
	}{
		{name: "would promote", code: 0, log: "dry run: would create release/app:prd with " + digestA},
		{name: "would replace with override", vars: map[string]string{"PLUGIN_OVERRIDE": "true"}, setup: putDst(digestB), code: 0, log: "would replace " + digestB + " at release/app:prd"},
		{name: "already there", setup: putDst(digestA), code: 0, log: "nothing to copy"},
		{name: "source missing", vars: map[string]string{"PLUGIN_SOURCE_REFERENCE": "gone"}, code: 66, errCode: "ClientError.SourceNotFound"},
		{name: "destination namespace missing", vars: map[string]string{"PLUGIN_DESTINATION_NAMESPACE": "qa"}, code: 66, errCode: "ClientError.NamespaceNotFound"},
		{name: "destination taken", setup: putDst(digestB), code: 73, errCode: "ClientError.DestinationExists"},
		{name: "destination immutable", vars: map[string]string{"PLUGIN_OVERRIDE": "true"}, setup: func(f *fixture) {
			putDst(digestB)(f)
			_ = f.emu.SetImmutableRule("tcr-1", tcremu.ImmutableRule{Namespace: "release", RepositoryPattern: "**", TagPattern: "p*"})
		}, code: 73, errCode: "ClientError.ImmutableTag"},
		{name: "pin fails", vars: map[string]string{"PLUGIN_EXPECTED_DIGEST": digestB}, code: 73, errCode: "ClientError.DigestMismatch"},
		{name: "pin holds", vars: map[string]string{"PLUGIN_EXPECTED_DIGEST": digestA}, code: 0},
		{name: "DescribeImages forbidden", setup: func(f *fixture) { f.emu.Deny(secretID, "DescribeImages") }, code: 77, errCode: "AuthFailure.UnauthorizedOperation"},
		{name: "wrong key", vars: map[string]string{"PLUGIN_SECRET_KEY": "nope"}, code: 77, errCode: "AuthFailure.SignatureFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
				f := newFixture(t, tcremu.WithBehaviour(b))
				if tt.setup != nil {
					tt.setup(f)
				}
				before, _ := f.emu.Lookup("tcr-1", "release", "app", "prd")
				res, env := f.promote(t, tt.code, testenv.With(map[string]string{"PLUGIN_DRY_RUN": "true"}, tt.vars))
				if env["ERROR_CODE"] != tt.errCode || env["PROMOTED"] != "false" {
					t.Errorf("outputs %v, want ERROR_CODE %q and PROMOTED false", env, tt.errCode)
				}
				if tt.code == 0 && env["DIGEST"] != digestA {
					t.Errorf("DIGEST = %q, want %s: a dry run reports what would reach the destination", env["DIGEST"], digestA)
				}
				if n := f.emu.Count("DuplicateImage", ""); n != 0 {
					t.Errorf("a dry run sent DuplicateImage %d times", n)
				}
				if after, _ := f.emu.Lookup("tcr-1", "release", "app", "prd"); after != before {
					t.Errorf("release/app:prd changed: %v → %v", before, after)
				}
				if !strings.Contains(res.stdout, human(tt.log)) {
					t.Errorf("log lacks %q:\n%s", tt.log, res.stdout)
				}
			})
		})
	}
}

func putDst(digest string) func(f *fixture) {
	return func(f *fixture) { _ = f.emu.PutImage("tcr-1", "release", "app", "prd", digest) }
}

// TestPinnedPromotion: a source written name:tag@digest is copied from
// the tag, and only while the tag points at that digest.
func TestPinnedPromotion(t *testing.T) {
	t.Parallel()
	refs := func(src string) map[string]string {
		return map[string]string{"PLUGIN_REGISTRY_ID": "", "PLUGIN_REGION": "", "PLUGIN_SOURCE_NAMESPACE": "", "PLUGIN_SOURCE_REPO": "", "PLUGIN_SOURCE_REFERENCE": "",
			"PLUGIN_DESTINATION_TAG": "", "PLUGIN_DESTINATION_NAMESPACE": "", "PLUGIN_SOURCE_IMAGE": src, "PLUGIN_DESTINATION_IMAGE": "release/app:prd"}
	}
	t.Run("the tag holds the pin", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_, env := f.promote(t, 0, refs("acme.tencentcloudcr.com/develop/app:stg@"+digestA))
		if env["DIGEST"] != digestA || env["IMAGE"] != "acme.tencentcloudcr.com/release/app:prd@"+digestA {
			t.Errorf("outputs %v", env)
		}
	})
	t.Run("the tag moved", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res, env := f.promote(t, 73, refs("acme.tencentcloudcr.com/develop/app:stg@"+digestB))
		if env["ERROR_CODE"] != "ClientError.DigestMismatch" || f.emu.Count("DuplicateImage", "") != 0 || !strings.Contains(res.stderr, "write it in source_image instead") {
			t.Errorf("outputs %v, %d copies\n%s", env, f.emu.Count("DuplicateImage", ""), res.stderr)
		}
	})
}

// verified adds what every verified promotion that ended well writes
// besides: the signature tags carried (none here) and the platforms (the
// emulator's default image).
func verified(outputs map[string]string) map[string]string {
	outputs["ACCESSORIES"], outputs["PLATFORMS"] = "", "linux/amd64"
	return outputs
}
