package settings

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/sethvargo/go-envconfig"
)

// Environment is the step's environment as a lookuper that can also list
// its names, so that Load can tell a misspelt setting (PLUGIN_DRYRUN)
// from a variable of someone else's. main passes the process's; tests
// pass their own.
type Environment map[string]string

// OSEnvironment is the process's environment.
func OSEnvironment() Environment { return FromEnviron(os.Environ()) }

// FromEnviron reads NAME=value lines, as os.Environ returns them.
func FromEnviron(environ []string) Environment {
	e := make(Environment, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			e[k] = v
		}
	}
	return e
}

func (e Environment) Lookup(key string) (string, bool) {
	v, ok := e[key]
	return v, ok
}

// Names lists the variables, sorted.
func (e Environment) Names() []string {
	out := make([]string, 0, len(e))
	for k := range e {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// inputsVar carries the composite action's inputs as one JSON object
// (${{ toJSON(inputs) }}): a composite's runner exports no INPUT_*
// variables, and only this way do inputs spelt with hyphens, which it
// does not declare, reach the step.
const inputsVar = "TCR_PROMOTE_INPUTS"

// lookuper reads a setting from its spellings — PLUGIN_<KEY>, INPUT_<KEY>,
// INPUT_<KEY-WITH-HYPHENS> — taking the first that is given. A value is
// given when it is not empty and not the setting's declared default: every
// wrapper's runner fills in what the wrapper declares (GitHub exports each
// input's default, GitLab interpolates spec:inputs defaults, Tekton
// substitutes param defaults), so a defaulted value says nothing of what
// the user wrote, and the binary owns every default. Values are trimmed as
// GitHub's toolkit trims inputs.
type lookuper struct {
	env      envconfig.Lookuper
	inputs   map[string]string // the composite's inputs, by INPUT_ name
	defaults map[string]string // key → declared default
	problem  string            // inputsVar could not be read
	flags    map[string]string // the command line's, by key: they win
}

func newLookuper(env envconfig.Lookuper) *lookuper {
	l := &lookuper{env: env, defaults: map[string]string{}}
	for _, s := range all() {
		l.defaults[s.Env] = s.Default
	}
	if raw, ok := env.Lookup(inputsVar); ok && strings.TrimSpace(raw) != "" {
		var in map[string]any
		if err := json.Unmarshal([]byte(raw), &in); err != nil {
			l.problem = fmt.Sprintf("%s is not the JSON object of the composite action's inputs: %v", inputsVar, err)
		}
		l.inputs = make(map[string]string, len(in))
		for k, v := range in {
			if s, ok := v.(string); ok {
				l.inputs["INPUT_"+strings.ToUpper(k)] = s
			} else if v != nil {
				l.inputs["INPUT_"+strings.ToUpper(k)] = fmt.Sprint(v)
			}
		}
	}
	return l
}

// spelling is one variable that holds a setting, and its value.
type spelling struct{ name, value string }

// spellings are the variables a setting is read from, in precedence order.
func spellings(key string) []string { return slices.Compact(names(key)) }

// raw reads a variable, from the environment or the composite's inputs.
func (l *lookuper) raw(name string) (string, bool) {
	v, ok := l.env.Lookup(name)
	if !ok {
		v, ok = l.inputs[name]
	}
	return strings.TrimSpace(v), ok
}

// given lists the spellings of key that hold a value the user gave.
func (l *lookuper) given(key string) []spelling {
	var out []spelling
	if v := strings.TrimSpace(l.flags[key]); v != "" {
		// Given on the command line, default or not: it wins.
		out = append(out, spelling{flagOf(key), v})
	}
	def, declared := l.defaults[key]
	for _, n := range spellings(key) {
		v, ok := l.raw(n)
		if !ok || v == "" || declared && strings.EqualFold(v, def) {
			continue
		}
		out = append(out, spelling{n, v})
	}
	return out
}

func (l *lookuper) Lookup(key string) (string, bool) {
	if g := l.given(key); len(g) > 0 {
		return g[0].value, true
	}
	return "", false
}

// Unwrap is what $VAR defaults read: the plain variables.
func (l *lookuper) Unwrap() envconfig.Lookuper { return present{l.env} }

// Key is the variable key's value came from, as the user wrote it, for
// messages; the setting's snake_case name when it is not given.
func (l *lookuper) Key(key string) string {
	if g := l.given(key); len(g) > 0 {
		return g[0].name
	}
	return strings.ToLower(key)
}

// isSet reports whether the user gave the setting, in any spelling.
func (l *lookuper) isSet(key string) bool { return len(l.given(key)) > 0 }

// plain reads a variable of the CI runner's own (GITHUB_OUTPUT, CNB, …).
func (l *lookuper) plain(key string) string {
	v, _ := present{l.env}.Lookup(key)
	return v
}

// present trims a value and makes an empty one unset.
type present struct{ l envconfig.Lookuper }

func (p present) Lookup(key string) (string, bool) {
	v, ok := p.l.Lookup(key)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// names lists the variables the environment holds, and the composite's
// inputs; nil when the environment cannot list them.
func (l *lookuper) names() []string {
	lister, ok := l.env.(interface{ Names() []string })
	if !ok {
		return nil
	}
	out := lister.Names()
	for k := range l.inputs {
		out = append(out, k)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// secretSpellings are the values of every spelling of a secret setting,
// to mask: only the first is decoded, and a second may differ.
func (l *lookuper) secretSpellings() []string {
	var out []string
	for _, s := range all() {
		if s.Secret {
			for _, g := range l.given(s.Env) {
				out = append(out, g.value)
			}
		}
	}
	return out
}

// spellingsAgree fails a setting given in two spellings with two values:
// which one the user meant cannot be known (GitHub's runner passes
// `dry-run: true` as INPUT_DRY-RUN beside INPUT_DRY_RUN).
func (p *parser) spellingsAgree() {
	if p.l.problem != "" {
		p.fail("%s", p.l.problem)
	}
	for _, s := range all() {
		g := p.l.given(s.Env)
		if len(g) > 0 && strings.HasPrefix(g[0].name, "--") {
			continue // a flag wins over the environment
		}
		for _, other := range g[min(1, len(g)):] {
			if strings.EqualFold(other.value, g[0].value) {
				continue
			}
			if s.Secret {
				p.fail("%s and %s are two spellings of %s with different values (not shown: secret); keep one", g[0].name, other.name, s.Name)
			} else {
				p.fail("%s=%q and %s=%q are two spellings of %s that disagree; keep one", g[0].name, shorten(g[0].value, 80), other.name, shorten(other.value, 80), s.Name)
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
		for _, n := range spellings(s.Env) {
			known[n] = true
		}
	}
	for _, name := range p.l.names() {
		prefix := ""
		for _, pre := range []string{"PLUGIN_", "INPUT_"} {
			if strings.HasPrefix(name, pre) {
				prefix = pre
			}
		}
		if prefix == "" || known[name] {
			continue
		}
		if v, _ := p.l.raw(name); v == "" {
			continue
		}
		if s, ok := nearest(name[len(prefix):]); ok {
			p.fail("%s is not a setting: did you mean %s?", shorten(name, 80), s.Name)
			continue
		}
		c.warnings = append(c.warnings, fmt.Sprintf("%s is not a setting of tcr-promote: ignored (see --help)", shorten(name, 80)))
	}
}

// nearest is the setting a misspelt name most likely meant: the same
// letters without separators (DRYRUN), or a few edits away (OVERIDE).
func nearest(name string) (Setting, bool) {
	n := squash(name)
	best, bestD := Setting{}, -1
	for _, s := range all() {
		d := distance(n, squash(s.Env))
		if bestD < 0 || d < bestD {
			best, bestD = s, d
		}
	}
	allowed := 0
	switch {
	case len(n) >= 8:
		allowed = 2
	case len(n) >= 4:
		allowed = 1
	}
	return best, bestD >= 0 && bestD <= allowed
}

func squash(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// shorten caps what a message echoes of a value, a name or a problem.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + fmt.Sprintf("… (%d bytes more)", len(s)-max)
}
