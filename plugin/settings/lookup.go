package settings

import (
	"fmt"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/spelling"
)

// settingKeys are every setting's key, for the nearest to a misspelling.
func settingKeys() []string {
	var out []string
	for _, s := range all() {
		out = append(out, s.Env)
	}
	return out
}

// defaults are the settings' declared defaults, by key: a wrapper's
// runner fills them in, so such a value is not one the user gave.
func defaults() map[string]string {
	out := map[string]string{}
	for _, s := range all() {
		out[s.Env] = s.Default
	}
	return out
}

// secretSpellings are the values of every spelling of a secret setting,
// to mask: only the first is decoded, and a second may differ.
func secretSpellings(l *spelling.Lookuper) []string {
	var out []string
	for _, s := range all() {
		if s.Secret {
			for _, g := range l.Given(s.Env) {
				out = append(out, g.Value)
			}
		}
	}
	return out
}

// spellingsAgree fails a setting given in two spellings with two values:
// which one the user meant cannot be known (GitHub's runner passes
// `dry-run: true` as INPUT_DRY-RUN beside INPUT_DRY_RUN).
func (p *parser) spellingsAgree() {
	if p.l.Problem != "" {
		p.fail("%s", p.l.Problem)
	}
	for _, s := range all() {
		g := p.l.Given(s.Env)
		if len(g) > 0 && strings.HasPrefix(g[0].Name, "--") {
			continue // a flag wins over the environment
		}
		for _, other := range g[min(1, len(g)):] {
			if strings.EqualFold(other.Value, g[0].Value) {
				continue
			}
			if s.Secret {
				p.fail("%s and %s are two spellings of %s with different values (not shown: secret); keep one", g[0].Name, other.Name, s.Name)
			} else {
				p.fail("%s=%q and %s=%q are two spellings of %s that disagree; keep one", g[0].Name, shorten(g[0].Value, 80), other.Name, shorten(other.Value, 80), s.Name)
			}
		}
	}
}

// unknownNames fails a PLUGIN_/INPUT_ variable that is no setting but
// close to one (a misspelling would silently drop what the user wrote),
// and warns of the others. Their values are never shown.
func (p *parser) unknownNames(c *Config) {
	known := map[string]bool{}
	for _, s := range all() {
		for _, n := range spelling.Names(s.Env) {
			known[n] = true
		}
	}
	for _, name := range p.l.Listed() {
		prefix := ""
		for _, pre := range []string{"PLUGIN_", "INPUT_"} {
			if strings.HasPrefix(name, pre) {
				prefix = pre
			}
		}
		if prefix == "" || known[name] {
			continue
		}
		if v, _ := p.l.Raw(name); v == "" {
			continue
		}
		if key, ok := spelling.Nearest(name[len(prefix):], settingKeys()); ok {
			p.fail("%s is not a setting: did you mean %s?", shorten(name, 80), strings.ToLower(key))
			continue
		}
		c.warnings = append(c.warnings, fmt.Sprintf("%s is not a setting of tcr-promote: ignored (see --help)", shorten(name, 80)))
	}
}

// shorten caps what a message echoes of a value, a name or a problem.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + fmt.Sprintf("… (%d bytes more)", len(s)-max)
}
