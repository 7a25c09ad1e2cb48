package plugin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Settings are the step's settings as the CI passed them. Each field is read
// from PLUGIN_<NAME> (Drone, Woodpecker), INPUT_<NAME> (GitHub) or
// INPUT_<NAME-WITH-HYPHENS>, in that order; an empty value counts as unset.
// The struct is the single source of the settings' names, defaults and
// descriptions: --help, the README table and the action.yml parity test
// are all derived from it.
type Settings struct {
	RegistryID           string `env:"REGISTRY_ID" required:"true" desc:"TCR Enterprise instance ID, e.g. tcr-e8pg46c6"`
	Region               string `env:"REGION, default=$TENCENTCLOUD_REGION" required:"true" desc:"region of the instance, e.g. ap-guangzhou"`
	SourceNamespace      string `env:"SOURCE_NAMESPACE" required:"true" desc:"namespace of the source image"`
	SourceRepo           string `env:"SOURCE_REPO" required:"true" desc:"repository of the source image; a list (comma- or newline-separated, or a JSON array) promotes each"`
	SourceReference      string `env:"SOURCE_REFERENCE" required:"true" desc:"source tag (e.g. stg), or a digest (sha256:…) that a tag of the source repository points at"`
	DestinationTag       string `env:"DESTINATION_TAG" required:"true" desc:"tag to create, e.g. prd; a list (e.g. prd,v1.4.2,latest) creates each"`
	DestinationNamespace string `env:"DESTINATION_NAMESPACE" desc:"namespace of the destination (default: source_namespace)"`
	DestinationRepo      string `env:"DESTINATION_REPO" desc:"repository of the destination (default: source_repo; only with one source_repo)"`
	Override             string `env:"OVERRIDE, default=false" desc:"replace an existing destination tag (true/false)"`
	ExpectedDigest       string `env:"EXPECTED_DIGEST" desc:"promote only if the source still points at this digest (sha256:…)"`
	Verify               string `env:"VERIFY, default=true" desc:"resolve the source's digest first and read the destination back after (true/false)"`
	DryRun               string `env:"DRY_RUN, default=false" desc:"check every precondition and report what would happen; change nothing"`
	RegistryDomain       string `env:"REGISTRY_DOMAIN" desc:"registry host for the image output, e.g. acme.tencentcloudcr.com (default: the instance's PublicDomain)"`
	SecretID             string `env:"SECRET_ID, default=$TENCENTCLOUD_SECRET_ID" desc:"SecretId of the API key"`
	SecretKey            string `env:"SECRET_KEY, default=$TENCENTCLOUD_SECRET_KEY" secret:"true" desc:"SecretKey of the API key"`
	SessionToken         string `env:"SESSION_TOKEN, default=$TENCENTCLOUD_SESSION_TOKEN" secret:"true" desc:"token of temporary credentials (also read from $TENCENTCLOUD_SECURITY_TOKEN)"`
	RoleArn              string `env:"ROLE_ARN" desc:"CAM role to assume with the CI's OIDC token (keyless), e.g. qcs::cam::uin/100000000001:roleName/tcr-promote"`
	ProviderID           string `env:"PROVIDER_ID" desc:"the CAM OIDC identity provider, with role_arn"`
	RoleSessionName      string `env:"ROLE_SESSION_NAME" desc:"session name of the assumed role (default: from the CI run, e.g. repository and run id)"`
	RoleDuration         string `env:"ROLE_DURATION, default=1h" desc:"lifetime of the temporary credentials (at most 12h)"`
	Audience             string `env:"AUDIENCE, default=sts.tencentcloudapi.com" desc:"audience of the GitHub OIDC token; must match the identity provider's client ID"`
	WebIdentityToken     string `env:"WEB_IDENTITY_TOKEN" secret:"true" desc:"an OIDC token given directly, e.g. GitLab id_tokens"`
	WebIdentityTokenFile string `env:"WEB_IDENTITY_TOKEN_FILE" desc:"a file holding the OIDC token"`
	STSEndpoint          string `env:"STS_ENDPOINT, default=sts.tencentcloudapi.com" desc:"STS host or URL, like endpoint"`
	Endpoint             string `env:"ENDPOINT, default=tcr.tencentcloudapi.com" desc:"API host, or a URL (https://…, or http://… for a local emulator)"`
	OutputFile           string `env:"OUTPUT_FILE" desc:"also write the outputs to this dotenv file (GitLab artifacts:reports:dotenv, Woodpecker)"`
	Timeout              string `env:"TIMEOUT, default=2m" desc:"deadline for the whole step, retries included"`
	AttemptTimeout       string `env:"ATTEMPT_TIMEOUT, default=30s" desc:"deadline for one API request"`
	IndexLag             string `env:"INDEX_LAG, default=10s" desc:"how long the read-back after a copy waits for TCR's index, which may lag a few seconds behind a write, to show it (0 waits not at all)"`
	Retries              string `env:"RETRIES, default=5" desc:"retries of a transient failure after the first attempt; requests refused for rate are sent again within timeout and do not count"`
	RateLimit            string `env:"RATE_LIMIT, default=20" desc:"DuplicateImage requests per second at most (TCR allows 20 for the whole account); below it the step adapts to the share other pipelines leave"`
	Debug                string `env:"DEBUG, default=false" desc:"more detail in the log, never secrets (also on with RUNNER_DEBUG=1)"`
}

// Setting describes one setting, for --help and parity tests.
type Setting struct {
	Name     string // snake_case, as in action.yml and .drone.yml
	Env      string // upper snake case, without prefix
	Default  string
	Required bool
	Secret   bool
	Desc     string
}

// Names returns the environment variables the setting is read from, in
// order of precedence.
func (s Setting) Names() []string {
	return settingNames(s.Env)
}

// AllSettings lists the settings in declaration order.
func AllSettings() []Setting {
	t := reflect.TypeFor[Settings]()
	out := make([]Setting, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		env, opts, _ := strings.Cut(f.Tag.Get("env"), ",")
		_, def, _ := strings.Cut(strings.TrimSpace(opts), "default=")
		out = append(out, Setting{
			Name:     strings.ToLower(env),
			Env:      env,
			Default:  def,
			Required: f.Tag.Get("required") == "true",
			Secret:   f.Tag.Get("secret") == "true",
			Desc:     f.Tag.Get("desc"),
		})
	}
	return out
}

// secretValues returns the values of the settings tagged secret.
func secretValues(s *Settings) []string {
	var out []string
	v := reflect.ValueOf(s).Elem()
	for i, f := range AllSettings() {
		if f.Secret && v.Field(i).String() != "" {
			out = append(out, v.Field(i).String())
		}
	}
	return out
}

func settingNames(key string) []string {
	return []string{"PLUGIN_" + key, "INPUT_" + key, "INPUT_" + strings.ReplaceAll(key, "_", "-")}
}

// Lookuper reads one variable of the environment. go-envconfig's
// MapLookuper and OsLookuper have this shape.
type Lookuper interface {
	Lookup(key string) (string, bool)
}

// OSEnv reads the process environment.
func OSEnv() Lookuper { return osEnv{} }

type osEnv struct{}

func (osEnv) Lookup(key string) (string, bool) { return os.LookupEnv(key) }

// settingLookuper reads a setting from its PLUGIN_ and INPUT_ forms and
// remembers which variable each value came from, so errors can name the
// setting as the user wrote it.
type settingLookuper struct {
	env  Lookuper
	from map[string]string
}

func (l *settingLookuper) Lookup(key string) (string, bool) {
	for _, name := range settingNames(key) {
		if v, ok := l.env.Lookup(name); ok && v != "" {
			l.from[key] = name
			return v, true
		}
	}
	return "", false
}

// Key is the variable a value came from, for messages.
func (l *settingLookuper) Key(key string) string {
	if name, ok := l.from[key]; ok {
		return name
	}
	return strings.ToLower(key)
}

// read fills s from the settings' variables: each field's env tag names
// it, and default= gives its value when unset — a $VAR default reads a
// plain variable such as TENCENTCLOUD_REGION. (This is go-envconfig's
// contract for string fields, without its reflection-heavy start-up.)
func (l *settingLookuper) read(s *Settings) {
	v := reflect.ValueOf(s).Elem()
	for i, setting := range AllSettings() {
		value, ok := l.Lookup(setting.Env)
		if !ok {
			value = setting.Default
			if name, isVar := strings.CutPrefix(value, "$"); isVar {
				value, _ = l.env.Lookup(name)
			}
		}
		v.Field(i).SetString(value)
	}
}

// RoleConfig is how to assume a CAM role with an OIDC token.
type RoleConfig struct {
	Arn, ProviderID, SessionName string
	Duration                     time.Duration
	Audience                     string
	Token                        string // given directly
	TokenFile                    string
	STSScheme, STSHost           string
}

// Pair is one promotion: a source and the tag it is copied to.
type Pair struct {
	Source, Destination Ref
}

// Ref names an image tag in a TCR instance.
type Ref struct {
	Namespace, Repo, Tag string
}

func (r Ref) String() string {
	if isDigest(r.Tag) {
		return r.Namespace + "/" + r.Repo + "@" + r.Tag
	}
	return r.Namespace + "/" + r.Repo + ":" + r.Tag
}

// SourceIsDigest reports whether source_reference is a digest.
func (c *Config) SourceIsDigest() bool { return len(c.Pairs) > 0 && isDigest(c.Pairs[0].Source.Tag) }

const (
	namespaceWhat = "a namespace: 2-30 of a-z 0-9 . _ -"
	repoWhat      = "a repository name: a-z 0-9 . _ - /"
	tagWhat       = "a tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
)

// Config is the validated configuration of one run.
type Config struct {
	RegistryID     string
	Region         string
	Pairs          []Pair // every (source repo × destination tag), in promotion order
	Override       bool
	ExpectedDigest string
	Verify         bool
	DryRun         bool
	RegistryDomain string
	SecretID       string
	SecretKey      string
	SessionToken   string
	Scheme         string      // "https" or "http"
	Host           string      // host or host:port
	Role           *RoleConfig // keyless: assume a role with an OIDC token
	OutputFile     string
	Timeout        time.Duration
	AttemptTimeout time.Duration
	IndexLag       time.Duration
	Retries        int
	RateLimit      int
	Debug          bool

	warnings []string
	secrets  []string // every secret setting's value, to mask
}

// LoadConfig reads and validates the settings. Any problem is a usage error
// (exit 64) naming every offending setting; nothing has been sent. The
// Config is never nil: on error it holds what could be read, so secrets can
// still be masked and outputs written.
func LoadConfig(env Lookuper) (*Config, error) {
	l := &settingLookuper{env: env, from: map[string]string{}}
	var s Settings
	l.read(&s)
	p := parser{l: l}
	c := &Config{
		secrets:        secretValues(&s),
		RegistryID:     p.required("REGISTRY_ID", s.RegistryID),
		Region:         p.required("REGION", s.Region),
		Override:       p.bool("OVERRIDE", s.Override),
		ExpectedDigest: p.match("EXPECTED_DIGEST", s.ExpectedDigest, isDigest, "a digest: sha256: and 64 lower-case hex digits"),
		Verify:         p.bool("VERIFY", s.Verify),
		DryRun:         p.bool("DRY_RUN", s.DryRun),
		RegistryDomain: p.match("REGISTRY_DOMAIN", s.RegistryDomain, isHost, "a host name such as acme.tencentcloudcr.com"),
		SecretID:       s.SecretID,
		SecretKey:      s.SecretKey,
		SessionToken:   s.SessionToken,
		OutputFile:     s.OutputFile,
		Timeout:        p.duration("TIMEOUT", s.Timeout),
		Debug:          p.bool("DEBUG", s.Debug),
	}
	srcNS := p.match("SOURCE_NAMESPACE", p.required("SOURCE_NAMESPACE", s.SourceNamespace), isNamespace, namespaceWhat)
	srcRepos := p.list("SOURCE_REPO", p.required("SOURCE_REPO", s.SourceRepo), isRepo, repoWhat)
	srcRef := p.match("SOURCE_REFERENCE", p.required("SOURCE_REFERENCE", s.SourceReference), isReference, tagWhat+", or a digest (sha256: and 64 hex digits)")
	dstNS := cmp.Or(p.match("DESTINATION_NAMESPACE", s.DestinationNamespace, isNamespace, namespaceWhat), srcNS)
	dstRepo := p.match("DESTINATION_REPO", s.DestinationRepo, isRepo, repoWhat)
	dstTags := p.list("DESTINATION_TAG", p.required("DESTINATION_TAG", s.DestinationTag), isTag, tagWhat)
	if dstRepo != "" && len(srcRepos) > 1 {
		p.fail("%s is set, but %s lists %d repositories: they cannot all go to one repository; leave destination_repo empty to keep each name", p.l.Key("DESTINATION_REPO"), p.l.Key("SOURCE_REPO"), len(srcRepos))
	}
	for _, repo := range srcRepos {
		for _, tag := range dstTags {
			c.Pairs = append(c.Pairs, Pair{
				Source:      Ref{Namespace: srcNS, Repo: repo, Tag: srcRef},
				Destination: Ref{Namespace: dstNS, Repo: cmp.Or(dstRepo, repo), Tag: tag},
			})
		}
	}
	c.AttemptTimeout = p.duration("ATTEMPT_TIMEOUT", s.AttemptTimeout)
	c.IndexLag = p.wait("INDEX_LAG", s.IndexLag)
	c.Retries = p.count("RETRIES", s.Retries, 0, 100)
	c.RateLimit = p.count("RATE_LIMIT", s.RateLimit, 1, 1000)
	if v, _ := env.Lookup("RUNNER_DEBUG"); v == "1" {
		c.Debug = true
	}
	if c.SessionToken == "" {
		c.SessionToken, _ = env.Lookup("TENCENTCLOUD_SECURITY_TOKEN")
		if c.SessionToken != "" {
			c.secrets = append(c.secrets, c.SessionToken)
		}
	}
	c.Scheme, c.Host = p.endpoint("ENDPOINT", s.Endpoint)
	if c.Scheme == "http" && !isLoopback(c.Host) {
		c.warnings = append(c.warnings, fmt.Sprintf("%s sends credentials-signed requests over plain http to %s; use https outside a local emulator", l.Key("ENDPOINT"), c.Host))
	}
	if s.RoleArn != "" {
		c.Role = &RoleConfig{
			Arn:         p.match("ROLE_ARN", s.RoleArn, isRoleArn, "a role ARN: qcs::cam::uin/<uin>:roleName/<name>"),
			ProviderID:  p.required("PROVIDER_ID", s.ProviderID),
			SessionName: p.match("ROLE_SESSION_NAME", cmp.Or(s.RoleSessionName, sessionName(env)), isSessionName, "2-128 of A-Z a-z 0-9 = , . @ -"),
			Duration:    p.duration("ROLE_DURATION", s.RoleDuration),
			Audience:    s.Audience,
			Token:       s.WebIdentityToken,
			TokenFile:   s.WebIdentityTokenFile,
		}
		c.Role.STSScheme, c.Role.STSHost = p.endpoint("STS_ENDPOINT", s.STSEndpoint)
		if d := c.Role.Duration; d > 12*time.Hour || d%time.Second != 0 {
			p.fail("%s: %q must be whole seconds, at most 12h", p.l.Key("ROLE_DURATION"), s.RoleDuration)
		}
		if c.Role.Token != "" && c.Role.TokenFile != "" {
			p.fail("set web_identity_token or web_identity_token_file, not both")
		}
		if c.Role.STSScheme == "http" && !isLoopback(c.Role.STSHost) {
			c.warnings = append(c.warnings, fmt.Sprintf("%s sends the OIDC token over plain http to %s; use https outside a local emulator", l.Key("STS_ENDPOINT"), c.Role.STSHost))
		}
		if c.SecretID != "" || c.SecretKey != "" {
			c.warnings = append(c.warnings, "role_arn is set: the secret_id/secret_key also given are not used")
			c.SecretID, c.SecretKey, c.SessionToken = "", "", ""
		}
	} else {
		// Not an error: a GitLab job may mint an ID token for every run.
		for _, key := range []string{"PROVIDER_ID", "WEB_IDENTITY_TOKEN", "WEB_IDENTITY_TOKEN_FILE"} {
			if _, ok := l.from[key]; ok {
				c.warnings = append(c.warnings, fmt.Sprintf("%s is set but role_arn is not, so it is not used: keyless promotion needs role_arn", l.Key(key)))
			}
		}
		switch {
		case c.SecretID != "" && c.SecretKey == "":
			p.fail("secret_key is required with secret_id (PLUGIN_SECRET_KEY, INPUT_SECRET_KEY or TENCENTCLOUD_SECRET_KEY)")
		case c.SecretID == "" && c.SecretKey != "":
			p.fail("secret_id is required with secret_key (PLUGIN_SECRET_ID, INPUT_SECRET_ID or TENCENTCLOUD_SECRET_ID)")
		}
		// Neither keys nor a role: the SDK's default chain is tried at
		// run time (profile file, TKE OIDC, CVM role).
	}
	if isDigest(srcRef) && !c.Verify && !p.failed() {
		p.fail("%s is a digest, which needs verify: true (a tag is looked up for it)", p.l.Key("SOURCE_REFERENCE"))
	}
	if c.ExpectedDigest != "" && !c.Verify && !p.failed() {
		p.fail("expected_digest needs verify: true (the source's digest must be read to be compared)")
	}
	for _, pair := range c.Pairs {
		if pair.Source == pair.Destination {
			p.fail("the destination %s is the source itself; set destination_tag, destination_namespace or destination_repo", pair.Destination)
		}
	}
	return c, p.err()
}

// parser collects every problem in the settings so that one run reports
// them all.
type parser struct {
	l        *settingLookuper
	problems []string
}

func (p *parser) fail(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

func (p *parser) failed() bool { return len(p.problems) > 0 }

func (p *parser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	return &Error{Class: ClassUsage, Message: "invalid settings: " + strings.Join(p.problems, "; ")}
}

func (p *parser) required(key, v string) string {
	if v == "" {
		names := settingNames(key)
		p.fail("%s is required (set %s or %s)", strings.ToLower(key), names[0], names[1])
	}
	return v
}

func (p *parser) match(key, v string, valid func(string) bool, what string) string {
	if v != "" && !valid(v) {
		p.fail("%s: %q is not %s", p.l.Key(key), v, what)
	}
	return v
}

func (p *parser) bool(key, v string) bool {
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail("%s: %q is not true or false", p.l.Key(key), v)
	}
	return b
}

func (p *parser) duration(key, v string) time.Duration {
	d, ok := parseDuration(v)
	if !ok || d == 0 {
		p.fail("%s: %q is not a positive duration such as 90s or 2m", p.l.Key(key), v)
	}
	return d
}

// wait is a duration that may be 0.
func (p *parser) wait(key, v string) time.Duration {
	d, ok := parseDuration(v)
	if !ok {
		p.fail("%s: %q is not a duration such as 10s, or 0", p.l.Key(key), v)
	}
	return d
}

// parseDuration reads a Go duration, or a bare number of seconds.
func parseDuration(v string) (time.Duration, bool) {
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, n >= 0
	}
	d, err := time.ParseDuration(v)
	return d, err == nil && d >= 0
}

func (p *parser) count(key, v string, lo, hi int) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.fail("%s: %q is not a whole number from %d to %d", p.l.Key(key), v, lo, hi)
	}
	return n
}

// list reads a list setting: a JSON array, or items separated by commas or
// newlines (Drone and Woodpecker join YAML lists with commas; GitHub inputs
// are strings, often multi-line). Blanks are trimmed, empties and repeats
// dropped, order kept.
func (p *parser) list(key, v string, valid func(string) bool, what string) []string {
	if v == "" {
		return nil
	}
	var items []string
	if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") {
		if err := json.Unmarshal([]byte(t), &items); err != nil {
			p.fail("%s: not a JSON array of strings: %v", p.l.Key(key), err)
			return nil
		}
	} else {
		items = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	}
	var out []string
	seen := map[string]bool{}
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" || seen[it] {
			continue
		}
		seen[it] = true
		out = append(out, p.match(key, it, valid, what))
	}
	if len(out) == 0 {
		p.fail("%s: %q lists nothing", p.l.Key(key), v)
	}
	return out
}

// endpoint accepts a host[:port] or an http(s) URL without a path.
func (p *parser) endpoint(key, v string) (scheme, host string) {
	scheme, host = "https", v
	if strings.Contains(v, "://") {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil {
			p.fail("%s: %q is not a host or an http(s)://host[:port] URL", p.l.Key(key), v)
			return "", ""
		}
		return u.Scheme, u.Host
	}
	if u, err := url.Parse("https://" + v); err != nil || u.Host != v {
		p.fail("%s: %q is not a host or an http(s)://host[:port] URL", p.l.Key(key), v)
	}
	return scheme, host
}

// sessionName derives a role session name from the CI run, within STS's
// characters (A-Z a-z 0-9 = , . @ -) and 128 characters, e.g.
// tcr-promote@acme-app-12345.
func sessionName(env Lookuper) string {
	get := func(k string) string { v, _ := env.Lookup(k); return v }
	var parts []string
	for _, pair := range [][2]string{
		{"GITHUB_REPOSITORY", "GITHUB_RUN_ID"}, {"CI_PROJECT_PATH", "CI_PIPELINE_ID"},
		{"CI_REPO", "CI_PIPELINE_NUMBER"}, {"DRONE_REPO", "DRONE_BUILD_NUMBER"},
	} {
		if repo, run := get(pair[0]), get(pair[1]); repo != "" || run != "" {
			parts = []string{repo, run}
			break
		}
	}
	if parts == nil {
		parts = []string{strconv.FormatInt(time.Now().Unix(), 10)}
	}
	name := "tcr-promote@" + strings.Join(parts, "-")
	name = strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("=,.@-", r)) {
			return r
		}
		return '-'
	}, name)
	return name[:min(len(name), 128)]
}

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
