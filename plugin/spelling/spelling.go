// Package spelling reads a step's settings by the names each CI gives
// them: PLUGIN_<KEY> (Drone, Woodpecker, CNB, GitLab's component),
// INPUT_<KEY> and INPUT_<KEY-WITH-HYPHENS> (GitHub), the composite
// action's inputs as one JSON object, and a command-line flag, which wins.
// A value that is only a wrapper's declared default is not a value the
// user gave. It knows names, not what any setting means.
package spelling

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/sethvargo/go-envconfig"
)

// Environment is the step's environment as a lookuper that can also list
// its names, so that a misspelt setting (PLUGIN_DRYRUN) can be told from
// a variable of someone else's. main passes the process's; tests pass
// their own.
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

// InputsVar carries the composite action's inputs as one JSON object
// (${{ toJSON(inputs) }}): a composite's runner exports no INPUT_*
// variables, and only this way do inputs spelt with hyphens, which it
// does not declare, reach the step.
const InputsVar = "TCR_PROMOTE_INPUTS"

// Names are the variables a setting's key is read from, in precedence
// order.
func Names(key string) []string {
	return slices.Compact([]string{"PLUGIN_" + key, "INPUT_" + key, "INPUT_" + strings.ReplaceAll(key, "_", "-")})
}

// Flag is the command-line flag of a setting's key: --dry-run.
func Flag(key string) string { return "--" + strings.ReplaceAll(strings.ToLower(key), "_", "-") }

// Given is one name that holds a setting, and its value.
type Given struct{ Name, Value string }

// Lookuper reads a setting from its spellings, taking the first that is
// given. A value is given when it is not empty and not the setting's
// declared default: every wrapper's runner fills in what the wrapper
// declares (GitHub exports each input's default, GitLab interpolates
// spec:inputs defaults, Tekton substitutes param defaults), so a
// defaulted value says nothing of what the user wrote, and the binary
// owns every default. Values are trimmed as GitHub's toolkit trims inputs.
type Lookuper struct {
	env      envconfig.Lookuper
	inputs   map[string]string // the composite's inputs, by INPUT_ name
	defaults map[string]string // key → declared default
	flags    map[string]string // the command line's, by key: they win
	// Problem says why InputsVar could not be read; "" when it could.
	Problem string
}

// New reads env, with the settings' declared defaults by key and the
// command line's flags by key.
func New(env envconfig.Lookuper, defaults, flags map[string]string) *Lookuper {
	l := &Lookuper{env: env, defaults: defaults, flags: flags}
	if raw, ok := env.Lookup(InputsVar); ok && strings.TrimSpace(raw) != "" {
		var in map[string]any
		if err := json.Unmarshal([]byte(raw), &in); err != nil {
			l.Problem = fmt.Sprintf("%s is not the JSON object of the composite action's inputs: %v", InputsVar, err)
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

// Raw reads a variable, from the environment or the composite's inputs.
func (l *Lookuper) Raw(name string) (string, bool) {
	v, ok := l.env.Lookup(name)
	if !ok {
		v, ok = l.inputs[name]
	}
	return strings.TrimSpace(v), ok
}

// Given lists the spellings of key that hold a value the user gave, the
// one that wins first.
func (l *Lookuper) Given(key string) []Given {
	var out []Given
	if v := strings.TrimSpace(l.flags[key]); v != "" {
		// Given on the command line, default or not: it wins.
		out = append(out, Given{Flag(key), v})
	}
	def, declared := l.defaults[key]
	for _, n := range Names(key) {
		v, ok := l.Raw(n)
		if !ok || v == "" || declared && strings.EqualFold(v, def) {
			continue
		}
		out = append(out, Given{n, v})
	}
	return out
}

func (l *Lookuper) Lookup(key string) (string, bool) {
	if g := l.Given(key); len(g) > 0 {
		return g[0].Value, true
	}
	return "", false
}

// Unwrap is what $VAR defaults read: the plain variables.
func (l *Lookuper) Unwrap() envconfig.Lookuper { return present{l.env} }

// Key is the name key's value came from, as the user wrote it, for
// messages; the setting's snake_case name when it is not given.
func (l *Lookuper) Key(key string) string {
	if g := l.Given(key); len(g) > 0 {
		return g[0].Name
	}
	return strings.ToLower(key)
}

// IsSet reports whether the user gave the setting, in any spelling.
func (l *Lookuper) IsSet(key string) bool { return len(l.Given(key)) > 0 }

// Plain reads a variable of the CI runner's own (GITHUB_OUTPUT, CNB, …).
func (l *Lookuper) Plain(key string) string {
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

// Listed lists the variables the environment holds, and the composite's
// inputs; nil when the environment cannot list them.
func (l *Lookuper) Listed() []string {
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

// Nearest is the key a misspelt name most likely meant, of keys: the same
// letters without separators (DRYRUN), or a few edits away (OVERIDE).
func Nearest(name string, keys []string) (string, bool) {
	n := squash(name)
	best, bestD := "", -1
	for _, k := range keys {
		d := distance(n, squash(k))
		if bestD < 0 || d < bestD {
			best, bestD = k, d
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
