package promote

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/internal/testclock"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/target"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// fakeRegistry is a Registry in memory: the flow's decisions tested
// without HTTP, an emulator or the SDK — the shape of ratchet's resolver
// fakes. It keeps every tag as "ns/repo:tag" → digest.
type fakeRegistry struct {
	mu     sync.Mutex
	tags   map[string]string
	copies []string          // each DuplicateImage, "src:tag → dst"
	before func(copy int)    // runs before copy n (from 1) is applied
	moved  map[string]string // what before changes: tag → digest
}

func key(ns, repo, tag string) string { return ns + "/" + repo + ":" + tag }

func (f *fakeRegistry) Images(_ context.Context, ns, repo string, q tcrops.Query) ([]tcrops.Tag, int64, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []tcrops.Tag
	for k, d := range f.tags {
		name, ok := strings.CutPrefix(k, ns+"/"+repo+":")
		if !ok || q.Tag != "" && name != q.Tag || q.Digest != "" && d != q.Digest || q.Like != "" && !strings.Contains(name, q.Like) {
			continue
		}
		out = append(out, tcrops.Tag{Name: name, Digest: d})
	}
	return out, int64(len(out)), "r-images", nil
}

func (f *fakeRegistry) DuplicateImage(_ context.Context, src imageref.Ref, from string, dst imageref.Ref, override bool, _ tcrapi.ResendCheck) (string, error) {
	f.mu.Lock()
	n := len(f.copies) + 1
	f.copies = append(f.copies, key(src.Namespace, src.Repo, from)+" → "+dst.String())
	before := f.before
	f.mu.Unlock()
	if before != nil {
		before(n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.tags[key(src.Namespace, src.Repo, from)]
	switch old, exists := f.tags[key(dst.Namespace, dst.Repo, dst.Tag)]; {
	case !ok:
		return "", &failure.Error{Class: failure.ClassNotFound, Code: "ResourceNotFound.TcrResourceNotFound", RequestID: "r-copy"}
	case exists && old != d && !override:
		return "", &failure.Error{Class: failure.ClassConflict, Code: "FailedOperation.PreconditionFailed", RequestID: "r-copy"}
	}
	f.tags[key(dst.Namespace, dst.Repo, dst.Tag)] = d
	return "r-copy", nil
}

func (f *fakeRegistry) DeleteRepository(_ context.Context, ns, repo string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.tags {
		if strings.HasPrefix(k, ns+"/"+repo+":") {
			delete(f.tags, k)
		}
	}
	return nil
}

func (f *fakeRegistry) ImmutableTagRules(context.Context) ([]tcrops.ImmutableRule, error) {
	return nil, nil
}
func (f *fakeRegistry) NamespaceExists(context.Context, string, bool) (bool, error) { return true, nil }
func (f *fakeRegistry) PublicDomain(context.Context) (string, error) {
	return "acme.tencentcloudcr.com", nil
}
func (f *fakeRegistry) Manifest(context.Context, imageref.Ref) (tcrops.Manifest, error) {
	return tcrops.Manifest{Platforms: []string{"linux/amd64"}}, nil
}
func (f *fakeRegistry) CreateSignature(context.Context, imageref.Ref) (string, error) {
	return "r-sign", nil
}
func (f *fakeRegistry) Replicas(context.Context) ([]tcrops.Replica, int64, error) { return nil, 0, nil }
func (f *fakeRegistry) SyncStatus(context.Context, tcrops.Replica) (tcrops.SyncStatus, error) {
	return tcrops.SyncStatus{}, nil
}
func (f *fakeRegistry) PersonalTags(context.Context, imageref.Ref, int64, int64) ([]tcrops.PersonalTag, int64, string, error) {
	return nil, 0, "", nil
}
func (f *fakeRegistry) DuplicateImagePersonal(context.Context, imageref.Ref, imageref.Ref) (string, string, error) {
	return "", "", nil
}

func (f *fakeRegistry) CreateInstanceToken(context.Context) (tcrops.InstanceToken, error) {
	return tcrops.InstanceToken{}, &failure.Error{Class: failure.ClassPermission, Code: "AuthFailure.UnauthorizedOperation", Message: "the fake has no registry"}
}

// repos lists the repositories of ns the fake holds tags in.
func (f *fakeRegistry) repos(ns string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.tags {
		if rest, ok := strings.CutPrefix(k, ns+"/"); ok {
			out = append(out, rest[:strings.Index(rest, ":")])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestFlow: the flow's choices — copy once, copy exactly through a
// scratch repository, copy nothing — against a fake registry.
func TestFlow(t *testing.T) {
	t.Parallel()
	const a, b = "sha256:" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sha256:" + "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	pair := settings.Pair{Source: imageref.Ref{Namespace: "develop", Repo: "app", Tag: "stg"}, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "prd"}}
	tests := []struct {
		name     string
		expected string // expected_digest
		prd      string // what release/app:prd holds before
		moveAt   int    // push stg to b before this copy
		status   promotion.Status
		code     string
		copies   int
		prdAfter string
	}{
		{name: "unpinned: one copy", status: promotion.StatusPromoted, copies: 1, prdAfter: a},
		{name: "already there: no copy", prd: a, status: promotion.StatusAlreadyThere, prdAfter: a},
		{name: "pinned: through a scratch repository", expected: a, status: promotion.StatusPromoted, copies: 2, prdAfter: a},
		{name: "pinned, stg pushed before the scratch copy: nothing reaches prd", expected: a, moveAt: 1, status: promotion.StatusFailed, code: failure.CodeDigestMismatch, copies: 1},
		{name: "pinned, and stg moved before the check: refused, no copy", expected: b, status: promotion.StatusFailed, code: failure.CodeDigestMismatch},
		// Sent all the same: without override TCR refuses it atomically,
		// and its own answer (and RequestId) is the report.
		{name: "taken by another image, no override: TCR refuses", prd: b, status: promotion.StatusFailed, code: "FailedOperation.PreconditionFailed", copies: 1, prdAfter: b},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := &fakeRegistry{tags: map[string]string{key("develop", "app", "stg"): a}}
			if tt.prd != "" {
				reg.tags[key("release", "app", "prd")] = tt.prd
			}
			if tt.moveAt > 0 {
				reg.before = func(n int) {
					if n == tt.moveAt {
						reg.mu.Lock()
						reg.tags[key("develop", "app", "stg")] = b
						reg.mu.Unlock()
					}
				}
			}
			log := cilog.New(io.Discard, io.Discard, false)
			api := tcrapi.New(tcrapi.Options{Retries: 0, AttemptTimeout: time.Second, Timeout: time.Minute, RateLimit: 20, Clock: testclock.New()}, log)
			cfg := &settings.Config{Pairs: []settings.Pair{pair}, Verify: true, ExpectedDigest: tt.expected, IndexLag: 10 * time.Second,
				Timeout: time.Minute, AttemptTimeout: time.Second, RateLimit: 20}
			p := New(context.Background(), api, reg, cfg, target.Target{RegistryID: "tcr-1", Region: "ap-guangzhou"}, log)
			results := p.Promote(context.Background(), func(promotion.Result) {})
			if len(results) != 1 {
				t.Fatalf("%d results", len(results))
			}
			res := results[0]
			if res.Status != tt.status || failure.CodeOf(res.Err) != tt.code {
				t.Errorf("status %v, code %q (%v); want %v, %q", res.Status, failure.CodeOf(res.Err), res.Err, tt.status, tt.code)
			}
			if len(reg.copies) != tt.copies {
				t.Errorf("copies %v, want %d", reg.copies, tt.copies)
			}
			if got := reg.tags[key("release", "app", "prd")]; got != tt.prdAfter {
				t.Errorf("prd = %q, want %q", got, tt.prdAfter)
			}
			if diff := cmp.Diff([]string{"app"}, reg.repos("develop")); diff != "" {
				t.Errorf("develop's repositories (-want +got), a scratch one left behind?\n%s", diff)
			}
		})
	}
}
