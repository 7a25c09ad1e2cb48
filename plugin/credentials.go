package plugin

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/tcr-promote/tcr-promote/internal/sts"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Codes of the keyless flow's own failures.
const (
	CodeOIDCToken = "ClientError.OIDCTokenError"
	CodeNoCreds   = "ClientError.CredentialError"
)

// credentials resolves what signs the TCR requests, in this order:
//  1. role_arn: an OIDC token (web_identity_token, web_identity_token_file,
//     or GitHub's token endpoint) exchanged with STS for temporary
//     credentials;
//  2. secret_id/secret_key (and session_token), from the settings or
//     TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY;
//  3. the SDK's default chain: the profile file, TKE OIDC, the CVM role.
//
// Every secret it obtains is masked on GitHub before anything else prints.
func (r *Runner) credentials(ctx context.Context, cfg *Config, a *api, log *logger) (common.CredentialIface, error) {
	switch {
	case cfg.Role != nil:
		return r.assumeRole(ctx, cfg, a, log)
	case cfg.SecretID != "":
		return common.NewTokenCredential(cfg.SecretID, cfg.SecretKey, cfg.SessionToken), nil
	}
	chain := r.DefaultCredentials
	if chain == nil {
		chain = sdkDefaultChain
	}
	cred, err := chain(ctx)
	if err != nil || cred == nil {
		return nil, &Error{Class: ClassUsage, Code: CodeNoCreds, Err: err, Message: "no credentials: set secret_id and secret_key " +
			"(or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY), or role_arn and provider_id for keyless OIDC; " +
			"nothing was found in the profile file, TKE OIDC or a CVM role either"}
	}
	_, key, token := cred.GetCredential()
	log.mask(key)
	log.mask(token)
	return cred, nil
}

// sdkDefaultChain is the common SDK's chain: profile file, TKE OIDC (when
// its TKE_* variables are set), CVM role. The CVM role lookup has no
// timeout of its own, so it runs under the step's deadline here.
func sdkDefaultChain(ctx context.Context) (common.CredentialIface, error) {
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
func (r *Runner) assumeRole(ctx context.Context, cfg *Config, a *api, log *logger) (common.CredentialIface, error) {
	role := cfg.Role
	token, err := oidcToken(ctx, role, cfg.CI, a, log)
	if err != nil {
		return nil, err
	}
	client, _ := sts.NewClient(nil, cmp.Or(cfg.Region, lookupRegion), clientProfile(cfg, role.STSScheme, role.STSHost))
	client.WithHttpTransport(a.transport)
	creds, _, err := do(ctx, a, actionAssumeRole, func(ctx context.Context) (*sts.Credentials, string, error) {
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
		id, err := answered(resp.Response, func(r *sts.AssumeRoleWithWebIdentityResponseParams) *string { return r.RequestId })
		if err != nil {
			return nil, "", err
		}
		c := resp.Response.Credentials
		if c == nil || !isCredential(deref(c.TmpSecretId)) || !isCredential(deref(c.TmpSecretKey)) || c.Token != nil && !isCredential(*c.Token) {
			// They would sign every call and go into its headers.
			return nil, "", badAnswer("STS answered without usable temporary credentials")
		}
		return c, id, nil
	})
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok && e.Class == ClassPermission {
			e.Message = fmt.Sprintf("STS refused to assume %s with the OIDC token: %s", role.Arn, e.Message)
		}
		return nil, err
	}
	log.mask(deref(creds.TmpSecretKey))
	log.mask(deref(creds.Token))
	log.debugf("assumed %s as %s for %s", role.Arn, role.SessionName, role.Duration)
	return common.NewTokenCredential(deref(creds.TmpSecretId), deref(creds.TmpSecretKey), deref(creds.Token)), nil
}

// oidcToken returns the OIDC token: given, read from a file, or requested
// from GitHub's token endpoint for the audience.
func oidcToken(ctx context.Context, role *RoleConfig, ci CIEnv, a *api, log *logger) (string, error) {
	var token string
	switch {
	case role.Token != "":
		token = role.Token
	case role.TokenFile != "":
		b, err := os.ReadFile(role.TokenFile)
		if err != nil {
			return "", &Error{Class: ClassUsage, Code: CodeOIDCToken, Message: fmt.Sprintf("web_identity_token_file: %v", err), Err: err}
		}
		token = strings.TrimSpace(string(b))
	case ci.TokenURL != "" && ci.TokenBearer != "":
		var err error
		if token, err = githubToken(ctx, a, ci.TokenURL, ci.TokenBearer, role.Audience); err != nil {
			return "", err
		}
	case ci.GitHub:
		return "", &Error{Class: ClassUsage, Code: CodeOIDCToken, Message: "role_arn is set but GitHub gave no OIDC token: " +
			"the workflow or job needs `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL is missing)"}
	default:
		return "", &Error{Class: ClassUsage, Code: CodeOIDCToken, Message: "role_arn is set but there is no OIDC token: " +
			"set web_identity_token (e.g. from GitLab id_tokens) or web_identity_token_file"}
	}
	if token == "" {
		return "", &Error{Class: ClassUsage, Code: CodeOIDCToken, Message: "the OIDC token is empty"}
	}
	log.mask(token)
	return token, nil
}

// githubToken requests an OIDC token from GitHub Actions, as the toolkit's
// getIDToken does: GET the request URL with &audience=, bearer the request
// token, answer {"value": "<jwt>"}.
func githubToken(ctx context.Context, a *api, requestURL, bearer, audience string) (string, error) {
	u, err := url.Parse(requestURL)
	if err != nil {
		return "", &Error{Class: ClassUsage, Code: CodeOIDCToken, Message: "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL"}
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	token, _, err := do(ctx, a, "GitHubOIDCToken", func(ctx context.Context) (string, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", "", err
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("Accept", "application/json")
		resp, err := a.transport.RoundTrip(req)
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
			return "", "", &tokenError{status: resp.StatusCode}
		}
		return v.Value, "", nil
	})
	return token, err
}

// tokenError is a failed answer of GitHub's token endpoint.
type tokenError struct{ status int }

func (e *tokenError) Error() string {
	return fmt.Sprintf("GitHub's OIDC token endpoint answered HTTP %d without a token", e.status)
}
