package settings

import (
	"strings"

	"github.com/sethvargo/go-envconfig"
)

// lookuper reads a setting from its three forms, in order — PLUGIN_<KEY>,
// INPUT_<KEY>, INPUT_<KEY-WITH-HYPHENS> — through go-envconfig's own
// decorators over one adapter, present, that makes an empty value unset.
// Defaults such as $TENCENTCLOUD_REGION read plain variables: go-envconfig
// expands them through Unwrap.
type lookuper struct {
	env   envconfig.Lookuper
	forms []envconfig.Lookuper
	chain envconfig.Lookuper
}

func newLookuper(env envconfig.Lookuper) *lookuper {
	set := present{env}
	forms := []envconfig.Lookuper{
		envconfig.PrefixLookuper("PLUGIN_", set),
		envconfig.PrefixLookuper("INPUT_", set),
		hyphens{envconfig.PrefixLookuper("INPUT_", set)},
	}
	return &lookuper{env: env, forms: forms, chain: envconfig.MultiLookuper(forms...)}
}

func (l *lookuper) Lookup(key string) (string, bool) { return l.chain.Lookup(key) }

// Unwrap is what $VAR defaults read: the plain variables.
func (l *lookuper) Unwrap() envconfig.Lookuper { return present{l.env} }

// Key is the variable key's value came from, as the user wrote it, for
// messages; the setting's snake_case name when it is unset.
func (l *lookuper) Key(key string) string {
	for _, f := range l.forms {
		if _, ok := f.Lookup(key); ok {
			return f.(interface{ Key(string) string }).Key(key)
		}
	}
	return strings.ToLower(key)
}

// isSet reports whether the user gave the setting, in any form.
func (l *lookuper) isSet(key string) bool {
	_, ok := l.chain.Lookup(key)
	return ok
}

// plain reads a variable of the CI runner's own (GITHUB_OUTPUT, CNB, …).
func (l *lookuper) plain(key string) string {
	v, _ := present{l.env}.Lookup(key)
	return v
}

// present trims a value as GitHub's toolkit trims inputs (so " true" and a
// reference ending in a YAML block's newline are read as meant), and makes
// an empty one unset: GitHub exports every declared input, empty when not
// given.
type present struct{ l envconfig.Lookuper }

func (p present) Lookup(key string) (string, bool) {
	v, ok := p.l.Lookup(key)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// hyphens reads GitHub's form of a name: its runner keeps an input's
// hyphens in the variable (INPUT_SOURCE-NAMESPACE).
type hyphens struct{ l envconfig.Lookuper }

func (h hyphens) Lookup(key string) (string, bool) {
	return h.l.Lookup(strings.ReplaceAll(key, "_", "-"))
}

func (h hyphens) Key(key string) string {
	return h.l.(interface{ Key(string) string }).Key(strings.ReplaceAll(key, "_", "-"))
}
