package cienv_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/cienv"
)

// TestRead: each runner's own variables say which runner it is and which
// run the step is part of; Woodpecker's Drone-compatible variables do not
// make it Drone.
func TestRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars map[string]string
		want cienv.Env
	}{
		{"GitHub", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/app", "GITHUB_RUN_ID": "7", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_SHA": "abc", "GITHUB_ACTOR": "kim", "GITHUB_OUTPUT": "/o", "RUNNER_DEBUG": "1"},
			cienv.Env{GitHub: true, GitHubOutput: "/o", RunnerDebug: true, Pipeline: cienv.Pipeline{System: "github-actions", Repository: "acme/app", ID: "7", URL: "https://github.com/acme/app/actions/runs/7", Commit: "abc", Actor: "kim"}}},
		{"GitLab", map[string]string{"GITLAB_CI": "true", "CI_PROJECT_PATH": "acme/app", "CI_PIPELINE_ID": "9", "CI_PIPELINE_URL": "https://gitlab/p/9"},
			cienv.Env{Pipeline: cienv.Pipeline{System: "gitlab-ci", Repository: "acme/app", ID: "9", URL: "https://gitlab/p/9"}}},
		{"Woodpecker, with Drone's variables", map[string]string{"CI": "woodpecker", "DRONE": "true", "CI_REPO": "acme/app", "CI_PIPELINE_NUMBER": "3"},
			cienv.Env{Pipeline: cienv.Pipeline{System: "woodpecker", Repository: "acme/app", ID: "3"}}},
		{"Drone", map[string]string{"DRONE": "true", "DRONE_REPO": "acme/app", "DRONE_BUILD_NUMBER": "4", "DRONE_OUTPUT": "/d"},
			cienv.Env{Drone: true, DroneOutput: "/d", Pipeline: cienv.Pipeline{System: "drone", Repository: "acme/app", ID: "4"}}},
		{"CNB", map[string]string{"CNB": "true", "CNB_REPO_SLUG": "acme/app", "CNB_BUILD_ID": "5"},
			cienv.Env{CNB: true, Pipeline: cienv.Pipeline{System: "cnb", Repository: "acme/app", ID: "5"}}},
		{"none", map[string]string{}, cienv.Env{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := cienv.Read(func(k string) string { return tt.vars[k] })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}
