// Package creds resolves what signs the step's TCR requests: keys from the
// settings or TENCENTCLOUD_*, a CAM role assumed with the CI's OIDC token
// through STS (keyless), or the common SDK's default chain. Every secret it
// obtains is masked on GitHub before anything else prints.
package creds

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/localfile"

	"github.com/tcr-promote/tcr-promote/internal/sts"
	"github.com/tcr-promote/tcr-promote/plugin/cienv"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Resolve returns what signs the TCR requests, in this order:
//  1. role_arn: an OIDC token (web_identity_token, web_identity_token_file,
//     or GitHub's token endpoint) exchanged with STS for temporary
//     credentials;
//  2. secret_id/secret_key (and session_token), from the settings or
//     TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY;
//  3. the SDK's default chain: the profile file, TKE OIDC, the CVM role.
//
// Every secret it obtains is masked on GitHub before anything else prints.
//
// chain is the last resort; nil means the SDK's own chain.
func Resolve(ctx context.Context, cfg *settings.Config, api *tcrapi.Client, log *cilog.Logger, chain func(context.Context) (common.CredentialIface, error)) (common.CredentialIface, error) {
	switch {
	case cfg.Role != nil:
		return assumeRole(ctx, cfg, api, log)
	case cfg.SecretID != "":
		return common.NewTokenCredential(cfg.SecretID, cfg.SecretKey, cfg.SessionToken), nil
	}
	if chain == nil {
		chain = sdkChain
	}
	cred, err := chain(ctx)
	if err != nil || cred == nil {
		return nil, &failure.Error{Class: failure.ClassUsage, Code: failure.CodeNoCreds, Err: err, Message: "no credentials: set secret_id and secret_key " +
			"(or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY), or role_arn and provider_id for keyless OIDC; " +
			"nothing was found in the profile file, TKE OIDC or a CVM role either"}
	}
	_, key, token := cred.GetCredential()
	log.Mask(key)
	log.Mask(token)
	return cred, nil
}

// sdkChain is the common SDK's chain: profile file, TKE OIDC (when
// its TKE_* variables are set), CVM role. The CVM role lookup has no
// timeout of its own, so it runs under the step's deadline here.
func sdkChain(ctx context.Context) (common.CredentialIface, error) {
	providers := []common.Provider{common.DefaultProfileProvider()}
	if tke, err := common.DefaultTkeOIDCRoleArnProvider(); err == nil {
		providers = append(providers, tke)
	}
	providers = append(providers, common.DefaultCvmRoleProvider())
	type result struct {
		cred common.CredentialIface
		err  error
	}
	done := make(chan result, 1)
	go func() {
		cred, err := common.NewProviderChain(providers).GetCredential()
		done <- result{cred, err}
	}()
	select {
	case r := <-done:
		return r.cred, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// assumeRole gets an OIDC token and exchanges it with STS.
func assumeRole(ctx context.Context, cfg *settings.Config, api *tcrapi.Client, log *cilog.Logger) (common.CredentialIface, error) {
	role := cfg.Role
	token, err := oidcToken(ctx, role, cfg.CI, api, log)
	if err != nil {
		return nil, err
	}
	client := api.STS(nil, role.STSScheme, role.STSHost, cmp.Or(cfg.Region, tcrapi.AnyRegion))
	creds, _, err := tcrapi.Do(ctx, api, failure.ActionAssumeRole, func(ctx context.Context) (*sts.Credentials, string, error) {
		req := sts.NewAssumeRoleWithWebIdentityRequest()
		req.ProviderId = common.StringPtr(role.ProviderID)
		req.WebIdentityToken = common.StringPtr(token)
		req.RoleArn = common.StringPtr(role.Arn)
		req.RoleSessionName = common.StringPtr(role.SessionName)
		req.DurationSeconds = common.Int64Ptr(int64(role.Duration.Seconds()))
		resp, err := client.AssumeRoleWithWebIdentityWithContext(ctx, req)
		if err != nil {
			return nil, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *sts.AssumeRoleWithWebIdentityResponseParams) *string { return r.RequestId })
		if err != nil {
			return nil, "", err
		}
		return usable(resp.Response.Credentials, id)
	})
	if err != nil {
		if e, ok := errors.AsType[*failure.Error](err); ok && e.Class == failure.ClassPermission {
			e.Message = fmt.Sprintf("STS refused to assume %s with the OIDC token: %s", role.Arn, e.Message)
		}
		return nil, err
	}
	log.Debugf("assumed %s as %s for %s", role.Arn, role.SessionName, role.Duration)
	return masked(creds, log), nil
}

// usable checks STS's temporary credentials before anything uses them:
// they would sign every call and go into its headers.
func usable(c *sts.Credentials, requestID string) (*sts.Credentials, string, error) {
	if c == nil || !tcrapi.IsCredential(tcrapi.Field(c.TmpSecretId), maxSTSCredential) || !tcrapi.IsCredential(tcrapi.Field(c.TmpSecretKey), maxSTSCredential) || c.Token != nil && !tcrapi.IsCredential(*c.Token, maxSTSCredential) {
		return nil, "", tcrapi.BadAnswer("STS answered without usable temporary credentials")
	}
	return c, requestID, nil
}

// masked masks temporary credentials, then returns them to sign with.
func masked(c *sts.Credentials, log *cilog.Logger) common.CredentialIface {
	log.Mask(tcrapi.Field(c.TmpSecretKey))
	log.Mask(tcrapi.Field(c.Token))
	return common.NewTokenCredential(tcrapi.Field(c.TmpSecretId), tcrapi.Field(c.TmpSecretKey), tcrapi.Field(c.Token))
}

// oidcToken returns the OIDC token: given, read from a file, or requested
// from GitHub's token endpoint for the audience.
func oidcToken(ctx context.Context, role *settings.RoleConfig, ci cienv.Env, api *tcrapi.Client, log *cilog.Logger) (string, error) {
	var token string
	switch {
	case role.Token != "":
		token = role.Token
	case role.TokenFile != "":
		b, err := localfile.Read(role.TokenFile, localfile.MaxTokenFile)
		if err != nil {
			return "", &failure.Error{Class: failure.ClassUsage, Code: failure.CodeOIDCToken, Message: fmt.Sprintf("web_identity_token_file: %v", err), Err: err}
		}
		token = strings.TrimSpace(string(b))
	case ci.TokenURL != "" && ci.TokenBearer != "":
		var err error
		if token, err = githubToken(ctx, api, ci.TokenURL, ci.TokenBearer, role.Audience); err != nil {
			return "", err
		}
	case ci.GitHub:
		return "", &failure.Error{Class: failure.ClassUsage, Code: failure.CodeOIDCToken, Message: "role_arn is set but GitHub gave no OIDC token: " +
			"the workflow or job needs `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL is missing)"}
	default:
		return "", &failure.Error{Class: failure.ClassUsage, Code: failure.CodeOIDCToken, Message: "role_arn is set but there is no OIDC token: " +
			"set web_identity_token (e.g. from GitLab id_tokens) or web_identity_token_file"}
	}
	if token == "" {
		return "", &failure.Error{Class: failure.ClassUsage, Code: failure.CodeOIDCToken, Message: "the OIDC token is empty"}
	}
	log.Mask(token)
	return token, nil
}

// githubToken requests an OIDC token from GitHub Actions, as the toolkit's
// getIDToken does: GET the request URL with &audience=, bearer the request
// token, answer {"value": "<jwt>"}.
func githubToken(ctx context.Context, api *tcrapi.Client, requestURL, bearer, audience string) (string, error) {
	u, err := url.Parse(requestURL)
	if err != nil {
		return "", &failure.Error{Class: failure.ClassUsage, Code: failure.CodeOIDCToken, Message: "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL"}
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	token, _, err := tcrapi.Do(ctx, api, failure.ActionGitHubToken, func(ctx context.Context) (string, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", "", err
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("Accept", "application/json")
		resp, err := api.HTTP().RoundTrip(req)
		if err != nil {
			return "", "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return "", "", err
		}
		var v struct {
			Value string `json:"value"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) != nil || v.Value == "" {
			return "", "", tokenError(resp.StatusCode)
		}
		return v.Value, "", nil
	})
	return token, err
}

// tokenError is a failed answer of GitHub's token endpoint: a permission
// problem (the workflow's id-token permission, the audience), unless the
// endpoint itself failed.
func tokenError(status int) *failure.Error {
	e := &failure.Error{Class: failure.ClassPermission, Code: failure.CodeOIDCToken, HTTPStatus: status,
		Message: fmt.Sprintf("GitHub's OIDC token endpoint answered HTTP %d without a token", status)}
	if status >= 500 || status == http.StatusTooManyRequests {
		e.Class = failure.ClassTemporary
	}
	return e
}

// maxSTSCredential is the longest key or token taken from STS.
const maxSTSCredential = 4096

// Account names the account whose limit the pipelines sharing rate_store
// share — TCR counts its limits per account — and says where the name
// came from: rate_store_key; else the UIN, from role_arn or from STS
// GetCallerIdentity; else, if STS cannot say, a hash of the SecretId (a
// warning says to set rate_store_key, as pipelines signing with other
// keys of the account would not share the bucket).
func Account(ctx context.Context, cfg *settings.Config, api *tcrapi.Client, cred common.CredentialIface, log *cilog.Logger) (key, from string) {
	store := cfg.RateStore
	if store.Key != "" {
		return store.Key, "rate_store_key"
	}
	if cfg.Role != nil {
		if uin, ok := uinOf(cfg.Role.Arn); ok {
			return "uin-" + uin, "role_arn"
		}
	}
	client := api.STS(cred, store.STSScheme, store.STSHost, cmp.Or(cfg.Region, tcrapi.AnyRegion))
	// A few seconds at most: the promotions wait for the answer, and a
	// hash of the key serves where STS cannot be reached.
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	uin, _, err := tcrapi.Do(ctx, api, "GetCallerIdentity", func(ctx context.Context) (string, string, error) {
		resp, err := client.GetCallerIdentityWithContext(ctx, sts.NewGetCallerIdentityRequest())
		if err != nil {
			return "", "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *sts.GetCallerIdentityResponseParams) *string { return r.RequestId })
		if err != nil {
			return "", "", err
		}
		if uin := tcrapi.Field(resp.Response.AccountId); isUIN(uin) {
			return uin, id, nil
		}
		return "", "", tcrapi.BadAnswer("STS GetCallerIdentity answered no account")
	})
	if err == nil {
		return "uin-" + uin, "STS GetCallerIdentity"
	}
	id, _, _ := cred.GetCredential()
	sum := sha256.Sum256([]byte(id))
	log.Warnf("rate_store: the account could not be learnt (STS GetCallerIdentity: %v): sharing turns under a hash of the SecretId; set rate_store_key to the same name in every pipeline of the account", err)
	return "key-" + hex.EncodeToString(sum[:8]), "a hash of the SecretId"
}

// uinOf is the account in a role ARN, qcs::cam::uin/<uin>:roleName/<name>.
func uinOf(arn string) (string, bool) {
	_, rest, ok := strings.Cut(arn, "::uin/")
	if !ok {
		return "", false
	}
	uin, _, _ := strings.Cut(rest, ":")
	return uin, isUIN(uin)
}

func isUIN(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
