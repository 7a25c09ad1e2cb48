package carry_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/carry"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

const digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

var (
	sig = "sha256-" + strings.TrimPrefix(digest, "sha256:") + ".sig"
	att = "sha256-" + strings.TrimPrefix(digest, "sha256:") + ".att"
)

// tags is an instance's tags by repository ("develop/app"), and the
// copies asked of it.
type tags struct {
	mu     sync.Mutex
	repos  map[string]map[string]string // repository → tag → digest
	copies []string
}

func (f *tags) Like(_ context.Context, ref imageref.Ref, like string) ([]tcrops.Tag, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []tcrops.Tag
	for name, d := range f.repos[ref.Name()] {
		if strings.Contains(name, like) {
			out = append(out, tcrops.Tag{Name: name, Digest: d})
		}
	}
	return out, nil
}

func (f *tags) Copy(_ context.Context, from, to imageref.Ref, d string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.copies = append(f.copies, to.String())
	return d, nil
}

// TestCarryTags: the cosign tags of the source's digest stand in the
// destination's repository after, each copied unless in place; one that
// points elsewhere there is a conflict; within one repository nothing
// travels. A registry that cannot be read costs a warning, not the
// promotion.
func TestCarryTags(t *testing.T) {
	t.Parallel()
	src := imageref.Ref{Namespace: "develop", Repo: "app", Tag: "stg"}
	prd := imageref.Ref{Namespace: "release", Repo: "app", Tag: "prd"}
	tests := []struct {
		name   string
		there  map[string]string // the destination repository's tags
		dst    imageref.Ref
		want   []string
		copies []string
		code   string
	}{
		{name: "none there", dst: prd, want: []string{att, sig}, copies: []string{"release/app:" + att, "release/app:" + sig}},
		{name: "one in place", there: map[string]string{sig: "sha256:aa"}, dst: prd, want: []string{att, sig}, copies: []string{"release/app:" + att}},
		{name: "one elsewhere", there: map[string]string{att: "sha256:other"}, dst: prd, want: nil, code: failure.CodeAccessoryConflict},
		{name: "the same repository", dst: imageref.Ref{Namespace: "develop", Repo: "app", Tag: "prd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &tags{repos: map[string]map[string]string{
				"develop/app": {sig: "sha256:aa", att: "sha256:bb", "stg": digest},
				"release/app": tt.there,
			}}
			cfg := &settings.Config{Supply: settings.Supply{Carry: true}, AttemptTimeout: time.Second}
			var bg failure.Group
			unreachable := func() (carry.Registry, error) { return nil, errors.New("no route to the registry") }
			c := carry.New(cfg, cilog.New(&strings.Builder{}, &strings.Builder{}, false), f, unreachable, &bg)
			got, err := c.All(context.Background(), src, tt.dst, digest)
			if failure.CodeOf(err) != tt.code {
				t.Fatalf("All: %v, want code %q", err, tt.code)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("carried (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.copies, f.copies); diff != "" {
				t.Errorf("copies (-want +got):\n%s", diff)
			}
		})
	}
}
