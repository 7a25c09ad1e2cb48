package creds

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/tcr-promote/tcr-promote/internal/sts"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Destination is what signs the calls to a destination instance that is
// not the source's: its own keys (another account), a role of its account
// assumed with the source's credentials (STS AssumeRole, which the role
// must trust), or — the default, one account with two instances — the
// source's credentials themselves.
func Destination(ctx context.Context, cfg *settings.Config, api *tcrapi.Client, source common.CredentialIface, log *cilog.Logger) (common.CredentialIface, error) {
	r := cfg.Remote
	switch {
	case r.RoleArn != "":
		return assumeDestinationRole(ctx, cfg, api, source, log)
	case r.SecretID != "":
		if r.SessionToken != "" {
			return common.NewTokenCredential(r.SecretID, r.SecretKey, r.SessionToken), nil
		}
		return common.NewCredential(r.SecretID, r.SecretKey), nil
	}
	return source, nil
}

// assumeDestinationRole asks STS, signed with the source's credentials,
// for the destination role's temporary credentials.
func assumeDestinationRole(ctx context.Context, cfg *settings.Config, api *tcrapi.Client, source common.CredentialIface, log *cilog.Logger) (common.CredentialIface, error) {
	r := cfg.Remote
	client := api.STS(source, r.STSScheme, r.STSHost, cmp.Or(cfg.Region, tcrapi.AnyRegion))
	c, _, err := tcrapi.Do(ctx, api, "AssumeRole", func(ctx context.Context) (*sts.Credentials, string, error) {
		req := sts.NewAssumeRoleRequest()
		req.RoleArn = common.StringPtr(r.RoleArn)
		req.RoleSessionName = common.StringPtr(r.SessionName)
		req.DurationSeconds = common.Uint64Ptr(uint64(r.Duration.Seconds()))
		resp, err := client.AssumeRoleWithContext(ctx, req)
		if err != nil {
			return nil, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *sts.AssumeRoleResponseParams) *string { return r.RequestId })
		if err != nil {
			return nil, "", err
		}
		return usable(resp.Response.Credentials, id)
	})
	if err != nil {
		if e, ok := errors.AsType[*failure.Error](err); ok && e.Class == failure.ClassPermission {
			e.Message = fmt.Sprintf("STS refused to assume destination_role_arn %s with the source's credentials: %s", r.RoleArn, e.Message)
			e.Hint = "the role's trust policy must name the source's account, and the source's credentials need sts:AssumeRole"
		}
		return nil, err
	}
	log.Debugf("assumed %s for the destination as %s for %s", r.RoleArn, r.SessionName, r.Duration)
	return masked(c, log), nil
}
