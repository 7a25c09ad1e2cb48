// Package cienv reads what the CI runner tells the step through its own
// variables: which runner it is (GitHub, Drone, Woodpecker, CNB, GitLab),
// where its outputs go, its OIDC token endpoint, and the run the step is
// part of, for the promotion record.
package cienv

// Env is what the CI runner tells the step through its own variables,
// read once, with the settings.
type Env struct {
	GitHub       bool     // GITHUB_ACTIONS=true: workflow commands, masks, annotations
	GitHubOutput string   // $GITHUB_OUTPUT
	StepSummary  string   // $GITHUB_STEP_SUMMARY
	DroneOutput  string   // $DRONE_OUTPUT (Harness)
	CNB          bool     // CNB=true: outputs as ##[set-output] lines
	TokenURL     string   // $ACTIONS_ID_TOKEN_REQUEST_URL: GitHub's OIDC token endpoint
	TokenBearer  string   // $ACTIONS_ID_TOKEN_REQUEST_TOKEN
	RunnerDebug  bool     // RUNNER_DEBUG=1: GitHub's "debug logging" re-run
	Drone        bool     // DRONE=true (not Woodpecker's compatibility): exit 78 ends a pipeline as passing
	Pipeline     Pipeline // the CI run, for the promotion record
}

// Pipeline is the CI run the step is part of, whatever the runner says
// of it.
type Pipeline struct {
	System, Repository, ID, URL, Commit, Actor string
}

// readPipeline reads the run from each CI's own variables.
func readPipeline(get func(string) string) Pipeline {
	run := func(keys ...string) Pipeline {
		v := make([]string, len(keys))
		for i, k := range keys {
			v[i] = get(k)
		}
		return Pipeline{Repository: v[0], ID: v[1], URL: v[2], Commit: v[3], Actor: v[4]}
	}
	var r Pipeline
	switch {
	case get("GITHUB_ACTIONS") == "true":
		r = run("GITHUB_REPOSITORY", "GITHUB_RUN_ID", "", "GITHUB_SHA", "GITHUB_ACTOR")
		if server := get("GITHUB_SERVER_URL"); server != "" && r.Repository != "" && r.ID != "" {
			r.URL = server + "/" + r.Repository + "/actions/runs/" + r.ID
		}
		r.System = "github-actions"
	case get("GITLAB_CI") == "true":
		r = run("CI_PROJECT_PATH", "CI_PIPELINE_ID", "CI_PIPELINE_URL", "CI_COMMIT_SHA", "GITLAB_USER_LOGIN")
		r.System = "gitlab-ci"
	case get("CNB") == "true":
		r = run("CNB_REPO_SLUG", "CNB_BUILD_ID", "CNB_BUILD_WEB_URL", "CNB_COMMIT", "CNB_BUILD_USER")
		r.System = "cnb"
	case get("CI") == "woodpecker":
		r = run("CI_REPO", "CI_PIPELINE_NUMBER", "CI_PIPELINE_URL", "CI_COMMIT_SHA", "CI_COMMIT_AUTHOR")
		r.System = "woodpecker"
	case get("DRONE") == "true":
		r = run("DRONE_REPO", "DRONE_BUILD_NUMBER", "DRONE_BUILD_LINK", "DRONE_COMMIT_SHA", "DRONE_COMMIT_AUTHOR")
		r.System = "drone"
	}
	return r
}

// Read reads the runner's variables through get, which answers "" for
// one that is not set.
func Read(get func(string) string) Env {
	return Env{
		GitHub: get("GITHUB_ACTIONS") == "true", GitHubOutput: get("GITHUB_OUTPUT"), StepSummary: get("GITHUB_STEP_SUMMARY"),
		DroneOutput: get("DRONE_OUTPUT"), CNB: get("CNB") == "true",
		TokenURL: get("ACTIONS_ID_TOKEN_REQUEST_URL"), TokenBearer: get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
		RunnerDebug: get("RUNNER_DEBUG") == "1",
		Drone:       get("DRONE") == "true" && get("CI") != "woodpecker",
		Pipeline:    readPipeline(get),
	}
}
