package plugin

import "github.com/tcr-promote/tcr-promote/internal/runnerfiles"

// parseGitHubOutput reads $GITHUB_OUTPUT as the runner does.
var parseGitHubOutput = runnerfiles.ParseGitHubOutput

// ParseGitHubOutput is for the external tests too (plugin_test).
var ParseGitHubOutput = parseGitHubOutput
