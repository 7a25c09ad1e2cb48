package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/plugin/outputs"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"gopkg.in/yaml.v3"
)

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
	for _, s := range settings.All() {
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
	for _, o := range outputs.Specs {
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
// it deliberately does not take as inputs; componentDefaults are the
// defaults it deliberately sets apart from the step's.
var (
	componentOnly     = map[string]bool{"job_name": true, "stage": true, "image": true}
	componentDefaults = map[string]string{
		"dotenv_prefix": "TCR_", // GitLab passes the report on to every later job, over its own variables
	}
	notInComponent = map[string]string{
		"secret_id":               "credentials come from masked CI/CD variables, not inputs",
		"secret_key":              "credentials come from masked CI/CD variables, not inputs",
		"session_token":           "credentials come from masked CI/CD variables, not inputs",
		"output_file":             "the component fixes it to collect the dotenv report",
		"output_dir":              "the component's outputs are the dotenv report",
		"web_identity_token":      "the job's own ID token (id_tokens), never an input",
		"web_identity_token_file": "the job's own ID token (id_tokens) is passed directly",
	}
)

// regexAccepts are values the step accepts, which the component's input
// regexes must accept too.
var regexAccepts = map[string][]string{
	"source_image":    {"acme.tencentcloudcr.com/develop/app:stg", "hkccr.ccs.tencentyun.com/team/app@sha256:" + strings.Repeat("a", 64), "cr.example.com:8443/a/b/c:v1"},
	"registry_id":     {"tcr-e8pg46c6"},
	"expected_digest": {"sha256:" + strings.Repeat("0", 64)},
	"timeout":         {"90s", "2m", "120", "1h30m", "500ms"},
	"attempt_timeout": {"30s", "5"},
	"role_duration":   {"1h", "43200"},
	"index_lag":       {"0", "10s", "0s"},
}

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
				Default any    `yaml:"default"`
				Regex   string `yaml:"regex"`
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
	byName := map[string]settings.Setting{}
	for _, s := range settings.All() {
		byName[s.Name] = s
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
			s, ok := byName[name]
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
			wantDefault := defaultIn(s)
			if d, ok := componentDefaults[name]; ok {
				wantDefault = d
			}
			if in.Default == nil != (s.Required && s.Default == "") || d != wantDefault {
				t.Errorf("input %s: default %v, want %q (required %t)", name, in.Default, wantDefault, s.Required)
			}
			if in.Regex != "" {
				// GitLab checks inputs against these before the job
				// runs: the default must pass, and so must what the
				// step itself accepts.
				re := regexp.MustCompile(in.Regex)
				for _, v := range append([]string{d}, regexAccepts[name]...) {
					if !re.MatchString(v) {
						t.Errorf("input %s: regex %s refuses %q", name, in.Regex, v)
					}
				}
			}
		}
		for name, s := range byName {
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
	table, err := os.ReadFile("docs/settings.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings.All() {
		if !strings.Contains(string(table), "| `"+s.Name+"` |") {
			t.Errorf("docs/settings.md's table lacks %s", s.Name)
		}
	}
	for _, o := range outputs.Specs {
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
	for _, want := range []string{"scratch AS runtime", "COPY --from=build /etc/ssl/certs/ca-certificates.crt", "COPY --from=build /out/tcr-promote /tcr-promote", `ENTRYPOINT ["/tcr-promote"]`,
		"org.opencontainers.image.source", "org.opencontainers.image.version", "org.opencontainers.image.licenses", "org.opencontainers.image.description"} {
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

// TestExamplesUseRealSettings reads every example and packaging file that
// passes settings — a settings: map (Drone, Woodpecker, CNB), PLUGIN_
// variables (GitLab, Tekton, Argo, Jenkins) — and checks each names a real
// setting: a typo there would be ignored silently by the CI.
// ourStep reports whether the step above a settings: line at indent runs
// this project's image: the nearest image: line at that indent says.
func ourStep(above []string, indent int) bool {
	for i := len(above) - 1; i >= 0; i-- {
		l := above[i]
		lead := len(l) - len(strings.TrimLeft(l, " "))
		if lead < indent && strings.TrimSpace(l) != "" && !strings.HasPrefix(strings.TrimSpace(l), "#") && !strings.HasPrefix(strings.TrimSpace(l), "- https") {
			return true // the step's own start: no image: line seen (a file of settings only)
		}
		if lead == indent && strings.HasPrefix(strings.TrimSpace(l), "image:") {
			return strings.Contains(l, "tcr-promote")
		}
	}
	return true
}

func TestExamplesUseRealSettings(t *testing.T) {
	t.Parallel()
	names, envs := map[string]bool{}, map[string]bool{}
	for _, s := range settings.All() {
		names[s.Name], envs["PLUGIN_"+s.Env] = true, true
	}
	files := []string{
		"examples/drone/.drone.yml", "examples/woodpecker/.woodpecker.yaml", "examples/cnb/.cnb.yml", "examples/cnb/attest.cnb.yml", "examples/cnb/promotion-file.cnb.yml",
		"examples/gitlab/.gitlab-ci.yml", "examples/gitlab/promotion-file.gitlab-ci.yml", "examples/argo/workflow.yaml", "examples/tekton/taskrun.yaml",
		"examples/jenkins/Jenkinsfile", "tekton/tcr-promote.yaml", "templates/tcr-promote.yml", "docs.md", "cnb/README.md",
	}
	pluginVar := regexp.MustCompile(`PLUGIN_[A-Z_]+`)
	key := regexp.MustCompile(`^\s*([a-z_]+):`)
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range pluginVar.FindAllString(string(b), -1) {
			if !envs[v] {
				t.Errorf("%s: %s is not a setting", f, v)
			}
		}
		// The keys directly under each settings: map of a step that runs
		// this image (another plugin's settings are its own).
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if strings.TrimSpace(l) != "settings:" || !ourStep(lines[:i], indent(l)) {
				continue
			}
			child := -1
			for _, c := range lines[i+1:] {
				if strings.TrimSpace(c) == "" || strings.HasPrefix(strings.TrimSpace(c), "#") {
					continue
				}
				if indent(c) <= indent(l) {
					break
				}
				if child < 0 {
					child = indent(c)
				}
				if k := key.FindStringSubmatch(c); indent(c) == child && k != nil && !names[k[1]] {
					t.Errorf("%s: settings key %s is not a setting", f, k[1])
				}
			}
		}
	}
	var task struct {
		Spec struct {
			Params  []struct{ Name string } `yaml:"params"`
			Results []struct{ Name string } `yaml:"results"`
		} `yaml:"spec"`
	}
	b, _ := os.ReadFile("tekton/tcr-promote.yaml")
	if err := yaml.Unmarshal(b, &task); err != nil {
		t.Fatal(err)
	}
	for _, p := range task.Spec.Params {
		if !names[p.Name] && p.Name != "credentials-secret" {
			t.Errorf("the Task's param %s is not a setting", p.Name)
		}
	}
	var results []string
	for _, r := range task.Spec.Results {
		results = append(results, r.Name)
	}
	// Every output is a result (a Task that reads one it did not declare
	// fails), and Tekton Chains' pair.
	for _, o := range outputs.Specs {
		if !slices.Contains(results, o.Name) {
			t.Errorf("the Task has no result %s", o.Name)
		}
	}
	for _, want := range []string{"IMAGE_URL", "IMAGE_DIGEST"} {
		if !slices.Contains(results, want) {
			t.Errorf("the Task has no result %s", want)
		}
	}
}

// TestStandsAlone: no file of the project points outside it.
func TestStandsAlone(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("git", "ls-files").Output()
	if err != nil {
		t.Skipf("git ls-files: %v", err)
	}
	for _, f := range strings.Fields(string(out)) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // deleted in the work tree
		}
		if outside := "../" + "shared/"; strings.Contains(string(b), outside) {
			t.Errorf("%s points outside the project (%s)", f, outside)
		}
	}
}

// TestOutputsThroughEnv: no example and no README snippet puts an output
// or an input into a run: script, where its text would be shell code.
func TestOutputsThroughEnv(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("examples/github/*.yml")
	pages, _ := filepath.Glob("docs/*/*.md")
	more, _ := filepath.Glob("docs/*.md")
	for _, f := range append(append(append(files, pages...), more...), "README.md", "composite/action.yml", "action.yml") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inRun, indent := false, 0
		for i, line := range strings.Split(string(b), "\n") {
			trimmed := strings.TrimSpace(line)
			lead := len(line) - len(strings.TrimLeft(line, " "))
			if strings.HasPrefix(strings.TrimPrefix(trimmed, "- "), "run:") {
				inRun, indent = true, lead
			} else if inRun && trimmed != "" && lead <= indent {
				inRun = false
			}
			if inRun && regexp.MustCompile(`\$\{\{\s*(steps|inputs|needs|github\.event)\.`).MatchString(line) {
				t.Errorf("%s:%d: an expression in run: %s", f, i+1, trimmed)
			}
		}
	}
}

// TestTektonResultsOfABatch runs a batch with output_dir, as the Task
// does, and holds every file the step writes there to a result the Task
// declares.
func TestTektonResultsOfABatch(t *testing.T) {
	t.Parallel()
	var task struct {
		Spec struct {
			Results []struct{ Name string } `yaml:"results"`
		} `yaml:"spec"`
	}
	b, err := os.ReadFile("tekton/tcr-promote.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &task); err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, r := range task.Spec.Results {
		declared[r.Name] = true
	}
	emu, endpoint := world(t)
	dir := t.TempDir()
	var stdout, stderr strings.Builder
	r := &plugin.Runner{Env: envconfig.MapLookuper(map[string]string{
		"PLUGIN_ENDPOINT": endpoint, "PLUGIN_SECRET_ID": refID, "PLUGIN_SECRET_KEY": refKey, "PLUGIN_OUTPUT_DIR": dir,
		"PLUGIN_SOURCE_IMAGE": "acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE": "release/app:prd,release/app:v1,release/app:v1.4",
	}), Stdout: &stdout, Stderr: &stderr}
	if code := r.Run(context.Background(), []string{"tcr-promote"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	entries, _ := os.ReadDir(dir)
	var written []string
	for _, e := range entries {
		written = append(written, e.Name())
		if !declared[e.Name()] {
			t.Errorf("the step writes %s, which the Task does not declare", e.Name())
		}
	}
	for _, want := range []string{"promoted", "request_ids", "results"} {
		if !slices.Contains(written, want) {
			t.Errorf("a batch of 3 wrote %v, not %s", written, want)
		}
	}
	if n := len(emu.Tags("tcr-sh", "release", "app")); n != 3 {
		t.Errorf("%d tags promoted, want 3", n)
	}
}
