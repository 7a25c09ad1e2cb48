package tagread_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tagread"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// lister is a repository's tags in memory, counting the calls.
type lister struct {
	mu      sync.Mutex
	tags    map[string][]tcrops.Tag // "ns/repo" → tags, in page order
	calls   []string                // "tag:x" or "page:n"
	missing error                   // answered for a repository not in tags
}

func (l *lister) Images(_ context.Context, ns, repo string, q tcrops.Query) ([]tcrops.Tag, int64, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	call := fmt.Sprintf("page:%d", q.Page)
	if q.Tag != "" {
		call = "tag:" + q.Tag
	}
	l.calls = append(l.calls, call)
	all, ok := l.tags[ns+"/"+repo]
	if !ok {
		return nil, 0, "r-missing", l.missing
	}
	if q.Tag != "" {
		for _, t := range all {
			if t.Name == q.Tag {
				return []tcrops.Tag{t}, 1, "r-tag", nil
			}
		}
		return nil, 0, "r-tag", nil
	}
	from := min(int((q.Page-1)*tcrops.PageSize), len(all))
	to := min(from+int(tcrops.PageSize), len(all))
	return all[from:to], int64(len(all)), fmt.Sprintf("r-page-%d", q.Page), nil
}

func repoOf(n int) []tcrops.Tag {
	tags := make([]tcrops.Tag, n)
	for i := range tags {
		tags[i] = tcrops.Tag{Name: fmt.Sprintf("t%d", i), Digest: fmt.Sprintf("sha256:%064d", i)}
	}
	return tags
}

func refs(n int) []imageref.Ref {
	out := make([]imageref.Ref, n)
	for i := range out {
		out[i] = imageref.Ref{Namespace: "ns", Repo: "app", Tag: fmt.Sprintf("t%d", i)}
	}
	return out
}

// TestRead: a repository is paged through when that costs fewer calls
// than a lookup per tag, and read tag by tag otherwise; what does not
// exist is left out, however TCR says so.
func TestRead(t *testing.T) {
	t.Parallel()
	notFound := &failure.Error{Class: failure.ClassNotFound, Code: "ResourceNotFound"}
	tests := []struct {
		name      string
		inRepo    int      // tags in ns/app (-1: no repository)
		want      int      // tags asked for
		calls     []string // the calls made, in order
		missing   error    // the answer for a missing repository
		wantFound int
	}{
		{"one tag: a lookup", 300, 1, []string{"tag:t0"}, nil, 1},
		{"three tags in one page: one page", 50, 3, []string{"page:1"}, nil, 3},
		{"two tags in three pages: the first page tells, then two lookups", 250, 2, []string{"page:1", "tag:t0", "tag:t1"}, nil, 2},
		{"five tags in three pages: three pages", 250, 5, []string{"page:1", "page:2", "page:3"}, nil, 5},
		{"no repository, an error", -1, 3, []string{"page:1"}, notFound, 0},
		{"no repository, an empty list", -1, 3, []string{"page:1"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := &lister{tags: map[string][]tcrops.Tag{}, missing: tt.missing}
			if tt.inRepo >= 0 {
				l.tags["ns/app"] = repoOf(tt.inRepo)
			}
			got, err := tagread.Read(context.Background(), l, refs(tt.want), cilog.New(io.Discard, io.Discard, false))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if len(got) != tt.wantFound {
				t.Errorf("found %d tags, want %d", len(got), tt.wantFound)
			}
			for r, tag := range got {
				if tag.Name != r.Tag {
					t.Errorf("%s read as %s", r, tag.Name)
				}
			}
			slices.Sort(l.calls) // pages and lookups run at once
			if diff := cmp.Diff(tt.calls, l.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTagged(t *testing.T) {
	t.Parallel()
	d := "sha256:" + strings.Repeat("a", 64)
	l := tagread.Listing{Tags: map[string]tcrops.Tag{
		"zeta":                              {Name: "zeta", Digest: d},
		"beta":                              {Name: "beta", Digest: d},
		"sha256-" + strings.Repeat("a", 64): {Name: "sha256-" + strings.Repeat("a", 64), Digest: d},
		"other":                             {Name: "other", Digest: "sha256:" + strings.Repeat("b", 64)},
	}}
	got, ok := l.Tagged(d)
	if diff := cmp.Diff(tcrops.Tag{Name: "beta", Digest: d}, got); !ok || diff != "" {
		t.Errorf("Tagged (-want +got):\n%s", diff)
	}
	if _, ok := l.Tagged("sha256:" + strings.Repeat("c", 64)); ok {
		t.Error("Tagged found a digest no tag points at")
	}
}
