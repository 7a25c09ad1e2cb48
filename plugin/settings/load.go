package settings

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/plugin/cienv"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/spelling"
)

// Load reads and validates the settings from env. Any problem is a usage
// error (exit 64) naming every offending setting; nothing has been sent.
// The Config is never nil: on error it holds what could be read, so
// secrets can still be masked and outputs written.
func Load(env envconfig.Lookuper) (*Config, error) { return load(env, nil) }

func load(env envconfig.Lookuper, flags map[string]string) (*Config, error) {
	l := spelling.New(env, defaults(), flags)
	var s Settings
	p := &parser{l: l}
	// The decoders keep their own errors, so this fails only on a bad
	// struct tag: a bug, reported like any problem.
	if err := envconfig.ProcessWith(context.Background(), &envconfig.Config{Target: &s, Lookuper: l}); err != nil {
		p.fail("%v", err)
	}
	secrets := append(secretValues(&s), secretSpellings(l)...)
	slices.Sort(secrets)
	c := &Config{secrets: slices.Compact(secrets), CI: cienv.Read(l.Plain)}
	p.spellingsAgree()
	p.unknownNames(c)
	p.promotions(&s, c)
	p.behaviour(&s, c)
	p.mode(&s, c)
	p.access(&s, c)
	p.network(&s, c)
	p.files(&s, c)
	p.remote(&s, c)
	p.timing(&s, c)
	p.consistent(c)
	c.warnings = append(c.warnings, p.warnings...)
	return c, p.err()
}

// mode reads mode and wait_replicas: plan and check read everything and
// change nothing, as a dry run does.
func (p *parser) mode(s *Settings, c *Config) {
	c.Mode = p.oneOf("MODE", s.Mode, "apply", "plan", "check")
	c.DryRun = c.DryRun || c.Mode != ""
	c.WaitReplicas = p.bool("WAIT_REPLICAS", s.WaitReplicas)
	c.ReplicaTimeout = p.duration("REPLICA_TIMEOUT", s.ReplicaTimeout)
	if c.File == nil {
		for i := range c.Pairs {
			c.Pairs[i].Override = c.Override
		}
	}
	switch {
	case c.WaitReplicas && !c.Verify:
		p.fail("%s needs verify: true (each destination's digest is what the replicas must show)", p.l.Key("WAIT_REPLICAS"))
	case c.WaitReplicas && c.Personal:
		p.fail("%s: the Personal edition has no replicas", p.l.Key("WAIT_REPLICAS"))
	case c.WaitReplicas && c.DryRun:
		c.warnings = append(c.warnings, fmt.Sprintf("%s is not used by a dry run, plan or check: nothing is copied, so nothing is waited for", p.l.Key("WAIT_REPLICAS")))
	}
}

// behaviour reads what the promotion does: override, verify, dry run, the
// digest pin, the domain of the image output.
func (p *parser) behaviour(s *Settings, c *Config) {
	c.Override = p.bool("OVERRIDE", s.Override)
	c.Verify = p.bool("VERIFY", s.Verify)
	c.DryRun = p.bool("DRY_RUN", s.DryRun)
	c.Debug = p.bool("DEBUG", s.Debug) || c.CI.RunnerDebug
	c.ExpectedDigest = p.match("EXPECTED_DIGEST", s.ExpectedDigest, imageref.IsDigest, "a digest: sha256: and 64 lower-case hex digits")
	c.RegistryDomain = p.match("REGISTRY_DOMAIN", s.RegistryDomain, imageref.IsHost, "a host name such as acme.tencentcloudcr.com")
	p.supply(s, c)
}

// supply reads the gates, what is carried and what is signed. The gates
// and signing read the registry, so they need verify; the Personal
// edition has none of it.
func (p *parser) supply(s *Settings, c *Config) {
	c.Supply.Carry = p.bool("CARRY_SIGNATURES", s.CarrySignatures)
	c.Supply.RequireSignature = p.oneOf("REQUIRE_SIGNATURE", s.RequireSignature, "none", "kms", "cosign", "notation", "any")
	c.Supply.Sign = p.oneOf("SIGN", s.Sign, "none", "kms") == "kms"
	for _, it := range p.list("REQUIRE_LABELS", s.RequireLabels, isLabel, "key=value (a label's key, then = and the value it must have)") {
		k, v, _ := strings.Cut(it, "=")
		c.Supply.RequireLabels = append(c.Supply.RequireLabels, Label{k, v})
	}
	var need []string
	for _, n := range []struct {
		key string
		set bool
	}{{"REQUIRE_SIGNATURE", c.Supply.RequireSignature != ""}, {"REQUIRE_LABELS", len(c.Supply.RequireLabels) > 0}, {"SIGN", c.Supply.Sign}} {
		if n.set {
			need = append(need, p.l.Key(n.key))
		}
	}
	if len(need) > 0 && !c.Verify {
		p.fail("%s need verify: true (the source and the destination are read)", strings.Join(need, " and "))
	}
	c.supplySettings = need
}

// oneOf reads a setting that takes one of a few words; the first is
// "none", read as "".
func (p *parser) oneOf(key, v string, words ...string) string {
	if !slices.Contains(words, v) {
		p.fail("%s: %q is not one of %s", p.l.Key(key), v, strings.Join(words, ", "))
		return ""
	}
	if v == words[0] {
		return ""
	}
	return v
}

// isLabel: key=value, the key not empty.
func isLabel(s string) bool {
	k, _, ok := strings.Cut(s, "=")
	return ok && strings.TrimSpace(k) != "" && k == strings.TrimSpace(k)
}

// timing reads the deadlines, the retries and the rate.
func (p *parser) timing(s *Settings, c *Config) {
	c.Timeout = p.duration("TIMEOUT", s.Timeout)
	c.AttemptTimeout = p.duration("ATTEMPT_TIMEOUT", s.AttemptTimeout)
	c.IndexLag = p.wait("INDEX_LAG", s.IndexLag)
	c.Retries = p.count("RETRIES", s.Retries, 0, 100)
	c.RateLimit = p.count("RATE_LIMIT", s.RateLimit, 1, 1000)
	if c.RateStore = p.rateStore(s); c.RateStore != nil {
		if u, _ := url.Parse(c.RateStore.URL); u != nil {
			if pw, ok := u.User.Password(); ok {
				c.secrets = append(c.secrets, pw)
			}
			// Passwords go-redis reads from the query (Sentinel's too).
			for _, k := range []string{"password", "pass", "auth", "sentinel_password"} {
				if v := u.Query().Get(k); v != "" {
					c.secrets = append(c.secrets, v)
				}
			}
		}
		// Where the account is learnt, if no key names it.
		if c.Role != nil {
			c.RateStore.STSScheme, c.RateStore.STSHost = c.Role.STSScheme, c.Role.STSHost
		} else {
			c.RateStore.STSScheme, c.RateStore.STSHost = p.endpoint("STS_ENDPOINT", s.STSEndpoint)
		}
	}
}

// rateStore reads rate_store: a redis:// or rediss:// URL with a host.
// Its value is never echoed: it may hold a password.
func (p *parser) rateStore(s *Settings) *RateStore {
	if s.RateStore == "" {
		// Not an error: the store is advice, and rate_store is often a
		// secret that a fork's pull request or a new project lacks.
		for _, kv := range [][2]string{{"RATE_STORE_PASSWORD", s.RateStorePassword}, {"RATE_STORE_KEY", s.RateStoreKey}} {
			if kv[1] != "" {
				p.warn("%s is set but %s is not, so it is not used: the step paces on its own", p.l.Key(kv[0]), p.l.Key("RATE_STORE"))
			}
		}
		return nil
	}
	u, err := url.Parse(s.RateStore)
	if err != nil || u.Host == "" || (u.Scheme != "redis" && u.Scheme != "rediss") {
		p.fail("%s is not a Redis URL such as redis://redis.internal:6379/0 or rediss://… (its value is not shown: it may hold a password)", p.l.Key("RATE_STORE"))
		return nil
	}
	key := p.match("RATE_STORE_KEY", s.RateStoreKey, isStoreKey, "1–64 letters, digits, '.', '_' or '-'")
	return &RateStore{URL: s.RateStore, Password: s.RateStorePassword, Key: key, Setting: p.l.Key("RATE_STORE")}
}

func isStoreKey(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// consistent checks what the settings ask for together.
func (p *parser) consistent(c *Config) {
	if p.failed() || len(c.Pairs) == 0 {
		return
	}
	src := c.Pairs[0].Source
	srcKey := p.l.Key("SOURCE_REFERENCE")
	switch {
	case c.File != nil:
		srcKey = "the source at " + c.Pairs[0].SourceAt
	case c.RegistryHost != "":
		srcKey = p.l.Key("SOURCE_IMAGE")
	}
	switch {
	case c.Personal && len(c.supplySettings) > 0:
		p.fail("%s cannot be checked on the Personal edition (%s): its API gives no signatures, labels or digests before a copy; leave them out, or promote within an Enterprise instance", strings.Join(c.supplySettings, " and "), c.RegistryHost)
	case c.Personal && src.Digest != "":
		p.fail("%s names a digest, but the Personal edition can only copy and look up tags: name the source by its tag", srcKey)
	case c.Personal && c.ExpectedDigest != "":
		p.fail("expected_digest cannot be checked on the Personal edition (%s): its API gives no tag's digest before a copy; leave it out, or promote within an Enterprise instance", c.RegistryHost)
	case src.Digest != "" && !c.Verify:
		p.fail("%s is a digest, which needs verify: true (a tag is looked up for it)", srcKey)
	case c.ExpectedDigest != "" && !c.Verify:
		p.fail("expected_digest needs verify: true (the source's digest must be read to be compared)")
	case src.Tag != "" && src.Digest != "" && c.ExpectedDigest != "" && src.Digest != c.ExpectedDigest:
		p.fail("%s pins %s, and expected_digest is %s: they must agree (one of them is enough)", srcKey, src.Digest, c.ExpectedDigest)
	}
	for _, pair := range c.Pairs {
		if pair.Source == pair.Destination {
			p.fail("the destination %s is the source itself; set destination_tag, destination_namespace or destination_repo", pair.Destination)
		}
	}
}
