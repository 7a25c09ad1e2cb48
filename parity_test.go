package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the generated sections of the packaging files")

// TestPackagingParity keeps every file that lists the settings or the
// outputs — for an index, a marketplace or another CI — in step with the
// binary: their lists are generated between markers from the settings (and
// the composite action's from action.yml). `go test . -run Parity -update`
// rewrites them.
func TestPackagingParity(t *testing.T) {
	t.Parallel()
	inputs, outputs := actionMetadata(t)
	sections := []struct {
		file, marker string
		render       func() []string
	}{
		{"composite/action.yml", "inputs", func() []string { return compositeInputs(inputs) }},
		{"composite/action.yml", "outputs", func() []string { return compositeOutputs(outputs) }},
		{"composite/action.yml", "env", compositeEnv},
		{"tekton/tcr-promote.yaml", "params", tektonParams},
		{"tekton/tcr-promote.yaml", "env", tektonEnv},
		{"docs.md", "settings", markdownSettings},
		{"cnb/README.md", "settings", markdownSettings},
		{"content.yaml", "properties", droneProperties},
	}
	for _, s := range sections {
		b, err := os.ReadFile(s.file)
		if err != nil {
			t.Fatal(err)
		}
		got := string(b)
		want, err := replaceSection(got, s.marker, s.render())
		if err != nil {
			t.Fatalf("%s: %v", s.file, err)
		}
		if *update {
			if err := os.WriteFile(s.file, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: the %s section is out of date (go test . -run Parity -update) (-want +got):\n%s", s.file, s.marker, diff)
		}
	}
}

// replaceSection puts lines between the lines that hold "<marker>:begin"
// and "<marker>:end".
func replaceSection(text, marker string, lines []string) (string, error) {
	all := strings.Split(text, "\n")
	begin := slices.IndexFunc(all, func(l string) bool { return strings.Contains(l, marker+":begin") })
	end := slices.IndexFunc(all, func(l string) bool { return strings.Contains(l, marker+":end") })
	if begin < 0 || end < begin {
		return "", fmt.Errorf("no %s:begin … %s:end markers", marker, marker)
	}
	out := append(slices.Clone(all[:begin+1]), lines...)
	return strings.Join(append(out, all[end:]...), "\n"), nil
}

type actionInput struct{ name, description, dflt string }

// actionMetadata reads action.yml's inputs and outputs in their order.
func actionMetadata(t *testing.T) (inputs []actionInput, outputs []actionInput) {
	t.Helper()
	b, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	section := func(key string) []actionInput {
		root := doc.Content[0]
		for i := 0; i < len(root.Content); i += 2 {
			if root.Content[i].Value != key {
				continue
			}
			var out []actionInput
			m := root.Content[i+1]
			for j := 0; j < len(m.Content); j += 2 {
				in := actionInput{name: m.Content[j].Value}
				fields := m.Content[j+1]
				for k := 0; k < len(fields.Content); k += 2 {
					switch fields.Content[k].Value {
					case "description":
						in.description = fields.Content[k+1].Value
					case "default":
						in.dflt = "\x00" + fields.Content[k+1].Value // present, maybe empty
					}
				}
				out = append(out, in)
			}
			return out
		}
		return nil
	}
	return section("inputs"), section("outputs")
}

func quote(s string) string { return strconv.Quote(s) }

// compositeInputs declares action.yml's inputs, and each one's spelling
// with hyphens (dry-run), which GitHub's docs use: a composite action's
// inputs context holds only what it declares (act, like the runner,
// drops the rest), so an undeclared spelling would be lost.
func compositeInputs(inputs []actionInput) []string {
	var out []string
	for _, in := range inputs {
		out = append(out, "  "+in.name+":", "    description: "+quote(in.description), "    required: false")
		if d, ok := strings.CutPrefix(in.dflt, "\x00"); ok {
			out = append(out, "    default: "+quote(d))
		}
	}
	for _, in := range inputs {
		if alias := strings.ReplaceAll(in.name, "_", "-"); alias != in.name {
			out = append(out, "  "+alias+":", "    description: "+quote("The same as "+in.name), "    required: false")
		}
	}
	return out
}

func compositeOutputs(outputs []actionInput) []string {
	var out []string
	for _, o := range outputs {
		out = append(out, "  "+o.name+":", "    description: "+quote(o.description),
			"    value: ${{ steps.promote.outputs."+o.name+" }}")
	}
	return out
}

// compositeEnv passes the inputs as one JSON object: a composite
// action's steps get no INPUT_ variables, and only the inputs context
// holds inputs the user spelt with hyphens, which the action does not
// declare.
func compositeEnv() []string {
	return []string{"        TCR_PROMOTE_INPUTS: ${{ toJSON(inputs) }}"}
}

// notTektonParams are settings the Task does not take as params: the
// credentials come from a Secret, where they do not show in the TaskRun,
// and the outputs go to the results directory.
var notTektonParams = map[string]string{
	"secret_id":           "from the credentials Secret",
	"secret_key":          "from the credentials Secret",
	"session_token":       "from the credentials Secret",
	"web_identity_token":  "a secret: use web_identity_token_file with a projected token",
	"output_dir":          "the Task's results directory",
	"rate_store":          "from the credentials Secret: it may hold a password",
	"rate_store_password": "from the credentials Secret",
	// Another account's keys, for a destination on its instance.
	"destination_secret_id":     "from the credentials Secret",
	"destination_secret_key":    "from the credentials Secret",
	"destination_session_token": "from the credentials Secret",
}

func tektonSettings() []settings.Setting {
	var out []settings.Setting
	for _, s := range settings.All() {
		if notTektonParams[s.Name] == "" {
			out = append(out, s)
		}
	}
	return out
}

// defaultIn is what a packaging file should declare as a setting's default:
// one taken from another variable ($TENCENTCLOUD_REGION) cannot be written
// there, so it must be left empty.
func defaultIn(s settings.Setting) string {
	if strings.HasPrefix(s.Default, "$") {
		return ""
	}
	return s.Default
}

func tektonParams() []string {
	var out []string
	for _, s := range tektonSettings() {
		out = append(out, "    - name: "+s.Name, "      type: string", "      default: "+quote(defaultIn(s)), "      description: "+quote(s.Desc))
	}
	return out
}

func tektonEnv() []string {
	var out []string
	for _, s := range tektonSettings() {
		out = append(out, "        - name: PLUGIN_"+s.Env, "          value: $(params."+s.Name+")")
	}
	return out
}

func markdownSettings() []string {
	out := []string{"| setting | default | meaning |", "|---|---|---|"}
	for _, s := range settings.All() {
		def := "`" + s.Default + "`"
		switch {
		case s.Default == "" && s.Or != "":
			def = "required without `" + s.Or + "`"
		case s.Default == "":
			def = ""
		}
		desc := strings.ReplaceAll(s.Desc, "|", "\\|")
		if s.Secret {
			desc += " (a secret)"
		}
		out = append(out, "| `"+s.Name+"` | "+def+" | "+desc+" |")
	}
	return out
}

func droneProperties() []string {
	var out []string
	for _, s := range settings.All() {
		out = append(out, "  "+s.Name+":", "    type: string", "    defaultValue: "+quote(defaultIn(s)),
			"    description: "+quote(s.Desc), "    secret: "+strconv.FormatBool(s.Secret), "    required: "+strconv.FormatBool(s.Required))
	}
	return out
}
