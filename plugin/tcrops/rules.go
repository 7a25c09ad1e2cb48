package tcrops

import (
	"context"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
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
