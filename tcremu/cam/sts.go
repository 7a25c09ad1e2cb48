package cam

import (
	"regexp"
	"slices"
	"sync"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
)

// STSAPIVersion is the STS API version the emulator speaks.
const STSAPIVersion = "2018-08-13"

// WebIdentityParams are AssumeRoleWithWebIdentity's.
type WebIdentityParams struct {
	ProviderId       *string `json:"ProviderId"`
	WebIdentityToken *string `json:"WebIdentityToken"`
	RoleArn          *string `json:"RoleArn"`
	RoleSessionName  *string `json:"RoleSessionName"`
	DurationSeconds  *int64  `json:"DurationSeconds"`
}

// AssumeRoleParams are AssumeRole's.
type AssumeRoleParams struct {
	RoleArn         *string `json:"RoleArn"`
	RoleSessionName *string `json:"RoleSessionName"`
	DurationSeconds *int64  `json:"DurationSeconds"`
	Policy          *string `json:"Policy"`
	ExternalId      *string `json:"ExternalId"`
}

var sessionNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9=,.@_-]{2,128}$`) })

// session checks what both AssumeRole actions share: the session's name
// and its lifetime (7200 s unless given, 43200 at most).
func session(name *string, seconds *int64) (int64, *api3.Error) {
	if !sessionNameRE().MatchString(*name) {
		return 0, api3.Errorf("InvalidParameter.ParamError", "RoleSessionName `%s` is not 2-128 of A-Z a-z 0-9 = , . @ _ -.", *name)
	}
	duration := int64(7200)
	if seconds != nil {
		duration = *seconds
	}
	if duration < 1 || duration > 43200 {
		return 0, api3.Errorf("InvalidParameter.ParamError", "DurationSeconds must be at most 43200.")
	}
	return duration, nil
}

// AssumeRoleWithWebIdentity checks the token against the provider and the
// role, and issues temporary credentials that calls must then present
// together with their token (X-TC-Token). It is not signed.
func (d *Directory) AssumeRoleWithWebIdentity(p *WebIdentityParams) (any, *api3.Error) {
	if err := api3.RequireAll(api3.Param("ProviderId", p.ProviderId), api3.Param("WebIdentityToken", p.WebIdentityToken),
		api3.Param("RoleArn", p.RoleArn), api3.Param("RoleSessionName", p.RoleSessionName)); err != nil {
		return nil, err
	}
	duration, aerr := session(p.RoleSessionName, p.DurationSeconds)
	if aerr != nil {
		return nil, aerr
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.webIDs[*p.WebIdentityToken]
	switch {
	case !ok:
		return nil, api3.Errorf("InvalidParameter.WebIdentityTokenError", "The web identity token is invalid or expired.")
	case r.providerID != *p.ProviderId:
		return nil, api3.Errorf("InvalidParameter.WebIdentityTokenError", "The token was not issued by identity provider `%s`.", *p.ProviderId)
	case r.roleArn != *p.RoleArn:
		return nil, api3.Errorf("AuthFailure.UnauthorizedOperation", "The role `%s` does not trust this identity.", *p.RoleArn)
	}
	account, ok := roleAccount(r.roleArn)
	if !ok {
		account = d.account
	}
	return d.issue(account, r.roleArn, duration), nil
}

// AssumeRole issues the role's temporary credentials to a signed caller
// whose account the role trusts: how one account's pipeline reaches
// another account's resources.
func (d *Directory) AssumeRole(c Caller, p *AssumeRoleParams) (any, *api3.Error) {
	if err := api3.RequireAll(api3.Param("RoleArn", p.RoleArn), api3.Param("RoleSessionName", p.RoleSessionName)); err != nil {
		return nil, err
	}
	duration, aerr := session(p.RoleSessionName, p.DurationSeconds)
	if aerr != nil {
		return nil, aerr
	}
	account, ok := roleAccount(*p.RoleArn)
	if !ok {
		return nil, api3.Errorf("InvalidParameter.ParamError", "RoleArn `%s` is not a role's ARN (qcs::cam::uin/<account>:roleName/<name>).", *p.RoleArn)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	trusted, known := d.trusts[*p.RoleArn]
	switch {
	case !known:
		return nil, api3.Errorf("ResourceNotFound.RoleNotExist", "The role `%s` does not exist.", *p.RoleArn)
	case !slices.Contains(trusted, c.Account):
		return nil, api3.Errorf("AuthFailure.UnauthorizedOperation", "The role `%s` does not trust account `%s`.", *p.RoleArn, c.Account)
	}
	return d.issue(account, *p.RoleArn, duration), nil
}
