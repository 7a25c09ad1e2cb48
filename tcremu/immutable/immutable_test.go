package immutable_test

import (
	"testing"

	"github.com/tcr-promote/tcr-promote/tcremu/immutable"
)

// TestCovers: Harbor's doublestar globs, matched or excluded, as the
// rule's repository and tag patterns.
func TestCovers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule      immutable.Rule
		repo, tag string
		want      bool
	}{
		{immutable.Rule{}, "app", "prd", true}, // empty patterns match everything
		{immutable.Rule{TagPattern: "v*"}, "app", "v1.2", true},
		{immutable.Rule{TagPattern: "v*"}, "app", "prd", false},
		{immutable.Rule{TagPattern: "{prd,stg}"}, "app", "stg", true},
		{immutable.Rule{RepositoryPattern: "*"}, "team/app", "prd", false}, // * stays within a segment
		{immutable.Rule{RepositoryPattern: "**"}, "team/app", "prd", true},
		{immutable.Rule{RepositoryPattern: "team/**"}, "team", "prd", true},
		{immutable.Rule{RepositoryPattern: "**/app"}, "app", "prd", true},
		{immutable.Rule{RepositoryPattern: "ap[!x]"}, "app", "prd", true},
		{immutable.Rule{TagPattern: "prd", TagDecoration: "excludes"}, "app", "prd", false},
		{immutable.Rule{RepositoryPattern: "app", RepositoryDecoration: "repoExcludes"}, "web", "prd", true},
		{immutable.Rule{Disabled: true}, "app", "prd", false},
	}
	for _, tt := range tests {
		c, err := immutable.Compile(tt.rule, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Covers(tt.repo, tt.tag); got != tt.want {
			t.Errorf("%+v covers %s:%s = %t, want %t", tt.rule, tt.repo, tt.tag, got, tt.want)
		}
	}
	if _, err := immutable.Compile(immutable.Rule{TagPattern: "[abc"}, 1); err == nil {
		t.Error("an unclosed [ compiled")
	}
	var none *immutable.Compiled
	if none.Covers("app", "prd") {
		t.Error("no rule covers a tag")
	}
}
