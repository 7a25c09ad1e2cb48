package settings

// CIEnv is what the CI runner tells the step through its own variables,
// read once, with the settings.
type CIEnv struct {
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
func readPipeline(l *lookuper) Pipeline {
	get := func(keys ...string) Pipeline {
		v := make([]string, len(keys))
		for i, k := range keys {
			v[i] = l.plain(k)
		}
		return Pipeline{Repository: v[0], ID: v[1], URL: v[2], Commit: v[3], Actor: v[4]}
	}
	var r Pipeline
	switch {
	case l.plain("GITHUB_ACTIONS") == "true":
		r = get("GITHUB_REPOSITORY", "GITHUB_RUN_ID", "", "GITHUB_SHA", "GITHUB_ACTOR")
		if server := l.plain("GITHUB_SERVER_URL"); server != "" && r.Repository != "" && r.ID != "" {
			r.URL = server + "/" + r.Repository + "/actions/runs/" + r.ID
		}
		r.System = "github-actions"
	case l.plain("GITLAB_CI") == "true":
		r = get("CI_PROJECT_PATH", "CI_PIPELINE_ID", "CI_PIPELINE_URL", "CI_COMMIT_SHA", "GITLAB_USER_LOGIN")
		r.System = "gitlab-ci"
	case l.plain("CNB") == "true":
		r = get("CNB_REPO_SLUG", "CNB_BUILD_ID", "CNB_BUILD_WEB_URL", "CNB_COMMIT", "CNB_BUILD_USER")
		r.System = "cnb"
	case l.plain("CI") == "woodpecker":
		r = get("CI_REPO", "CI_PIPELINE_NUMBER", "CI_PIPELINE_URL", "CI_COMMIT_SHA", "CI_COMMIT_AUTHOR")
		r.System = "woodpecker"
	case l.plain("DRONE") == "true":
		r = get("DRONE_REPO", "DRONE_BUILD_NUMBER", "DRONE_BUILD_LINK", "DRONE_COMMIT_SHA", "DRONE_COMMIT_AUTHOR")
		r.System = "drone"
	}
	return r
}

func readCIEnv(l *lookuper) CIEnv {
	return CIEnv{
		GitHub: l.plain("GITHUB_ACTIONS") == "true", GitHubOutput: l.plain("GITHUB_OUTPUT"), StepSummary: l.plain("GITHUB_STEP_SUMMARY"),
		DroneOutput: l.plain("DRONE_OUTPUT"), CNB: l.plain("CNB") == "true",
		TokenURL: l.plain("ACTIONS_ID_TOKEN_REQUEST_URL"), TokenBearer: l.plain("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
		RunnerDebug: l.plain("RUNNER_DEBUG") == "1",
		Drone:       l.plain("DRONE") == "true" && l.plain("CI") != "woodpecker",
		Pipeline:    readPipeline(l),
	}
}
