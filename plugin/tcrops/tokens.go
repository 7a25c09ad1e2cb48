package tcrops

import (
	"context"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// InstanceToken is a temporary credential to the instance's registry:
// Basic credentials for its token service (or for the registry itself).
type InstanceToken struct {
	Username, Token string
	Expires         time.Time // zero when the answer did not say
}

// maxCredential is the longest username or token taken from an answer: a
// JWT-sized token is a few kilobytes; anything larger is not a credential.
const maxCredential = 16 << 10

// CreateInstanceToken asks TCR for a temporary token to the instance's
// registry (TokenType temp). A request that was lost may simply be sent
// again: each answer is a new token, and an unused one expires.
func (in Instance) CreateInstanceToken(ctx context.Context) (InstanceToken, error) {
	tok, _, err := tcrapi.Do(tcrapi.About(ctx, in.ID), in.API, "CreateInstanceToken", func(ctx context.Context) (InstanceToken, string, error) {
		req := tcr.NewCreateInstanceTokenRequest()
		req.RegistryId = common.StringPtr(in.ID)
		req.TokenType = common.StringPtr("temp")
		req.Desc = common.StringPtr("tcr-promote")
		resp, err := in.Client.CreateInstanceTokenWithContext(ctx, req)
		if err != nil {
			return InstanceToken{}, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.CreateInstanceTokenResponseParams) *string { return r.RequestId })
		if err != nil {
			return InstanceToken{}, id, err
		}
		p := resp.Response
		t := InstanceToken{Username: tcrapi.Field(p.Username), Token: tcrapi.Field(p.Token)}
		switch {
		case t.Username == "" || t.Token == "":
			return InstanceToken{}, id, tcrapi.BadAnswer("CreateInstanceToken answered no Username or Token")
		case !tcrapi.IsCredential(t.Username, maxCredential) || !tcrapi.IsCredential(t.Token, maxCredential) || strings.Contains(t.Username, ":"):
			return InstanceToken{}, id, tcrapi.BadAnswer("CreateInstanceToken answered a Username or Token that is not a credential (too long, or not printable ASCII)")
		}
		if ms := tcrapi.Field(p.ExpTime); ms > 0 {
			t.Expires = time.UnixMilli(ms)
		}
		return t, id, nil
	}, tcrapi.Again)
	return tok, err
}
