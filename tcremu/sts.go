package tcremu

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
)

// STSAPIVersion is the STS API version the emulator speaks.
const STSAPIVersion = "2018-08-13"

type role struct {
	providerID, roleArn string
}

// WithWebIdentity accepts token, from the OIDC identity provider
// providerID, for assuming roleArn with AssumeRoleWithWebIdentity.
func WithWebIdentity(providerID, roleArn, token string) Option {
	return func(e *Emulator) { e.roles[token] = role{providerID: providerID, roleArn: roleArn} }
}

var stsAction = action{
	service: "sts", version: STSAPIVersion, regional: true, unsigned: true,
	params: reflect.TypeFor[assumeRoleParams](),
	run: func(e *Emulator, c call, p any) (any, *api3.Error) {
		return e.assumeRoleWithWebIdentity(p.(*assumeRoleParams))
	},
}

// identityAction is GetCallerIdentity: signed, it says whose the key is.
var identityAction = action{
	service: "sts", version: STSAPIVersion, regional: true,
	params: reflect.TypeFor[struct{}](),
	run: func(e *Emulator, c call, _ any) (any, *api3.Error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		// Every key is the account owner's here; a role's keys are the role's.
		kind, arn := "CAMUser", fmt.Sprintf("qcs::cam::uin/%s:uin/%s", e.account, e.account)
		if e.keys[c.secretID].token != "" {
			kind, arn = "CAMRole", fmt.Sprintf("qcs::sts:%s:assumed-role/tcr-promote", e.account)
		}
		return map[string]string{
			"Arn": arn, "AccountId": e.account, "UserId": e.account, "PrincipalId": e.account, "Type": kind,
		}, nil
	},
}

type assumeRoleParams struct {
	ProviderId       *string `json:"ProviderId"`
	WebIdentityToken *string `json:"WebIdentityToken"`
	RoleArn          *string `json:"RoleArn"`
	RoleSessionName  *string `json:"RoleSessionName"`
	DurationSeconds  *int64  `json:"DurationSeconds"`
}

var sessionNameRE = lazyRegexp(`^[A-Za-z0-9=,.@_-]{2,128}$`)

// assumeRoleWithWebIdentity checks the token against the provider and the
// role, and issues temporary credentials that TCR calls must then present
// together with their token (X-TC-Token).
func (e *Emulator) assumeRoleWithWebIdentity(p *assumeRoleParams) (any, *api3.Error) {
	if err := requireAll(field{"ProviderId", p.ProviderId}, field{"WebIdentityToken", p.WebIdentityToken}, field{"RoleArn", p.RoleArn}, field{"RoleSessionName", p.RoleSessionName}); err != nil {
		return nil, err
	}
	if !sessionNameRE().MatchString(*p.RoleSessionName) {
		return nil, api3.Errorf("InvalidParameter.ParamError", "RoleSessionName `%s` is not 2-128 of A-Z a-z 0-9 = , . @ _ -.", *p.RoleSessionName)
	}
	duration := int64(7200)
	if p.DurationSeconds != nil {
		duration = *p.DurationSeconds
	}
	if duration < 1 || duration > 43200 {
		return nil, api3.Errorf("InvalidParameter.ParamError", "DurationSeconds must be at most 43200.")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.roles[*p.WebIdentityToken]
	switch {
	case !ok:
		return nil, api3.Errorf("InvalidParameter.WebIdentityTokenError", "The web identity token is invalid or expired.")
	case r.providerID != *p.ProviderId:
		return nil, api3.Errorf("InvalidParameter.WebIdentityTokenError", "The token was not issued by identity provider `%s`.", *p.ProviderId)
	case r.roleArn != *p.RoleArn:
		return nil, api3.Errorf("AuthFailure.UnauthorizedOperation", "The role `%s` does not trust this identity.", *p.RoleArn)
	}
	id, secret, token := "AKIDtmp"+randomHex(12), randomHex(20), randomHex(32)
	expiry := e.now().Add(time.Duration(duration) * time.Second)
	e.keys[id] = key{secret: secret, token: token, expiry: expiry}
	return map[string]any{
		"Credentials": map[string]string{"TmpSecretId": id, "TmpSecretKey": secret, "Token": token},
		"ExpiredTime": expiry.Unix(),
		"Expiration":  expiry.UTC().Format(time.RFC3339),
	}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Issued is a set of temporary credentials the emulator's STS handed out.
type Issued struct {
	SecretID, SecretKey, Token string
}

// IssuedCredentials lists the temporary credentials issued so far, so a
// test can check that none of them leaked into a log or an output.
func (e *Emulator) IssuedCredentials() []Issued {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Issued
	for id, k := range e.keys {
		if k.token != "" {
			out = append(out, Issued{SecretID: id, SecretKey: k.secret, Token: k.token})
		}
	}
	return out
}
