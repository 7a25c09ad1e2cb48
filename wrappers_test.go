package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tcr-promote/tcr-promote/internal/runnerfiles"
	"gopkg.in/yaml.v3"
)

// The wrappers are run here as their runners run them: each builds the
// step's environment from the wrapper file itself, by that runner's
// documented rules — never from a hand-picked list of variables. A
// runner's own variables (GITHUB_OUTPUT, GITLAB_CI, …) are added as it
// adds them.

// home is one CI wrapper: env builds the step's environment for inputs
// the user gave (by name, as the user wrote it) in a workspace dir, and
// outputs reads back what the step told the runner.
type home struct {
	name    string
	env     func(t *testing.T, given map[string]string, dir string) []string
	outputs func(t *testing.T, dir string) map[string]string
}

var homes = []home{
	{"github docker action", githubDockerEnv, githubOutputs},
	{"github composite action", githubCompositeEnv, githubOutputs},
	{"gitlab component", gitlabComponentEnv, gitlabOutputs},
	{"tekton task", tektonTaskEnv, tektonOutputs},
}

// githubDockerEnv follows GitHub's runner for a Docker action: every
// declared input is exported as INPUT_<NAME> — the user's value, else its
// default, else empty — and every input the user gave but the action does
// not declare too; names are upper-cased, spaces become underscores and
// hyphens are kept.
func githubDockerEnv(t *testing.T, given map[string]string, dir string) []string {
	inputs := declaredInputs(t, "action.yml")
	maps.Copy(inputs, given)
	env := githubRunnerEnv(dir)
	for name, v := range inputs {
		env = append(env, "INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))+"="+v)
	}
	return env
}

// githubCompositeEnv follows GitHub's runner (as act runs it) for a
// composite action: the inputs context holds each declared input — the
// value given, else its default — and nothing undeclared; the
// step's env: is evaluated against it (the two expressions the action
// uses: ${{ inputs.<name> }} and ${{ toJSON(inputs) }}); run.sh, which
// the step runs, is held apart in TestCompositeRunScript, so here its
// environment goes to the binary.
func githubCompositeEnv(t *testing.T, given map[string]string, dir string) []string {
	var action struct {
		Runs struct {
			Steps []struct {
				ID  string            `yaml:"id"`
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	readYAML(t, "composite/action.yml", &action)
	inputs := declaredInputs(t, "composite/action.yml")
	for name, v := range given {
		if _, declared := inputs[name]; declared {
			inputs[name] = v
		} // else dropped, with a warning of unexpected inputs
	}
	env := githubRunnerEnv(dir)
	expr := regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)
	for _, step := range action.Runs.Steps {
		if step.ID != "promote" {
			continue
		}
		for k, v := range step.Env {
			v = expr.ReplaceAllStringFunc(v, func(m string) string {
				e := expr.FindStringSubmatch(m)[1]
				if name, ok := strings.CutPrefix(e, "inputs."); ok {
					return inputs[name]
				}
				if e == "toJSON(inputs)" {
					return toJSON(t, inputs)
				}
				t.Fatalf("composite/action.yml: an expression this test does not evaluate: %s", m)
				return ""
			})
			env = append(env, k+"="+v)
		}
		return env
	}
	t.Fatal("composite/action.yml has no step with id promote")
	return nil
}

// declaredInputs are an action's inputs as its runner fills them in when
// none is given: each its default, else empty.
func declaredInputs(t *testing.T, path string) map[string]string {
	var action struct {
		Inputs map[string]struct {
			Default *string `yaml:"default"`
		} `yaml:"inputs"`
	}
	readYAML(t, path, &action)
	inputs := map[string]string{}
	for name, in := range action.Inputs {
		inputs[name] = ""
		if in.Default != nil {
			inputs[name] = *in.Default
		}
	}
	return inputs
}

func toJSON(t *testing.T, v map[string]string) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func githubRunnerEnv(dir string) []string {
	return []string{
		"GITHUB_ACTIONS=true", "GITHUB_WORKSPACE=" + dir, "GITHUB_OUTPUT=" + filepath.Join(dir, ".github_output"),
		"GITHUB_STEP_SUMMARY=" + filepath.Join(dir, ".step_summary"), "RUNNER_OS=Linux", "RUNNER_ARCH=X64",
	}
}

func githubOutputs(t *testing.T, dir string) map[string]string {
	b, err := os.ReadFile(filepath.Join(dir, ".github_output"))
	if err != nil {
		return map[string]string{}
	}
	out, err := runnerfiles.ParseGitHubOutput(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// gitlabComponentEnv follows GitLab for a CI/CD component: spec:inputs
// are checked (options, regex) and their values — given, else the
// default — interpolated into the job wherever $[[ inputs.<name> ]]
// stands; then the job's variables are expanded ($VAR), with the
// project's CI/CD variables and the ID token the job's id_tokens mint.
func gitlabComponentEnv(t *testing.T, given map[string]string, dir string) []string {
	b, err := os.ReadFile("templates/tcr-promote.yml")
	if err != nil {
		t.Fatal(err)
	}
	header, body, ok := strings.Cut(string(b), "\n---\n")
	if !ok {
		t.Fatal("templates/tcr-promote.yml: no spec document")
	}
	var spec struct {
		Spec struct {
			Inputs map[string]struct {
				Default any      `yaml:"default"`
				Options []string `yaml:"options"`
				Regex   string   `yaml:"regex"`
			} `yaml:"inputs"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(header), &spec); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for name, in := range spec.Spec.Inputs {
		v, ok := given[name]
		if !ok {
			if in.Default == nil {
				t.Fatalf("input %s is required by the component", name)
			}
			v = fmt.Sprint(in.Default)
		}
		if len(in.Options) > 0 && !slices.Contains(in.Options, v) {
			t.Fatalf("GitLab refuses input %s=%q: not one of %v", name, v, in.Options)
		}
		if in.Regex != "" && !regexp.MustCompile(in.Regex).MatchString(v) {
			t.Fatalf("GitLab refuses input %s=%q: it does not match %s", name, v, in.Regex)
		}
		values[name] = v
	}
	for name := range given {
		if _, ok := spec.Spec.Inputs[name]; !ok {
			t.Fatalf("GitLab refuses the include: unknown input %s", name)
		}
	}
	body = regexp.MustCompile(`\$\[\[\s*inputs\.(\w+)\s*\]\]`).ReplaceAllStringFunc(body, func(m string) string {
		name := regexp.MustCompile(`inputs\.(\w+)`).FindStringSubmatch(m)[1]
		return values[name]
	})
	var jobs map[string]struct {
		Variables map[string]string `yaml:"variables"`
		IDTokens  map[string]any    `yaml:"id_tokens"`
	}
	if err := yaml.Unmarshal([]byte(body), &jobs); err != nil {
		t.Fatalf("the interpolated job: %v", err)
	}
	project := map[string]string{
		"GITLAB_CI": "true", "CI": "true", "CI_PROJECT_DIR": dir, "CI_PROJECT_PATH": "acme/app", "CI_PIPELINE_ID": "7",
		"TENCENTCLOUD_SECRET_ID": refID, "TENCENTCLOUD_SECRET_KEY": refKey,
	}
	for _, job := range jobs {
		for name := range job.IDTokens {
			project[name] = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln" // minted for every job that declares it
		}
		env := []string{}
		for k, v := range project {
			env = append(env, k+"="+v)
		}
		for k, v := range job.Variables {
			env = append(env, k+"="+os.Expand(v, func(n string) string { return project[n] }))
		}
		return env
	}
	t.Fatal("templates/tcr-promote.yml: no job")
	return nil
}

func gitlabOutputs(t *testing.T, dir string) map[string]string {
	path := filepath.Join(dir, "tcr-promote.env")
	if _, err := os.Stat(path); err != nil {
		return map[string]string{}
	}
	out := map[string]string{}
	for k, v := range readDotenvFile(t, path) {
		out[strings.ToLower(strings.TrimPrefix(k, "TCR_"))] = v
	}
	return out
}

// tektonTaskEnv follows Tekton for a Task's step: each param's value —
// given, else its default — replaces $(params.<name>), the credentials
// Secret's keys fill the secretKeyRef variables, and the results
// directory Tekton mounts at /tekton/results is dir's results/.
func tektonTaskEnv(t *testing.T, given map[string]string, dir string) []string {
	var task struct {
		Spec struct {
			Params []struct {
				Name    string  `yaml:"name"`
				Default *string `yaml:"default"`
			} `yaml:"params"`
			Steps []struct {
				Env []struct {
					Name      string `yaml:"name"`
					Value     string `yaml:"value"`
					ValueFrom struct {
						SecretKeyRef struct{ Key string } `yaml:"secretKeyRef"`
					} `yaml:"valueFrom"`
				} `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"spec"`
	}
	readYAML(t, "tekton/tcr-promote.yaml", &task)
	params, declared := map[string]string{}, map[string]bool{}
	for _, p := range task.Spec.Params {
		declared[p.Name] = true
		if p.Default == nil {
			if _, ok := given[p.Name]; !ok {
				t.Fatalf("param %s is required by the Task", p.Name)
			}
			continue
		}
		params[p.Name] = *p.Default
	}
	for name, v := range given {
		if !declared[name] {
			t.Fatalf("Tekton refuses the TaskRun: no param %s", name)
		}
		params[name] = v
	}
	secret := map[string]string{"secret_id": refID, "secret_key": refKey}
	results := filepath.Join(dir, "results")
	if err := os.MkdirAll(results, 0o755); err != nil {
		t.Fatal(err)
	}
	ref := regexp.MustCompile(`\$\(params\.([\w-]+)\)`)
	env := []string{}
	for _, e := range task.Spec.Steps[0].Env {
		if k := e.ValueFrom.SecretKeyRef.Key; k != "" {
			if v, ok := secret[k]; ok {
				env = append(env, e.Name+"="+v)
			}
			continue
		}
		v := ref.ReplaceAllStringFunc(e.Value, func(m string) string { return params[ref.FindStringSubmatch(m)[1]] })
		env = append(env, e.Name+"="+strings.Replace(v, "/tekton/results", results, 1))
	}
	return env
}

func tektonOutputs(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	entries, _ := os.ReadDir(filepath.Join(dir, "results"))
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, "results", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// runHome runs the real binary in the environment home builds, in a
// fresh workspace holding files, against the emulator at endpoint.
func runHome(t *testing.T, h home, endpoint string, given map[string]string, files map[string]string) (code int, log string, outputs map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	creds := map[string]string{}
	if strings.HasPrefix(h.name, "github") {
		creds = map[string]string{"secret_id": refID, "secret_key": refKey} // from secrets, in with:
	}
	maps.Copy(creds, given)
	cmd := exec.Command(binary(t))
	cmd.Dir = dir
	// The endpoints are the one thing pointed elsewhere, as act's --env
	// points a workflow written for a real account at the emulator.
	cmd.Env = append(append(h.env(t, creds, dir), "PATH="+os.Getenv("PATH")), pointedAt(endpoint)...)
	out, _ := cmd.CombinedOutput()
	return cmd.ProcessState.ExitCode(), string(out), h.outputs(t, dir)
}

// TestWrappersAsEachRunnerRunsThem: every documented use works from each
// wrapper with only the inputs the README shows, whatever the runner
// fills in; a setting the user wrote is never lost.
func TestWrappersAsEachRunnerRunsThem(t *testing.T) {
	t.Parallel()
	const file = "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd, release/app:v1]\n"
	tests := []struct {
		name  string
		given func(h home) map[string]string
		files map[string]string
		code  int
		check func(t *testing.T, log string, outputs map[string]string, tags []string)
	}{
		{
			name: "one promotion",
			given: func(home) map[string]string {
				return map[string]string{"source_image": "acme.tencentcloudcr.com/develop/app:stg", "destination_image": "release/app:prd"}
			},
			check: func(t *testing.T, log string, outputs map[string]string, tags []string) {
				if outputs["digest"] != refDigest || outputs["promoted"] != "true" || !slices.Contains(tags, "prd") {
					t.Errorf("outputs %v, tags %v\n%s", outputs, tags, log)
				}
			},
		},
		{
			name:  "a promotion file alone",
			given: func(home) map[string]string { return map[string]string{"promotion_file": "promotions.yaml"} },
			files: map[string]string{"promotions.yaml": file},
			check: func(t *testing.T, log string, outputs map[string]string, tags []string) {
				if outputs["changes"] != "2" || !slices.Contains(tags, "prd") || !slices.Contains(tags, "v1") {
					t.Errorf("outputs %v, tags %v\n%s", outputs, tags, log)
				}
			},
		},
		{
			name: "a plan of a promotion file",
			given: func(home) map[string]string {
				return map[string]string{"promotion_file": "promotions.yaml", "mode": "plan"}
			},
			files: map[string]string{"promotions.yaml": file},
			check: func(t *testing.T, log string, outputs map[string]string, tags []string) {
				if outputs["changes"] != "2" || slices.Contains(tags, "prd") {
					t.Errorf("a plan copied: outputs %v, tags %v\n%s", outputs, tags, log)
				}
			},
		},
		{
			name: "a dry run as the user spells it",
			given: func(h home) map[string]string {
				key := "dry_run"
				if strings.HasPrefix(h.name, "github") {
					key = "dry-run" // GitHub's docs spell inputs with hyphens
				}
				return map[string]string{"source_image": "acme.tencentcloudcr.com/develop/app:stg", "destination_image": "release/app:prd", key: "true"}
			},
			check: func(t *testing.T, log string, outputs map[string]string, tags []string) {
				if slices.Contains(tags, "prd") || outputs["promoted"] != "false" {
					t.Errorf("a dry run copied: outputs %v, tags %v\n%s", outputs, tags, log)
				}
			},
		},
		{
			name: "a gate as the user spells it",
			given: func(h home) map[string]string {
				key := "require_signature"
				if strings.HasPrefix(h.name, "github") {
					key = "require-signature"
				}
				return map[string]string{"source_image": "acme.tencentcloudcr.com/develop/app:stg", "destination_image": "release/app:prd", key: "cosign"}
			},
			code: 78,
			check: func(t *testing.T, log string, outputs map[string]string, tags []string) {
				if slices.Contains(tags, "prd") || outputs["error_class"] != "policy" {
					t.Errorf("an unsigned image passed the gate: outputs %v, tags %v\n%s", outputs, tags, log)
				}
			},
		},
	}
	for _, h := range homes {
		for _, tt := range tests {
			t.Run(h.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				emu, endpoint := world(t)
				code, log, outputs := runHome(t, h, endpoint, tt.given(h), tt.files)
				if code != tt.code {
					t.Fatalf("exit %d, want %d\n%s", code, tt.code, log)
				}
				tt.check(t, log, outputs, emu.Tags("tcr-sh", "release", "app"))
			})
		}
	}
}

// TestGitHubSpellingsThatDisagree: the two forms of one input with two
// values stop the step before anything is sent.
func TestGitHubSpellingsThatDisagree(t *testing.T) {
	t.Parallel()
	for _, h := range homes[:2] {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel()
			emu, endpoint := world(t)
			given := map[string]string{"source_image": "acme.tencentcloudcr.com/develop/app:stg", "destination_image": "release/app:prd", "destination-image": "release/app:v2"}
			code, log, _ := runHome(t, h, endpoint, given, nil)
			if code != 64 || !strings.Contains(log, "are two spellings of destination_image that disagree") || len(emu.Requests()) != 0 {
				t.Errorf("exit %d after %d requests, want 64 naming both, nothing sent\n%s", code, len(emu.Requests()), log)
			}
		})
	}
}
