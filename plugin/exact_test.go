package plugin_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tcr-promote/tcr-promote/tcremu"
)

// TestExactPromotion: a gated or pinned promotion puts into the
// destination exactly the digest it checked, or nothing — even when the
// source tag is pushed between the check and the copy — and leaves no
// scratch repository behind. An unpinned, ungated promotion still copies
// once.
func TestExactPromotion(t *testing.T) {
	t.Parallel()
	good := map[string]string{"org.opencontainers.image.revision": "good"}
	tests := []struct {
		name     string
		vars     map[string]string
		race     bool // push stg to digestB as the first copy is sent
		code     int
		copies   int
		finalDst string
	}{
		{"labels checked, stg pushed meanwhile", map[string]string{"PLUGIN_REQUIRE_LABELS": "org.opencontainers.image.revision=good"}, true, 73, 1, ""},
		{"expected_digest, stg pushed meanwhile", map[string]string{"PLUGIN_EXPECTED_DIGEST": digestA}, true, 73, 1, ""},
		{"a digest source, stg pushed meanwhile", map[string]string{"PLUGIN_SOURCE_REFERENCE": digestA}, true, 73, 1, ""},
		{"labels checked, nothing moves", map[string]string{"PLUGIN_REQUIRE_LABELS": "org.opencontainers.image.revision=good"}, false, 0, 2, digestA},
		{"neither gated nor pinned: one copy", nil, false, 0, 1, digestA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.emu.SetArtifact(digestA, tcremu.Artifact{Platforms: []string{"linux/amd64"}, Labels: good})
			if tt.race {
				f.emu.OnRequest("DuplicateImage", func(n int) {
					if n == 1 {
						_ = f.emu.PutImage("tcr-1", "develop", "app", "stg", digestB) // evil
					}
				})
			}
			res, env := f.promote(t, tt.code, tt.vars)
			img, ok := f.emu.Lookup("tcr-1", "release", "app", "prd")
			if got := map[bool]string{true: img.Digest}[ok]; got != tt.finalDst {
				t.Errorf("release/app:prd = %q, want %q\n%s", got, tt.finalDst, res.stderr)
			}
			if n := f.emu.Count("DuplicateImage", ""); n != tt.copies {
				t.Errorf("%d copies, want %d", n, tt.copies)
			}
			if repos := f.emu.Repositories("tcr-1", "develop"); slices.ContainsFunc(repos, func(r string) bool { return strings.HasPrefix(r, "tcr-promote-scratch-") }) {
				t.Errorf("a scratch repository was left behind: %v", repos)
			}
			if tt.race && (env["ERROR_CODE"] != "ClientError.DigestMismatch" || !strings.Contains(res.stderr, "moved after it was checked")) {
				t.Errorf("outputs %v\n%s", env, res.stderr)
			}
		})
	}
}
