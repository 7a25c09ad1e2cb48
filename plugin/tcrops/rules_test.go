package tcrops

import (
	"testing"

	"github.com/tcr-promote/tcr-promote/plugin/imageref"
)

// TestRuleCovers: a rule's patterns are Harbor's doublestar globs, each
// tried as the repository pattern and as the tag pattern.
func TestRuleCovers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"", "anything", true},
		{"**", "app", true},
		{"**", "team/a/app", true},
		{"*", "app", true},
		{"*", "team/app", false},
		{"team/**", "team/a/app", true},
		{"team/**", "team", true},
		{"team/**", "other/app", false},
		{"**/app", "app", true},
		{"**/app", "team/a/app", true},
		{"v*", "v1.2", true},
		{"v*", "latest", false},
		{"v?", "v1", true},
		{"v?", "v10", false},
		{"{prd,v1.*}", "v1.2", true},
		{"{prd,v1.*}", "prd", true},
		{"{prd,v1.*}", "v2.0", false},
		{"v[0-9]*", "v3", true},
		{"v[0-9]*", "vx", false},
		{"release-{a,b{c,d}}", "release-bd", true},
		{"[", "[", false}, // malformed matches nothing
	}
	for _, tt := range tests {
		byRepo := ImmutableRule{Namespace: "release", RepoPattern: tt.pattern}.Covers(imageref.Ref{Namespace: "release", Repo: tt.name, Tag: "any"})
		byTag := ImmutableRule{Namespace: "release", TagPattern: tt.pattern}.Covers(imageref.Ref{Namespace: "release", Repo: "app", Tag: tt.name})
		if byRepo != tt.want || byTag != tt.want {
			t.Errorf("pattern %q on %q: as the repository's %t, as the tag's %t, want %t", tt.pattern, tt.name, byRepo, byTag, tt.want)
		}
	}
	if (ImmutableRule{Namespace: "other"}).Covers(imageref.Ref{Namespace: "release", Repo: "app", Tag: "prd"}) {
		t.Error("a rule of another namespace covers release/app:prd")
	}
}
