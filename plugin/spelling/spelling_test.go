package spelling_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/spelling"
)

// TestGiven: the spellings that hold a value the user gave, the winner
// first: a flag, then PLUGIN_, INPUT_, INPUT_ with hyphens, the
// composite's inputs; a declared default or a blank is not given.
func TestGiven(t *testing.T) {
	t.Parallel()
	defaults := map[string]string{"DRY_RUN": "false", "VERIFY": "true"}
	tests := []struct {
		name  string
		env   spelling.Environment
		flags map[string]string
		key   string
		want  []spelling.Given
	}{
		{"Drone", spelling.Environment{"PLUGIN_DRY_RUN": " true "}, nil, "DRY_RUN", []spelling.Given{{"PLUGIN_DRY_RUN", "true"}}},
		{"GitHub, both spellings", spelling.Environment{"INPUT_DRY_RUN": "false", "INPUT_DRY-RUN": "true"}, nil, "DRY_RUN", []spelling.Given{{"INPUT_DRY-RUN", "true"}}},
		{"a default filled in is not given", spelling.Environment{"INPUT_VERIFY": "TRUE"}, nil, "VERIFY", nil},
		{"blank", spelling.Environment{"PLUGIN_DRY_RUN": "  "}, nil, "DRY_RUN", nil},
		{"a flag wins, default or not", spelling.Environment{"PLUGIN_DRY_RUN": "true"}, map[string]string{"DRY_RUN": "false"}, "DRY_RUN",
			[]spelling.Given{{"--dry-run", "false"}, {"PLUGIN_DRY_RUN", "true"}}},
		{"the composite's inputs", spelling.Environment{spelling.InputsVar: `{"dry-run": true, "verify": null}`}, nil, "DRY_RUN", []spelling.Given{{"INPUT_DRY-RUN", "true"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := spelling.New(tt.env, defaults, tt.flags)
			if diff := cmp.Diff(tt.want, l.Given(tt.key)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if l.Problem != "" {
				t.Errorf("problem: %s", l.Problem)
			}
		})
	}
}

// TestInputsNotJSON: a composite's inputs that are not a JSON object are
// a problem told, not a silent empty set.
func TestInputsNotJSON(t *testing.T) {
	t.Parallel()
	if l := spelling.New(spelling.Environment{spelling.InputsVar: "{dry-run"}, nil, nil); l.Problem == "" {
		t.Error("no problem told")
	}
}

// TestNearest: the key a misspelt name meant, within a few edits for its
// length, or none.
func TestNearest(t *testing.T) {
	t.Parallel()
	keys := []string{"DRY_RUN", "OVERRIDE", "SOURCE_IMAGE", "MODE"}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"DRYRUN", "DRY_RUN", true},
		{"dry-run", "DRY_RUN", true},
		{"OVERIDE", "OVERRIDE", true},
		{"SORCE_IMAGES", "SOURCE_IMAGE", true},
		{"MOD", "MODE", false}, // too short to guess
		{"REGISTRY", "", false},
	}
	for _, tt := range tests {
		got, ok := spelling.Nearest(tt.name, keys)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("Nearest(%q) = %q, %t; want %q, %t", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
