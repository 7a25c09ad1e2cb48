package tcrops

import (
	"cmp"
	"context"
	"fmt"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// ImmutableRule is one enabled tag immutability rule of a namespace.
type ImmutableRule struct {
	ID                        int64
	Namespace                 string
	RepoPattern, TagPattern   string
	RepoExcludes, TagExcludes bool // the pattern selects what it does not match
}

// ImmutableTagRules reads the instance's tag immutability rules (one per
// namespace; disabled ones left out).
func (in Instance) ImmutableTagRules(ctx context.Context) ([]ImmutableRule, error) {
	rules, _, err := tcrapi.Do(tcrapi.About(ctx, in.ID), in.API, "DescribeImmutableTagRules", func(ctx context.Context) ([]ImmutableRule, string, error) {
		req := tcr.NewDescribeImmutableTagRulesRequest()
		req.RegistryId = common.StringPtr(in.ID)
		resp, err := in.Client.DescribeImmutableTagRulesWithContext(ctx, req)
		if err != nil {
			return nil, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DescribeImmutableTagRulesResponseParams) *string { return r.RequestId })
		if err != nil {
			return nil, "", err
		}
		var out []ImmutableRule
		for _, r := range resp.Response.Rules {
			if r == nil || tcrapi.Field(r.Disabled) {
				continue
			}
			out = append(out, ImmutableRule{
				ID: tcrapi.Field(r.RuleId), Namespace: tcrapi.Field(r.NsName),
				RepoPattern: tcrapi.Field(r.RepositoryPattern), TagPattern: tcrapi.Field(r.TagPattern),
				RepoExcludes: tcrapi.Field(r.RepositoryDecoration) == "repoExcludes",
				TagExcludes:  tcrapi.Field(r.TagDecoration) == "excludes",
			})
		}
		return out, id, nil
	})
	return rules, err
}

// Covers reports whether the rule stops ref from being overwritten. The
// repository pattern is matched against the repository's name within its
// namespace, as Harbor does.
func (r ImmutableRule) Covers(ref imageref.Ref) bool {
	return r.Namespace == ref.Namespace &&
		globMatch(r.RepoPattern, ref.Repo) != r.RepoExcludes &&
		globMatch(r.TagPattern, ref.Tag) != r.TagExcludes
}

func (r ImmutableRule) String() string {
	verb := map[bool]string{false: "matching", true: "excluding"}
	return fmt.Sprintf("immutability rule %d of namespace %s (repositories %s %q, tags %s %q)",
		r.ID, r.Namespace, verb[r.RepoExcludes], r.RepoPattern, verb[r.TagExcludes], r.TagPattern)
}

// globMatch reports whether name matches a tag immutability rule's
// pattern: Harbor's doublestar globs, matched with doublestar itself
// ("*" and "?" within one path segment, "**" across segments, "[…]"
// classes, "{a,b}" alternatives). An empty pattern matches everything; a
// malformed one matches nothing.
func globMatch(pattern, name string) bool {
	ok, err := doublestar.Match(cmp.Or(pattern, "**"), name)
	return ok && err == nil
}
