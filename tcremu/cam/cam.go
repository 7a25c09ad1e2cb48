// Package cam is who calls the emulated cloud: accounts, their API keys,
// what CAM denies a key, and the roles STS lets a caller assume — by web
// identity (an OIDC token) or, signed, from another account that the role
// trusts. It checks a request's TC3 signature and says whose key signed
// it; the services then show each caller only its own account's resources.
package cam

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
)

// DefaultAccount is the account (UIN) keys and instances belong to when
// none is named.
const DefaultAccount = "100000000001"

// Caller is who signed a request.
type Caller struct {
	SecretID string
	Account  string // the UIN whose resources the key reaches
	Role     string // the role's ARN, for temporary credentials; "" for a user's key
}

type key struct {
	secret  string
	token   string // non-empty for temporary credentials
	expiry  time.Time
	account string // "" is the default account
	role    string
}

// Directory holds the accounts' keys and roles; safe for concurrent use.
type Directory struct {
	mu      sync.Mutex
	now     func() time.Time
	account string // the default account
	keys    map[string]key
	denied  map[string]map[string]bool // SecretId -> action -> denied
	webIDs  map[string]webRole         // web identity token -> what it may assume
	trusts  map[string][]string        // role ARN -> accounts that may assume it
}

type webRole struct{ providerID, roleArn string }

// New is an empty directory reading the time from now.
func New(now func() time.Time) *Directory {
	return &Directory{
		now: now, account: DefaultAccount, keys: map[string]key{},
		denied: map[string]map[string]bool{}, webIDs: map[string]webRole{}, trusts: map[string][]string{},
	}
}

// SetDefaultAccount changes the account unnamed keys and instances
// belong to.
func (d *Directory) SetDefaultAccount(uin string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.account = uin
}

// Resolve is the account an unnamed ("") account means.
func (d *Directory) Resolve(account string) string {
	if account != "" {
		return account
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.account
}

// AddKey gives account ("" for the default) an API key.
func (d *Directory) AddKey(account, secretID, secretKey string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys[secretID] = key{secret: secretKey, account: account}
}

// Deny makes every call of action signed by secretID fail, as a CAM
// policy without that action would.
func (d *Directory) Deny(secretID, action string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.denied[secretID] == nil {
		d.denied[secretID] = map[string]bool{}
	}
	d.denied[secretID][action] = true
}

// Allowed answers AuthFailure.UnauthorizedOperation for a denied action.
func (d *Directory) Allowed(c Caller, service, action string) *api3.Error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.denied[c.SecretID][action] {
		return api3.Errorf("AuthFailure.UnauthorizedOperation", "The request is not authorized: the CAM policy does not allow `%s:%s`.", service, action)
	}
	return nil
}

// TrustWebIdentity accepts token, from the OIDC identity provider
// providerID, for assuming roleArn with AssumeRoleWithWebIdentity.
func (d *Directory) TrustWebIdentity(providerID, roleArn, token string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.webIDs[token] = webRole{providerID: providerID, roleArn: roleArn}
}

// TrustAccount lets callers of account assume roleArn with AssumeRole.
func (d *Directory) TrustAccount(roleArn, account string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.trusts[roleArn] = append(d.trusts[roleArn], account)
}

// Authenticate checks the request's TC3 signature for service and says
// whose key signed it.
func (d *Directory) Authenticate(r *http.Request, body []byte, service string) (Caller, *api3.Error) {
	a, err := api3.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return Caller{}, api3.Errorf("AuthFailure.InvalidAuthorization", "The Authorization header is not a valid TC3-HMAC-SHA256 authorization.")
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return Caller{}, api3.Errorf("MissingParameter", "The request is missing a valid `X-TC-Timestamp` header.")
	}
	now := d.now()
	if skew := now.Sub(time.Unix(ts, 0)); skew > api3.SignatureSkew || skew < -api3.SignatureSkew {
		return Caller{}, api3.Errorf("AuthFailure.SignatureExpire", "The signature has expired: the timestamp %d is more than 5 minutes from the server time %d.", ts, now.Unix())
	}
	d.mu.Lock()
	k, ok := d.keys[a.SecretID]
	account := k.account
	if account == "" {
		account = d.account
	}
	d.mu.Unlock()
	if !ok {
		return Caller{}, api3.Errorf("AuthFailure.SecretIdNotFound", "The SecretId is not found; check that it is correct and enabled.")
	}
	signed := ";" + strings.Join(a.SignedHeaders, ";") + ";"
	if a.Service != service || a.Date != time.Unix(ts, 0).UTC().Format("2006-01-02") ||
		!strings.Contains(signed, ";content-type;") || !strings.Contains(signed, ";host;") ||
		!api3.Verify(r, body, a, k.secret, ts) {
		return Caller{}, api3.Errorf("AuthFailure.SignatureFailure", "The provided credentials could not be validated; check the signature.")
	}
	if k.token != "" {
		if r.Header.Get("X-TC-Token") != k.token {
			return Caller{}, api3.Errorf("AuthFailure.TokenFailure", "The token is invalid or missing for these temporary credentials.")
		}
		if now.After(k.expiry) {
			return Caller{}, api3.Errorf("AuthFailure.TokenFailure", "The temporary credentials have expired.")
		}
	}
	return Caller{SecretID: a.SecretID, Account: account, Role: k.role}, nil
}

// Issued is a set of temporary credentials STS handed out.
type Issued struct {
	SecretID, SecretKey, Token string
}

// IssuedCredentials lists the temporary credentials issued so far, so a
// test can check that none of them leaked into a log or an output.
func (d *Directory) IssuedCredentials() []Issued {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Issued
	for id, k := range d.keys {
		if k.token != "" {
			out = append(out, Issued{SecretID: id, SecretKey: k.secret, Token: k.token})
		}
	}
	return out
}

// RandomHex is n random bytes in hex, for keys and tokens.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// roleArnRE is CAM's role ARN: qcs::cam::uin/<account>:roleName/<name>.
var roleArnRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^qcs::cam::uin/([0-9]{5,20}):role(?:Name)?/([A-Za-z0-9+=,.@_-]{1,128})$`)
})

// roleAccount is the account a role ARN belongs to.
func roleAccount(arn string) (string, bool) {
	m := roleArnRE().FindStringSubmatch(arn)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// issue hands out temporary credentials of roleArn for duration seconds.
// Must hold d.mu.
func (d *Directory) issue(account, roleArn string, duration int64) map[string]any {
	id, secret, token := "AKIDtmp"+RandomHex(12), RandomHex(20), RandomHex(32)
	expiry := d.now().Add(time.Duration(duration) * time.Second)
	d.keys[id] = key{secret: secret, token: token, expiry: expiry, account: account, role: roleArn}
	return map[string]any{
		"Credentials": map[string]string{"TmpSecretId": id, "TmpSecretKey": secret, "Token": token},
		"ExpiredTime": expiry.Unix(),
		"Expiration":  expiry.UTC().Format(time.RFC3339),
	}
}

// CallerIdentity is GetCallerIdentity's answer: whose the key is.
func (d *Directory) CallerIdentity(c Caller) map[string]string {
	kind, arn := "CAMUser", fmt.Sprintf("qcs::cam::uin/%s:uin/%s", c.Account, c.Account)
	if c.Role != "" {
		name := c.Role[strings.LastIndex(c.Role, "/")+1:]
		kind, arn = "CAMRole", fmt.Sprintf("qcs::sts:%s:assumed-role/%s", c.Account, name)
	}
	return map[string]string{"Arn": arn, "AccountId": c.Account, "UserId": c.Account, "PrincipalId": c.Account, "Type": kind}
}
