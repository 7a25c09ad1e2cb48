package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin"
	"gopkg.in/yaml.v3"
)

// defaultIn is what a packaging file should declare as a setting's default:
// one taken from another variable ($TENCENTCLOUD_REGION) cannot be written
// there, so it must be left empty.
func defaultIn(s plugin.Setting) string {
	if strings.HasPrefix(s.Default, "$") {
		return ""
	}
	return s.Default
}

func TestActionYAMLMatchesSettings(t *testing.T) {
	t.Parallel()
	var action struct {
		Inputs map[string]struct {
			Description string  `yaml:"description"`
			Required    bool    `yaml:"required"`
			Default     *string `yaml:"default"`
		} `yaml:"inputs"`
		Outputs map[string]struct {
			Description string `yaml:"description"`
		} `yaml:"outputs"`
		Runs struct {
			Using string `yaml:"using"`
			Image string `yaml:"image"`
		} `yaml:"runs"`
	}
	b, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatal(err)
	}
	type input struct {
		Required bool
		Default  string
	}
	want, got := map[string]input{}, map[string]input{}
	for _, s := range plugin.AllSettings() {
		want[s.Name] = input{s.Required, defaultIn(s)}
	}
	for name, in := range action.Inputs {
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		d := ""
		if in.Default != nil {
			d = *in.Default
		}
		got[name] = input{in.Required, d}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("action.yml inputs differ from the settings (-settings +action.yml):\n%s", diff)
	}
	var wantOut, gotOut []string
	for _, o := range plugin.Outputs {
		wantOut = append(wantOut, o.Name)
	}
	for name := range action.Outputs {
		gotOut = append(gotOut, name)
	}
	if diff := cmp.Diff(wantOut, gotOut, sortStrings); diff != "" {
		t.Errorf("action.yml outputs differ (-binary +action.yml):\n%s", diff)
	}
	if action.Runs.Using != "docker" || !strings.HasPrefix(action.Runs.Image, "docker://ghcr.io/tcr-promote/tcr-promote:") {
		t.Errorf("runs = %+v, want a prebuilt docker:// image", action.Runs)
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// componentOnly are the component's own inputs; notInComponent are settings
// it deliberately does not take as inputs.
var (
	componentOnly  = map[string]bool{"job_name": true, "stage": true, "image": true}
	notInComponent = map[string]string{
		"secret_id":               "credentials come from masked CI/CD variables, not inputs",
		"secret_key":              "credentials come from masked CI/CD variables, not inputs",
		"session_token":           "credentials come from masked CI/CD variables, not inputs",
		"output_file":             "the component fixes it to collect the dotenv report",
		"web_identity_token":      "the job's own ID token (id_tokens), never an input",
		"web_identity_token_file": "the job's own ID token (id_tokens) is passed directly",
	}
)

func TestGitLabComponent(t *testing.T) {
	t.Parallel()
	f, err := os.Open("templates/tcr-promote.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var spec struct {
		Spec struct {
			Inputs map[string]struct {
				Default any `yaml:"default"`
			} `yaml:"inputs"`
		} `yaml:"spec"`
	}
	if err := dec.Decode(&spec); err != nil {
		t.Fatalf("spec document: %v", err)
	}
	var jobs map[string]struct {
		Image struct {
			Name       string   `yaml:"name"`
			Entrypoint []string `yaml:"entrypoint"`
		} `yaml:"image"`
		Variables map[string]string `yaml:"variables"`
		IDTokens  map[string]struct {
			Aud string `yaml:"aud"`
		} `yaml:"id_tokens"`
		Script    []string `yaml:"script"`
		Artifacts struct {
			When    string `yaml:"when"`
			Reports struct {
				Dotenv string `yaml:"dotenv"`
			} `yaml:"reports"`
		} `yaml:"artifacts"`
	}
	if err := dec.Decode(&jobs); err != nil {
		t.Fatalf("job document: %v", err)
	}
	if len(jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(jobs))
	}
	settings := map[string]plugin.Setting{}
	for _, s := range plugin.AllSettings() {
		settings[s.Name] = s
	}
	for _, job := range jobs {
		if len(job.Image.Entrypoint) != 1 || job.Image.Entrypoint[0] != "" {
			t.Errorf("image entrypoint = %q, want [\"\"] (the binary is the ENTRYPOINT)", job.Image.Entrypoint)
		}
		if out := job.Variables["PLUGIN_OUTPUT_FILE"]; out == "" || out != job.Artifacts.Reports.Dotenv || job.Artifacts.When != "always" {
			t.Errorf("output_file %q is not collected as the dotenv report (%q, when %q)", out, job.Artifacts.Reports.Dotenv, job.Artifacts.When)
		}
		// Keyless: the job mints an ID token for the audience input and
		// passes it as the web identity token.
		tokenVar := strings.TrimPrefix(job.Variables["PLUGIN_WEB_IDENTITY_TOKEN"], "$")
		if tok, ok := job.IDTokens[tokenVar]; !ok || tok.Aud != "$[[ inputs.audience ]]" {
			t.Errorf("PLUGIN_WEB_IDENTITY_TOKEN = %q is not an id_token for the audience input (%v)", job.Variables["PLUGIN_WEB_IDENTITY_TOKEN"], job.IDTokens)
		}
		for name, in := range spec.Spec.Inputs {
			if componentOnly[name] {
				continue
			}
			s, ok := settings[name]
			if !ok {
				t.Errorf("input %s is not a setting", name)
				continue
			}
			if v := job.Variables["PLUGIN_"+s.Env]; v != "$[[ inputs."+name+" ]]" {
				t.Errorf("input %s is passed as PLUGIN_%s=%q", name, s.Env, v)
			}
			d := ""
			if in.Default != nil {
				d = fmt.Sprint(in.Default)
			}
			if in.Default == nil != (s.Required && s.Default == "") || d != defaultIn(s) {
				t.Errorf("input %s: default %v, want %q (required %t)", name, in.Default, defaultIn(s), s.Required)
			}
		}
		for name, s := range settings {
			if _, ok := spec.Spec.Inputs[name]; !ok && notInComponent[name] == "" {
				t.Errorf("setting %s (PLUGIN_%s) is missing from the component's inputs", name, s.Env)
			}
		}
	}
}

// TestREADMEDocumentsEverything: the README's tables name every setting,
// output and exit code the binary has.
func TestREADMEDocumentsEverything(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range plugin.AllSettings() {
		if !strings.Contains(readme, "| `"+s.Name+"` |") {
			t.Errorf("README's settings table lacks %s", s.Name)
		}
	}
	for _, o := range plugin.Outputs {
		if !strings.Contains(readme, "| `"+o.Name+"` | `"+strings.ToUpper(o.Name)+"` |") {
			t.Errorf("README's outputs table lacks %s", o.Name)
		}
	}
	for _, code := range []int{0, 1, 64, 65, 66, 69, 73, 75, 77} {
		if !strings.Contains(readme, fmt.Sprintf("\n| %d | ", code)) {
			t.Errorf("README's exit-code table lacks %d", code)
		}
	}
	cmds := strings.Index(readme, "```sh\ngo run . demo")
	if cmds < 0 || cmds > strings.Index(readme, "\n## ") || !strings.Contains(readme[cmds:cmds+200], "\ngo test ./...") {
		t.Errorf("the README does not open with the two commands")
	}
}

// TestDockerfile checks the image's contract without a Docker engine: the
// default (last) stage is FROM scratch with the static binary and a CA
// bundle, runs as root, and the binary is built as the tests build it.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	stages := strings.Split(df, "\nFROM ")
	last := stages[len(stages)-1]
	for _, want := range []string{"scratch AS runtime", "COPY --from=build /etc/ssl/certs/ca-certificates.crt", "COPY --from=build /out/tcr-promote /tcr-promote", `ENTRYPOINT ["/tcr-promote"]`} {
		if !strings.Contains(last, want) {
			t.Errorf("the default stage lacks %q", want)
		}
	}
	for _, bad := range []string{"\nUSER ", "\nWORKDIR ", "\nRUN "} {
		if strings.Contains(last, bad) {
			t.Errorf("the default stage has %q: GitHub needs root, and scratch has nothing to run", strings.TrimSpace(bad))
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w -X github.com/tcr-promote/tcr-promote/plugin.Version=${VERSION}"`, "AS gitlab", "busybox"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
