package tcremu_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// TestBehaviours: each undocumented answer the emulator can play.
func TestBehaviours(t *testing.T) {
	t.Parallel()
	copyParams := func(extra map[string]any) map[string]any {
		p := map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg", "DestinationNamespace": "release", "DestinationTag": "prd"}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	lookup := func(ns, repo string) map[string]any {
		return map[string]any{"RegistryId": "tcr-1", "NamespaceName": ns, "RepositoryName": repo}
	}
	byName := map[string]tcremu.Behaviour{}
	for _, b := range tcremu.Behaviours() {
		byName[b.Name] = b
	}
	tests := []struct {
		name      string
		behaviour string
		existing  string // digest already at release/app:prd
		action    string
		params    map[string]any
		want      string // error code; "" for success
		wantList  int    // success: how many images DescribeImages lists
	}{
		{name: "same digest copy succeeds (Harbor)", behaviour: "harbor", existing: digestA, action: "DuplicateImage", params: copyParams(nil)},
		{name: "same digest copy conflicts", behaviour: "strict", existing: digestA, action: "DuplicateImage", params: copyParams(nil), want: "InternalError.ErrorTcrResourceConflict"},
		{name: "other digest conflicts", behaviour: "harbor-words", existing: digestB, action: "DuplicateImage", params: copyParams(nil), want: "InternalError.ErrorConflict"},
		{name: "missing repository: ResourceNotFound", behaviour: "harbor", action: "DescribeImages", params: lookup("develop", "nope"), want: "ResourceNotFound.TcrResourceNotFound"},
		{name: "missing namespace: ResourceNotFound", behaviour: "harbor", action: "DescribeImages", params: lookup("qa", "app"), want: "ResourceNotFound.TcrResourceNotFound"},
		{name: "missing repository: empty list", behaviour: "strict", action: "DescribeImages", params: lookup("develop", "nope")},
		{name: "missing namespace: empty list", behaviour: "strict", action: "DescribeImages", params: lookup("qa", "app")},
		{name: "missing namespace: project not found", behaviour: "harbor-words", action: "DescribeImages", params: lookup("qa", "app"), want: "InternalError.ErrorTcrUnauthorized"},
		{name: "missing repository in a namespace: empty list", behaviour: "harbor-words", action: "DescribeImages", params: lookup("develop", "nope")},
		{name: "nested repository", behaviour: "harbor", action: "DescribeImages", params: lookup("develop", "team/app"), wantList: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, srv := fixture(t, tcremu.WithBehaviour(byName[tt.behaviour]))
			_ = emu.PutImage("tcr-1", "develop", "team/app", "v1", digestB)
			if tt.existing != "" {
				_ = emu.PutImage("tcr-1", "release", "app", "prd", tt.existing)
			}
			resp, code := send(sdkClient(srv, secretID, secretKey, nil), tt.action, tt.params)
			if code != tt.want {
				t.Fatalf("code = %q, want %q (%v)", code, tt.want, resp)
			}
			if code == "" && tt.action == "DescribeImages" {
				if n := len(resp["ImageInfoList"].([]any)); n != tt.wantList {
					t.Errorf("%d images listed, want %d", n, tt.wantList)
				}
			}
		})
	}
}

// TestIndexLag: a copy shows in DescribeImages only IndexLag later — the
// new repository, then the tag at its new digest.
func TestIndexLag(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	start := time.Now()
	clock := func() time.Time { return start.Add(time.Duration(now.Load())) }
	emu, srv := fixture(t, tcremu.WithClock(clock), tcremu.WithBehaviour(tcremu.Behaviour{ConflictCode: "FailedOperation.PreconditionFailed", IndexLag: 2 * time.Second}))
	_ = emu.PutImage("tcr-1", "release", "app", "prd", digestB)
	c := sdkClient(srv, secretID, secretKey, nil)
	list := func(repo string) (map[string]string, string) {
		resp, code := send(c, "DescribeImages", map[string]any{"RegistryId": "tcr-1", "NamespaceName": "release", "RepositoryName": repo})
		out := map[string]string{}
		if code == "" {
			for _, i := range resp["ImageInfoList"].([]any) {
				out[i.(map[string]any)["ImageVersion"].(string)] = i.(map[string]any)["Digest"].(string)
			}
		}
		return out, code
	}
	for _, params := range []map[string]any{
		{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg", "DestinationNamespace": "release", "DestinationTag": "prd", "Override": true},
		{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg", "DestinationNamespace": "release", "DestinationRepo": "new", "DestinationTag": "prd"},
	} {
		if _, code := send(c, "DuplicateImage", params); code != "" {
			t.Fatal(code)
		}
	}
	if img, _ := emu.Lookup("tcr-1", "release", "app", "prd"); img.Digest != digestA {
		t.Fatalf("the copy itself is not immediate: %v", img)
	}
	now.Store(int64(time.Second))
	got, _ := list("app")
	if diff := cmp.Diff(map[string]string{"prd": digestB}, got); diff != "" {
		t.Errorf("1 s after: the old digest should still show (-want +got):\n%s", diff)
	}
	if _, code := list("new"); code != "ResourceNotFound.TcrResourceNotFound" {
		t.Errorf("1 s after: the new repository answers %q, want not found yet", code)
	}
	now.Store(int64(2 * time.Second))
	got, _ = list("app")
	gotNew, _ := list("new")
	if diff := cmp.Diff(map[string]string{"prd": digestA}, got); diff != "" || gotNew["prd"] != digestA {
		t.Errorf("2 s after: the copies should show: app %v, new %v", got, gotNew)
	}
}

// TestImmutableTags: a rule stops overwrites, Override or not, and lets a
// new tag be created; DescribeImmutableTagRules lists it.
func TestImmutableTags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		rule     tcremu.ImmutableRule
		repo     string
		tag      string
		existing bool
		want     string
	}{
		{name: "covered tag, override", rule: tcremu.ImmutableRule{RepositoryPattern: "**", TagPattern: "v*"}, repo: "app", tag: "v1", existing: true, want: "FailedOperation.PreconditionFailed"},
		{name: "new tag matching the rule", rule: tcremu.ImmutableRule{RepositoryPattern: "**", TagPattern: "v*"}, repo: "app", tag: "v2"},
		{name: "tag outside the pattern", rule: tcremu.ImmutableRule{RepositoryPattern: "**", TagPattern: "v*"}, repo: "app", tag: "latest", existing: true},
		{name: "excluded tags", rule: tcremu.ImmutableRule{RepositoryPattern: "**", TagPattern: "latest", TagDecoration: "excludes"}, repo: "app", tag: "latest", existing: true},
		{name: "excluded tags, another", rule: tcremu.ImmutableRule{RepositoryPattern: "**", TagPattern: "latest", TagDecoration: "excludes"}, repo: "app", tag: "prd", existing: true, want: "FailedOperation.PreconditionFailed"},
		{name: "brace alternatives", rule: tcremu.ImmutableRule{RepositoryPattern: "{api,app}", TagPattern: "{prd,v1.*}"}, repo: "app", tag: "v1.2", existing: true, want: "FailedOperation.PreconditionFailed"},
		{name: "repository outside the pattern", rule: tcremu.ImmutableRule{RepositoryPattern: "team/**", TagPattern: "**"}, repo: "app", tag: "prd", existing: true},
		{name: "nested repository inside", rule: tcremu.ImmutableRule{RepositoryPattern: "team/**", TagPattern: "**"}, repo: "team/a/app", tag: "prd", existing: true, want: "FailedOperation.PreconditionFailed"},
		{name: "a/** covers a itself", rule: tcremu.ImmutableRule{RepositoryPattern: "team/**", TagPattern: "**"}, repo: "team", tag: "prd", existing: true, want: "FailedOperation.PreconditionFailed"},
		{name: "**/app at any depth", rule: tcremu.ImmutableRule{RepositoryPattern: "**/app", TagPattern: "prd"}, repo: "team/a/app", tag: "prd", existing: true, want: "FailedOperation.PreconditionFailed"},
		{name: "**/app at the top", rule: tcremu.ImmutableRule{RepositoryPattern: "**/app", TagPattern: "prd"}, repo: "app", tag: "prd", existing: true, want: "FailedOperation.PreconditionFailed"},
		{name: "v? is one character", rule: tcremu.ImmutableRule{RepositoryPattern: "**", TagPattern: "v?"}, repo: "app", tag: "v10", existing: true},
		{name: "classes", rule: tcremu.ImmutableRule{RepositoryPattern: "**", TagPattern: "v[0-9]*"}, repo: "app", tag: "v3", existing: true, want: "FailedOperation.PreconditionFailed"},
		{name: "excluded repositories", rule: tcremu.ImmutableRule{RepositoryPattern: "app", RepositoryDecoration: "repoExcludes", TagPattern: "**"}, repo: "app", tag: "prd", existing: true},
		{name: "disabled rule", rule: tcremu.ImmutableRule{RepositoryPattern: "**", TagPattern: "**", Disabled: true}, repo: "app", tag: "prd", existing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, srv := fixture(t)
			tt.rule.Namespace = "release"
			if err := emu.SetImmutableRule("tcr-1", tt.rule); err != nil {
				t.Fatal(err)
			}
			if tt.existing {
				_ = emu.PutImage("tcr-1", "release", tt.repo, tt.tag, digestB)
			}
			c := sdkClient(srv, secretID, secretKey, nil)
			_, code := send(c, "DuplicateImage", map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg",
				"DestinationNamespace": "release", "DestinationRepo": tt.repo, "DestinationTag": tt.tag, "Override": true})
			if code != tt.want {
				t.Fatalf("code = %q, want %q", code, tt.want)
			}
			resp, code := send(c, "DescribeImmutableTagRules", map[string]any{"RegistryId": "tcr-1"})
			if code != "" {
				t.Fatal(code)
			}
			rules := resp["Rules"].([]any)
			if len(rules) != 1 || rules[0].(map[string]any)["NsName"] != "release" || rules[0].(map[string]any)["TagPattern"] != tt.rule.TagPattern {
				t.Errorf("Rules = %v", rules)
			}
			if diff := cmp.Diff([]any{"develop"}, resp["EmptyNs"]); diff != "" {
				t.Errorf("EmptyNs (-want +got):\n%s", diff)
			}
		})
	}
}
