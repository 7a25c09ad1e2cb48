package plugin

import (
	"cmp"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Settings are the step's settings as the CI passed them. Each field is read
// from PLUGIN_<NAME> (Drone, Woodpecker), INPUT_<NAME> (GitHub) or
// INPUT_<NAME-WITH-HYPHENS>, in that order; an empty value counts as unset.
// The struct is the single source of the settings' names, defaults and
// descriptions: --help, the README table and the action.yml parity test
// are all derived from it.
type Settings struct {
	SourceImage          string `env:"SOURCE_IMAGE" desc:"the source as one reference, <host>/<namespace>/<repo>:<tag> or …@sha256:<digest>, e.g. acme.tencentcloudcr.com/develop/app:stg; the instance and region are found from the host (Enterprise), or the Personal edition is used (ccr.ccs.tencentyun.com…)"`
	DestinationImage     string `env:"DESTINATION_IMAGE" desc:"the destination as a reference, <host>/<namespace>/<repo>:<tag> or without the host (release/app:prd); a list creates each"`
	RegistryID           string `env:"REGISTRY_ID" or:"source_image" desc:"TCR Enterprise instance ID, e.g. tcr-e8pg46c6; with source_image, found from the host unless given (needed for a custom domain)"`
	Region               string `env:"REGION, default=$TENCENTCLOUD_REGION" or:"source_image" desc:"region of the instance, e.g. ap-guangzhou; with source_image, found from the host unless given"`
	SourceNamespace      string `env:"SOURCE_NAMESPACE" or:"source_image" desc:"namespace of the source image"`
	SourceRepo           string `env:"SOURCE_REPO" or:"source_image" desc:"repository of the source image (may be nested, team/app); a list (comma- or newline-separated, or a JSON array) promotes each"`
	SourceReference      string `env:"SOURCE_REFERENCE" or:"source_image" desc:"source tag (e.g. stg), or a digest (sha256:…) that a tag of the source repository points at"`
	DestinationTag       string `env:"DESTINATION_TAG" or:"destination_image" desc:"tag to create, e.g. prd; a list (e.g. prd,v1.4.2,latest) creates each"`
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
	OutputDir            string `env:"OUTPUT_DIR" desc:"also write each output to its own file in this directory, holding exactly the value (Tekton results, Argo output parameters)"`
	CACert               string `env:"CA_CERT" desc:"a CA to trust besides the system's, PEM text or a file (e.g. a TLS-inspecting proxy's, or a private endpoint's)"`
	Proxy                string `env:"PROXY" desc:"proxy for the API calls (TCR, STS), e.g. http://proxy.internal:3128; default $HTTPS_PROXY"`
	NoProxy              string `env:"NO_PROXY" desc:"hosts to reach without the proxy, comma-separated (example.com also covers its subdomains; IPs and CIDRs too)"`
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
	Or       string // required unless this setting is given instead
	Secret   bool
	Desc     string
}

// Names returns the environment variables the setting is read from, in
// order of precedence.
func (s Setting) Names() []string {
	return settingNames(s.Env)
}

// AllSettings lists the settings in declaration order.
func AllSettings() []Setting { return slices.Clone(allSettings()) }

// allSettings reads the struct tags once: every run reads its settings
// through them, several times.
var allSettings = sync.OnceValue(func() []Setting {
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
			Or:       f.Tag.Get("or"),
			Secret:   f.Tag.Get("secret") == "true",
			Desc:     f.Tag.Get("desc"),
		})
	}
	return out
})

// secretValues returns the values of the settings tagged secret.
func secretValues(s *Settings) []string {
	var out []string
	v := reflect.ValueOf(s).Elem()
	for i, f := range allSettings() {
		if f.Secret && v.Field(i).String() != "" {
			out = append(out, v.Field(i).String())
		}
	}
	return out
}

func settingNames(key string) []string {
	return []string{"PLUGIN_" + key, "INPUT_" + key, "INPUT_" + strings.ReplaceAll(key, "_", "-")}
}

// CIEnv is what the CI runner tells the step through its own variables,
// read once, with the settings.
type CIEnv struct {
	GitHub       bool   // GITHUB_ACTIONS=true: workflow commands, masks, annotations
	GitHubOutput string // $GITHUB_OUTPUT
	StepSummary  string // $GITHUB_STEP_SUMMARY
	DroneOutput  string // $DRONE_OUTPUT (Harness)
	CNB          bool   // CNB=true: outputs as ##[set-output] lines
	TokenURL     string // $ACTIONS_ID_TOKEN_REQUEST_URL: GitHub's OIDC token endpoint
	TokenBearer  string // $ACTIONS_ID_TOKEN_REQUEST_TOKEN
}

func readCIEnv(env Lookuper) CIEnv {
	get := func(k string) string { v, _ := env.Lookup(k); return v }
	return CIEnv{
		GitHub: get("GITHUB_ACTIONS") == "true", GitHubOutput: get("GITHUB_OUTPUT"), StepSummary: get("GITHUB_STEP_SUMMARY"),
		DroneOutput: get("DRONE_OUTPUT"), CNB: get("CNB") == "true",
		TokenURL: get("ACTIONS_ID_TOKEN_REQUEST_URL"), TokenBearer: get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
	}
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
	for i, setting := range allSettings() {
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
	// From source_image: the registry host the user gave, and for an
	// Enterprise host without registry_id and region, the instance names
	// to look up (DescribeInstances, every region).
	RegistryHost   string
	InstanceNames  []string
	Personal       bool // the Personal edition: DuplicateImagePersonal
	SecretID       string
	SecretKey      string
	SessionToken   string
	Scheme         string      // "https" or "http"
	Host           string      // host or host:port
	Role           *RoleConfig // keyless: assume a role with an OIDC token
	OutputFile     string
	OutputDir      string
	RootCAs        *x509.CertPool // the system's and ca_cert's; nil: the system's
	Proxy          *url.URL       // nil: $HTTPS_PROXY/$NO_PROXY
	NoProxy        []string
	CI             CIEnv
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
		RegistryID:     s.RegistryID,
		Region:         s.Region,
		Override:       p.bool("OVERRIDE", s.Override),
		ExpectedDigest: p.match("EXPECTED_DIGEST", s.ExpectedDigest, isDigest, "a digest: sha256: and 64 lower-case hex digits"),
		Verify:         p.bool("VERIFY", s.Verify),
		DryRun:         p.bool("DRY_RUN", s.DryRun),
		RegistryDomain: p.match("REGISTRY_DOMAIN", s.RegistryDomain, isHost, "a host name such as acme.tencentcloudcr.com"),
		SecretID:       s.SecretID,
		SecretKey:      s.SecretKey,
		SessionToken:   s.SessionToken,
		OutputFile:     p.outputFile("OUTPUT_FILE", s.OutputFile),
		OutputDir:      p.directory("OUTPUT_DIR", s.OutputDir),
		RootCAs:        p.caCert("CA_CERT", s.CACert),
		Proxy:          p.proxy("PROXY", s.Proxy),
		NoProxy:        p.items("NO_PROXY", s.NoProxy),
		CI:             readCIEnv(env),
		Timeout:        p.duration("TIMEOUT", s.Timeout),
		Debug:          p.bool("DEBUG", s.Debug),
	}
	p.promotions(&s, c)
	c.AttemptTimeout = p.duration("ATTEMPT_TIMEOUT", s.AttemptTimeout)
	c.IndexLag = p.wait("INDEX_LAG", s.IndexLag)
	c.Retries = p.count("RETRIES", s.Retries, 0, 100)
	c.RateLimit = p.count("RATE_LIMIT", s.RateLimit, 1, 1000)
	if v, _ := env.Lookup("RUNNER_DEBUG"); v == "1" {
		c.Debug = true
	}
	if c.Proxy != nil {
		if pw, ok := c.Proxy.User.Password(); ok {
			c.secrets = append(c.secrets, pw)
		}
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
		// Not an error, a warning. WEB_IDENTITY_TOKEN is not warned about:
		// GitLab's component mints one for every job, keyless or not.
		for _, key := range []string{"PROVIDER_ID", "WEB_IDENTITY_TOKEN_FILE"} {
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
	srcKey := p.l.Key("SOURCE_REFERENCE")
	if c.RegistryHost != "" {
		srcKey = p.l.Key("SOURCE_IMAGE")
	}
	switch {
	case p.failed():
	case c.Personal && c.SourceIsDigest():
		p.fail("%s names a digest, but the Personal edition can only copy and look up tags: name the source by its tag", srcKey)
	case c.Personal && c.ExpectedDigest != "":
		p.fail("expected_digest cannot be checked on the Personal edition (%s): its API gives no tag's digest before a copy; leave it out, or promote within an Enterprise instance", c.RegistryHost)
	case c.SourceIsDigest() && !c.Verify:
		p.fail("%s is a digest, which needs verify: true (a tag is looked up for it)", srcKey)
	case c.ExpectedDigest != "" && !c.Verify:
		p.fail("expected_digest needs verify: true (the source's digest must be read to be compared)")
	}
	for _, pair := range c.Pairs {
		if pair.Source == pair.Destination {
			p.fail("the destination %s is the source itself; set destination_tag, destination_namespace or destination_repo", pair.Destination)
		}
	}
	return c, p.err()
}

// promotions reads what to promote — as image references, or as separate
// names — into c.Pairs, and where: the registry host, and for a host that
// names an Enterprise instance, the names to look it up by.
func (p *parser) promotions(s *Settings, c *Config) {
	src, dsts := p.sourceImage(s), p.destinationImages(s)
	var srcNS, srcRef string
	var srcRepos []string
	if s.SourceImage == "" {
		c.RegistryID = p.required("REGISTRY_ID", c.RegistryID)
		c.Region = p.required("REGION", c.Region)
		srcNS = p.match("SOURCE_NAMESPACE", p.required("SOURCE_NAMESPACE", s.SourceNamespace), isNamespace, namespaceWhat)
		srcRepos = p.list("SOURCE_REPO", p.required("SOURCE_REPO", s.SourceRepo), isRepo, repoWhat)
		srcRef = p.match("SOURCE_REFERENCE", p.required("SOURCE_REFERENCE", s.SourceReference), isReference, tagWhat+", or a digest (sha256: and 64 hex digits)")
	} else if src.repo != "" {
		srcNS, srcRepos, srcRef = src.namespace, []string{src.repo}, src.ref
		p.registry(src, c)
	}
	if dsts != nil {
		for _, d := range dsts {
			if len(srcRepos) == 0 {
				break // the source's problem is recorded
			}
			c.Pairs = append(c.Pairs, Pair{
				Source:      Ref{Namespace: srcNS, Repo: srcRepos[0], Tag: srcRef},
				Destination: Ref{Namespace: d.namespace, Repo: d.repo, Tag: d.ref},
			})
		}
		return
	}
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
}

// sourceImage reads source_image; the zero imageRef when it is not set.
func (p *parser) sourceImage(s *Settings) imageRef {
	if s.SourceImage == "" {
		return imageRef{}
	}
	p.exclusive("SOURCE_IMAGE", s.SourceImage != "", "SOURCE_NAMESPACE", "SOURCE_REPO", "SOURCE_REFERENCE")
	r, err := parseImageRef(s.SourceImage)
	switch {
	case err != nil:
		p.fail("%s: %q: %v", p.l.Key("SOURCE_IMAGE"), s.SourceImage, err)
		return imageRef{}
	case r.host == "":
		p.fail("%s: %q names no registry host: write it whole, e.g. acme.tencentcloudcr.com/%s", p.l.Key("SOURCE_IMAGE"), s.SourceImage, s.SourceImage)
		return imageRef{}
	}
	return r
}

// destinationImages reads destination_image, a list; nil when it is not
// set. Each must be a tag on the source's host: DuplicateImage copies
// within one instance.
func (p *parser) destinationImages(s *Settings) []imageRef {
	if s.DestinationImage == "" {
		return nil
	}
	p.exclusive("DESTINATION_IMAGE", true, "DESTINATION_NAMESPACE", "DESTINATION_REPO", "DESTINATION_TAG")
	if s.SourceImage == "" {
		p.fail("%s needs source_image: name the source as a reference too", p.l.Key("DESTINATION_IMAGE"))
		return []imageRef{}
	}
	src, _ := parseImageRef(s.SourceImage)
	var out []imageRef
	for _, item := range p.items("DESTINATION_IMAGE", s.DestinationImage) {
		d, err := parseImageRef(item)
		switch {
		case err != nil:
			p.fail("%s: %q: %v", p.l.Key("DESTINATION_IMAGE"), item, err)
		case isDigest(d.ref):
			p.fail("%s: %q: a destination is a tag, not a digest", p.l.Key("DESTINATION_IMAGE"), item)
		case d.host != "" && src.host != "" && !strings.EqualFold(d.host, src.host):
			p.fail("%s: %q is on %s, the source on %s: DuplicateImage copies within one registry; promoting across instances is a different API (replication)",
				p.l.Key("DESTINATION_IMAGE"), item, d.host, src.host)
		default:
			out = append(out, d)
		}
	}
	if out == nil {
		out = []imageRef{}
	}
	return out
}

// exclusive fails if key is set together with any of others: both name
// the same thing.
func (p *parser) exclusive(key string, set bool, others ...string) {
	if !set {
		return
	}
	for _, o := range others {
		if _, ok := p.l.from[o]; ok {
			p.fail("%s and %s name the same thing: set one or the other", p.l.Key(key), p.l.Key(o))
		}
	}
}

// registry decides from the source's host where the promotion runs: an
// Enterprise instance (looked up by name at run time unless registry_id
// and region are given), the Personal edition (the region from the host),
// or a custom domain (registry_id and region needed).
func (p *parser) registry(src imageRef, c *Config) {
	c.RegistryHost = src.host
	kind, names, region := classifyHost(src.host)
	switch kind {
	case hostPersonal:
		c.Personal = true
		if _, explicit := p.l.from["REGION"]; !explicit {
			c.Region = region // the host's, not $TENCENTCLOUD_REGION's
		}
		if c.RegistryID != "" {
			p.fail("%s: %s is the Personal edition, which has no instance ID", p.l.Key("REGISTRY_ID"), src.host)
		}
	case hostEnterprise:
		if c.RegistryID == "" || c.Region == "" {
			c.InstanceNames = names
		}
	default:
		if c.RegistryID == "" || c.Region == "" {
			p.fail("%s: %s is not a TCR Enterprise domain (<name>%s) nor a Personal edition one (ccr.ccs.tencentyun.com…): for an instance reached through a custom domain, set registry_id and region",
				p.l.Key("SOURCE_IMAGE"), src.host, enterpriseSuffix)
		}
	}
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
	return usageErrorf("invalid settings: %s", strings.Join(p.problems, "; "))
}

// required fails when v is empty, naming the setting's variables and the
// setting that may stand for it (its or: tag), if any.
func (p *parser) required(key, v string) string {
	if v != "" {
		return v
	}
	names := settingNames(key)
	msg := fmt.Sprintf("%s is required (set %s or %s)", strings.ToLower(key), names[0], names[1])
	for _, s := range allSettings() {
		if s.Env == key && s.Or != "" {
			msg += ", or give " + s.Or
		}
	}
	p.fail("%s", msg)
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

// parseDuration reads a Go duration, or a bare number of seconds; a number
// too large for a Duration (about 292 years) is refused, not wrapped.
func parseDuration(v string) (time.Duration, bool) {
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, n >= 0 && n <= int(math.MaxInt64/time.Second)
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

// list reads a list setting of names, each checked by valid.
func (p *parser) list(key, v string, valid func(string) bool, what string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for _, it := range p.items(key, v) {
		out = append(out, p.match(key, it, valid, what))
	}
	return out
}

// items splits a list setting: a JSON array, or items separated by commas
// or newlines (Drone and Woodpecker join YAML lists with commas; GitHub
// inputs are strings, often multi-line). Blanks are trimmed, empties and
// repeats dropped, order kept.
func (p *parser) items(key, v string) []string {
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
		out = append(out, it)
	}
	if len(out) == 0 {
		p.fail("%s: %q lists nothing", p.l.Key(key), v)
	}
	return out
}

// directory checks that v, when set, is a directory the step can write
// to: the outputs are written after the copy, when it is too late to say
// that no later step will learn of it.
func (p *parser) directory(key, v string) string {
	if v == "" {
		return ""
	}
	if fi, err := os.Stat(v); err != nil || !fi.IsDir() {
		p.fail("%s: %q is not a directory", p.l.Key(key), v)
		return "" // nothing is written there: one error, not two
	} else if err := writable(v); err != nil {
		p.fail("%s: %q is not a directory the step can write to: %v", p.l.Key(key), v, err)
		return ""
	}
	return v
}

// outputFile checks that v, when set, is a file the step can create or
// replace: its directory exists and takes new files, and it is not itself
// a directory.
func (p *parser) outputFile(key, v string) string {
	if v == "" {
		return ""
	}
	dir := filepath.Dir(v)
	var err error
	if fi, serr := os.Stat(v); serr == nil && fi.IsDir() {
		err = errors.New("it is a directory, not a file")
	} else if fi, serr := os.Stat(dir); serr != nil || !fi.IsDir() {
		err = fmt.Errorf("%s is not a directory: create it first (the outputs are written after the copy)", dir)
	} else {
		err = writable(dir)
	}
	if err != nil {
		p.fail("%s: %q cannot be written: %v", p.l.Key(key), v, err)
		return "" // nothing is written there: one error, not two
	}
	return v
}

// writable proves that dir takes new files by making one: permission
// bits, read-only mounts and ACLs all show.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".tcr-promote-check-*")
	if err != nil {
		return errors.Unwrap(err) // the path is in the message already
	}
	return errors.Join(f.Close(), os.Remove(f.Name()))
}

// caCert reads a CA to trust besides the system's: PEM text, or a file
// holding it. It returns the system's roots with it added (never in place
// of them); nil when none is given.
func (p *parser) caCert(key, v string) *x509.CertPool {
	if v == "" {
		return nil
	}
	pem := []byte(v)
	if !strings.Contains(v, "-----BEGIN") {
		b, err := os.ReadFile(v)
		if err != nil {
			p.fail("%s: neither PEM text nor a readable file: %v", p.l.Key(key), err)
			return nil
		}
		pem = b
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool() // e.g. no bundle where the system has none
	}
	if !pool.AppendCertsFromPEM(pem) {
		p.fail("%s: holds no PEM certificate", p.l.Key(key))
	}
	return pool
}

// proxy reads a proxy URL: http, https or socks5, with a host.
func (p *parser) proxy(key, v string) *url.URL {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
		// Not echoed, parsed or not: it may hold a password.
		p.fail("%s is not a proxy URL such as http://proxy.internal:3128 (its value is not shown: it may hold a password)", p.l.Key(key))
		return nil
	}
	return u
}

// shownURL is a URL-like setting as it may be printed: whatever stands
// before its last "@" (a user and password, even where the URL does not
// parse) is hidden.
func shownURL(v string) string {
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok {
		scheme, rest = "", v
	} else {
		scheme += "://"
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		return scheme + "…@" + rest[at+1:]
	}
	return v
}

// endpoint accepts a host[:port] or an http(s) URL without a path.
func (p *parser) endpoint(key, v string) (scheme, host string) {
	scheme, host = "https", v
	if strings.Contains(v, "://") {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil {
			p.fail("%s: %q is not a host or an http(s)://host[:port] URL", p.l.Key(key), shownURL(v))
			return "", ""
		}
		return u.Scheme, u.Host
	}
	if u, err := url.Parse("https://" + v); err != nil || u.Host != v {
		p.fail("%s: %q is not a host or an http(s)://host[:port] URL", p.l.Key(key), shownURL(v))
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
		{"GITHUB_REPOSITORY", "GITHUB_RUN_ID"}, {"CNB_REPO_SLUG", "CNB_BUILD_ID"}, {"CI_PROJECT_PATH", "CI_PIPELINE_ID"},
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
