package settings

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/spelling"
)

// access reads what signs the requests: keys (from the settings or
// TENCENTCLOUD_*), or a role to assume with an OIDC token. Neither is not
// an error: the SDK's default chain is tried at run time.
func (p *parser) access(s *Settings, c *Config) {
	c.SecretID, c.SecretKey, c.SessionToken = s.SecretID, s.SecretKey, s.SessionToken
	if c.SessionToken == "" {
		// The name Tencent's Terraform provider and other tools read.
		if c.SessionToken = p.l.Plain("TENCENTCLOUD_SECURITY_TOKEN"); c.SessionToken != "" {
			c.secrets = append(c.secrets, c.SessionToken)
		}
	}
	if s.RoleArn == "" {
		p.keys(c)
		return
	}
	c.Role = &RoleConfig{
		Arn:         p.match("ROLE_ARN", s.RoleArn, isRoleArn, "a role ARN: qcs::cam::uin/<uin>:roleName/<name>"),
		ProviderID:  p.required("PROVIDER_ID", s.ProviderID),
		SessionName: p.match("ROLE_SESSION_NAME", cmp.Or(s.RoleSessionName, sessionName(p.l)), isSessionName, "2-128 of A-Z a-z 0-9 = , . @ -"),
		Duration:    p.duration("ROLE_DURATION", s.RoleDuration),
		Audience:    s.Audience,
		Token:       s.WebIdentityToken,
		TokenFile:   s.WebIdentityTokenFile,
	}
	c.Role.STSScheme, c.Role.STSHost = p.endpoint("STS_ENDPOINT", s.STSEndpoint)
	if d := c.Role.Duration; d > 12*time.Hour || d%time.Second != 0 {
		p.fail("%s: %q must be whole seconds, at most 12h", p.l.Key("ROLE_DURATION"), s.RoleDuration.Raw)
	}
	if c.Role.Token != "" && c.Role.TokenFile != "" {
		p.fail("set web_identity_token or web_identity_token_file, not both")
	}
	if c.Role.STSScheme == "http" && !isLoopback(c.Role.STSHost) {
		c.warnings = append(c.warnings, fmt.Sprintf("%s sends the OIDC token over plain http to %s; use https outside a local emulator", p.l.Key("STS_ENDPOINT"), c.Role.STSHost))
	}
	if c.SecretID != "" || c.SecretKey != "" {
		c.warnings = append(c.warnings, "role_arn is set: the secret_id/secret_key also given are not used")
		c.SecretID, c.SecretKey, c.SessionToken = "", "", ""
	}
}

// keys checks a key pair given without a role.
func (p *parser) keys(c *Config) {
	// Not an error, a warning. WEB_IDENTITY_TOKEN is not warned about:
	// GitLab's component mints one for every job, keyless or not.
	for _, key := range []string{"PROVIDER_ID", "WEB_IDENTITY_TOKEN_FILE"} {
		if p.l.IsSet(key) {
			c.warnings = append(c.warnings, fmt.Sprintf("%s is set but role_arn is not, so it is not used: keyless promotion needs role_arn", p.l.Key(key)))
		}
	}
	switch {
	case c.SecretID != "" && c.SecretKey == "":
		p.fail("secret_key is required with secret_id (PLUGIN_SECRET_KEY, INPUT_SECRET_KEY or TENCENTCLOUD_SECRET_KEY)")
	case c.SecretID == "" && c.SecretKey != "":
		p.fail("secret_id is required with secret_key (PLUGIN_SECRET_ID, INPUT_SECRET_ID or TENCENTCLOUD_SECRET_ID)")
	}
}

// sessionName derives a role session name from the CI run, within STS's
// characters (A-Z a-z 0-9 = , . @ -) and 128 characters, e.g.
// tcr-promote@acme-app-12345.
func sessionName(l *spelling.Lookuper) string {
	var parts []string
	for _, pair := range [][2]string{
		{"GITHUB_REPOSITORY", "GITHUB_RUN_ID"}, {"CNB_REPO_SLUG", "CNB_BUILD_ID"}, {"CI_PROJECT_PATH", "CI_PIPELINE_ID"},
		{"CI_REPO", "CI_PIPELINE_NUMBER"}, {"DRONE_REPO", "DRONE_BUILD_NUMBER"},
	} {
		if repo, run := l.Plain(pair[0]), l.Plain(pair[1]); repo != "" || run != "" {
			parts = []string{repo, run}
			break
		}
	}
	if parts == nil {
		parts = []string{strconv.FormatInt(time.Now().Unix(), 10)}
	}
	name := "tcr-promote@" + strings.Join(parts, "-")
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(sessionChars, r) {
			return r
		}
		return '-'
	}, name)
	return name[:min(len(name), 128)]
}

const sessionChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789=,.@-"

// isSessionName: 2-128 of A-Z a-z 0-9 = , . @ -.
func isSessionName(s string) bool {
	return len(s) >= 2 && len(s) <= 128 && strings.Trim(s, sessionChars) == ""
}

// isRoleArn: qcs::cam::uin/<digits>:role/<name> or …:roleName/<name>.
func isRoleArn(s string) bool {
	rest, ok := strings.CutPrefix(s, "qcs::cam::uin/")
	if !ok {
		return false
	}
	uin, role, ok := strings.Cut(rest, ":")
	if !ok || uin == "" || strings.Trim(uin, "0123456789") != "" {
		return false
	}
	name, ok := strings.CutPrefix(role, "roleName/")
	if !ok {
		name, ok = strings.CutPrefix(role, "role/")
	}
	const nameChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@/-"
	return ok && name != "" && strings.Trim(name, nameChars) == ""
}
