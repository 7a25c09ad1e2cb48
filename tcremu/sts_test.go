package tcremu_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// TestWebIdentity: STS takes no signature, checks token, provider and role,
// and the temporary credentials it issues work only with their token and
// until they expire.
func TestWebIdentity(t *testing.T) {
	t.Parallel()
	const role, provider, token = "qcs::cam::uin/1:roleName/ci", "gh", "oidc-token"
	var offset atomic.Int64
	emu, srv := fixture(t, tcremu.WithWebIdentity(provider, role, token),
		tcremu.WithClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }))

	assume := func(params map[string]any) (map[string]any, string) {
		prof := profile.NewClientProfile()
		prof.HttpProfile.Scheme, prof.HttpProfile.Endpoint = "HTTP", strings.TrimPrefix(srv.URL, "http://")
		c := common.NewCommonClient(nil, region, prof)
		req := tchttp.NewCommonRequest("sts", tcremu.STSAPIVersion, "AssumeRoleWithWebIdentity")
		req.SetSkipSign(true)
		_ = req.SetActionParameters(params)
		resp := tchttp.NewCommonResponse()
		if err := c.Send(req, resp); err != nil {
			return nil, errCode(err)
		}
		var out struct{ Response map[string]any }
		_ = json.Unmarshal(resp.GetBody(), &out)
		return out.Response, ""
	}
	base := map[string]any{"ProviderId": provider, "WebIdentityToken": token, "RoleArn": role, "RoleSessionName": "ci-1", "DurationSeconds": 60}
	for _, tt := range []struct {
		change map[string]any
		want   string
	}{
		{map[string]any{"WebIdentityToken": "forged"}, "InvalidParameter.WebIdentityTokenError"},
		{map[string]any{"ProviderId": "gitlab"}, "InvalidParameter.WebIdentityTokenError"},
		{map[string]any{"RoleArn": "qcs::cam::uin/1:roleName/admin"}, "AuthFailure.UnauthorizedOperation"},
		{map[string]any{"RoleSessionName": "a b"}, "InvalidParameter.ParamError"},
		{map[string]any{"DurationSeconds": 86400}, "InvalidParameter.ParamError"},
	} {
		p := map[string]any{}
		for k, v := range base {
			p[k] = v
		}
		for k, v := range tt.change {
			p[k] = v
		}
		if _, code := assume(p); code != tt.want {
			t.Errorf("AssumeRoleWithWebIdentity(%v) = %q, want %q", tt.change, code, tt.want)
		}
	}

	resp, code := assume(base)
	if code != "" {
		t.Fatal(code)
	}
	creds := resp["Credentials"].(map[string]any)
	id, key, tok := creds["TmpSecretId"].(string), creds["TmpSecretKey"].(string), creds["Token"].(string)
	dup := func(n int) map[string]any {
		return map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg", "DestinationTag": "t" + string(rune('a'+n))}
	}
	tokenClient := func(token string) *common.Client {
		c := sdkClient(srv, id, key, nil)
		c.WithCredential(common.NewTokenCredential(id, key, token))
		return c
	}
	if _, code := send(tokenClient(""), "DuplicateImage", dup(0)); code != "AuthFailure.TokenFailure" {
		t.Errorf("without the token: %q, want AuthFailure.TokenFailure", code)
	}
	if _, code := send(tokenClient("wrong"), "DuplicateImage", dup(1)); code != "AuthFailure.TokenFailure" {
		t.Errorf("with a wrong token: %q, want AuthFailure.TokenFailure", code)
	}
	if _, code := send(tokenClient(tok), "DuplicateImage", dup(2)); code != "" {
		t.Errorf("with the token: %q, want success", code)
	}
	offset.Store(int64(2 * time.Minute)) // past DurationSeconds 60, inside the signature window
	if _, code := send(tokenClient(tok), "DuplicateImage", dup(3)); code != "AuthFailure.TokenFailure" {
		t.Errorf("after expiry: %q, want AuthFailure.TokenFailure", code)
	}
	if got := emu.IssuedCredentials(); len(got) != 1 || got[0].SecretID != id {
		t.Errorf("IssuedCredentials = %v", got)
	}
}

func errCode(err error) string {
	if e, ok := errors.AsType[*sdkerrors.TencentCloudSDKError](err); ok {
		return e.Code
	}
	return "transport: " + err.Error()
}
