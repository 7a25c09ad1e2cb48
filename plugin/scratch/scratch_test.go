package scratch_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/scratch"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
)

// fake is an instance whose source tag holds now: what a copy lands.
type fake struct {
	mu      sync.Mutex
	now     string
	copies  int
	deleted []string
}

func (f *fake) DuplicateImage(_ context.Context, _ imageref.Ref, _ string, dst imageref.Ref, _ bool, _ tcrapi.ResendCheck) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.copies++
	return "req", nil
}

func (f *fake) Settle(context.Context, imageref.Ref, string) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now, true, nil
}

func (f *fake) DeleteRepository(_ context.Context, ns, repo string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, ns+"/"+repo)
	return nil
}

// TestStages: one scratch copy a source tag and digest, however many
// destinations ask; a source that moved is refused and its copy deleted
// at once; the rest are deleted by Cleanup.
func TestStages(t *testing.T) {
	t.Parallel()
	src := imageref.Ref{Namespace: "develop", Repo: "app", Tag: "stg"}
	tests := []struct {
		name           string
		now            string // what the source holds when copied
		code           string // the refusal's code, "" for none
		deletedAtFirst int    // scratch repositories deleted before Cleanup
	}{
		{name: "as checked", now: "sha256:a"},
		{name: "moved since the check", now: "sha256:b", code: failure.CodeDigestMismatch, deletedAtFirst: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fake{now: tt.now}
			s := scratch.New(f, 0, cilog.New(&strings.Builder{}, &strings.Builder{}, false))
			var wg sync.WaitGroup
			for range 5 {
				wg.Go(func() {
					got, err := s.Of(context.Background(), src, "stg", "sha256:a")
					if failure.CodeOf(err) != tt.code || err == nil && !strings.HasPrefix(got.Repo, scratch.Prefix) {
						t.Errorf("Of = %v, %v; want code %q", got, err, tt.code)
					}
				})
			}
			wg.Wait()
			if f.copies != 1 || len(f.deleted) != tt.deletedAtFirst {
				t.Errorf("%d copies, %d deleted before Cleanup; want 1, %d", f.copies, len(f.deleted), tt.deletedAtFirst)
			}
			s.Cleanup()
			if diff := cmp.Diff(1, len(f.deleted)); diff != "" {
				t.Errorf("scratch repositories deleted (-want +got):\n%s", diff)
			}
		})
	}
}
