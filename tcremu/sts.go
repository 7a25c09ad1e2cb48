package tcremu

import (
	"reflect"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/cam"
)

// STSAPIVersion is the STS API version the emulator speaks.
const STSAPIVersion = cam.STSAPIVersion

// STS's actions, answered by the emulator's accounts (tcremu/cam).

// WithWebIdentity accepts token, from the OIDC identity provider
// providerID, for assuming roleArn with AssumeRoleWithWebIdentity.
func WithWebIdentity(providerID, roleArn, token string) Option {
	return func(e *Emulator) { e.cam.TrustWebIdentity(providerID, roleArn, token) }
}

// AddAccountKey gives account (a UIN) an API key of its own.
func (e *Emulator) AddAccountKey(account, secretID, secretKey string) {
	e.cam.AddKey(account, secretID, secretKey)
}

// TrustAccount lets keys of account assume roleArn (in the account the
// ARN names) with STS AssumeRole.
func (e *Emulator) TrustAccount(roleArn, account string) { e.cam.TrustAccount(roleArn, account) }

func stsCall[P any](unsigned bool, run func(e *Emulator, c call, p *P) (any, *api3.Error)) action {
	return action{
		service: "sts", version: STSAPIVersion, regional: true, unsigned: unsigned,
		params: reflect.TypeFor[P](),
		run:    func(e *Emulator, c call, p any) (any, *api3.Error) { return run(e, c, p.(*P)) },
	}
}

var (
	stsAction = stsCall(true, func(e *Emulator, _ call, p *cam.WebIdentityParams) (any, *api3.Error) {
		return e.cam.AssumeRoleWithWebIdentity(p)
	})
	assumeRoleAction = stsCall(false, func(e *Emulator, c call, p *cam.AssumeRoleParams) (any, *api3.Error) {
		return e.cam.AssumeRole(c.caller, p)
	})
	// identityAction is GetCallerIdentity: signed, it says whose the key is.
	identityAction = stsCall(false, func(e *Emulator, c call, _ *struct{}) (any, *api3.Error) {
		return e.cam.CallerIdentity(c.caller), nil
	})
)

// Issued is a set of temporary credentials the emulator's STS handed out.
type Issued = cam.Issued

// IssuedCredentials lists the temporary credentials issued so far, so a
// test can check that none of them leaked into a log or an output.
func (e *Emulator) IssuedCredentials() []Issued { return e.cam.IssuedCredentials() }
