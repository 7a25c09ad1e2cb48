package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// files checks where the outputs go, before any request: they are written
// after the copy, when it is too late to say that no later step will
// learn of it.
func (p *parser) files(s *Settings, c *Config) {
	c.OutputFile = p.outputFile("OUTPUT_FILE", s.OutputFile)
	c.RecordFile = p.outputFile("RECORD_FILE", s.RecordFile)
	c.PlanFile = p.outputFile("PLAN_FILE", s.PlanFile)
	c.DotenvPrefix = p.match("DOTENV_PREFIX", s.DotenvPrefix, isKeyPrefix, "a prefix of dotenv keys: letters, digits and _, not starting with a digit (e.g. TCR_)")
	c.OutputDir = p.directory("OUTPUT_DIR", s.OutputDir)
}

// directory checks that v, when set, is a directory the step can write to.
func (p *parser) directory(key, v string) string {
	if v == "" {
		return ""
	}
	if fi, err := os.Stat(v); err != nil || !fi.IsDir() {
		p.fail("%s: %q is not a directory", p.l.Key(key), v)
		return "" // nothing is written there: one error, not two
	} else if err := writable(v); err != nil {
		p.fail("%s: %q is not a directory the step can write to: %v", p.l.Key(key), v, err)
		return ""
	}
	return v
}

// outputFile checks that v, when set, is a file the step can create or
// replace: its directory exists and takes new files, and it is not itself
// a directory.
func (p *parser) outputFile(key, v string) string {
	if v == "" {
		return ""
	}
	if p.lostWithContainer(v) {
		p.fail("%s: %q is inside the action's container, which ends with the step: later steps see only the workspace (%s); write it there, e.g. as a relative path", p.l.Key(key), v, actionWorkspace)
		return ""
	}
	dir := filepath.Dir(v)
	var err error
	if fi, serr := os.Stat(v); serr == nil && fi.IsDir() {
		err = errors.New("it is a directory, not a file")
	} else if fi, serr := os.Stat(dir); serr != nil || !fi.IsDir() {
		err = fmt.Errorf("%s is not a directory: create it first (the outputs are written after the copy)", dir)
	} else {
		err = writable(dir)
	}
	if err != nil {
		p.fail("%s: %q cannot be written: %v", p.l.Key(key), v, err)
		return "" // nothing is written there: one error, not two
	}
	return v
}

// actionWorkspace is where GitHub's runner mounts the workspace into a
// Docker action's container.
const actionWorkspace = "/github/workspace"

// lostWithContainer reports whether path, written by the step running as
// GitHub's Docker action, lands where no later step can read it: the
// runner mounts only the workspace and /github/{home,workflow,
// file_commands} (so ${{ runner.temp }} is not there).
func (p *parser) lostWithContainer(path string) bool {
	if p.l.Plain("GITHUB_ACTIONS") != "true" || p.l.Plain("GITHUB_WORKSPACE") != actionWorkspace || !filepath.IsAbs(path) {
		return false
	}
	for _, shared := range []string{actionWorkspace, "/github/home", "/github/workflow", "/github/file_commands"} {
		if path == shared || strings.HasPrefix(path, shared+"/") {
			return false
		}
	}
	return true
}

// writable proves that dir takes new files by making one: permission
// bits, read-only mounts and ACLs all show.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".tcr-promote-check-*")
	if err != nil {
		return errors.Unwrap(err) // the path is in the message already
	}
	return errors.Join(f.Close(), os.Remove(f.Name()))
}

// isKeyPrefix: what may stand before a dotenv key, by GitLab's rules for
// them: letters, digits and _, not starting with a digit.
func isKeyPrefix(s string) bool {
	return len(s) <= 64 && (s[0] < '0' || s[0] > '9') &&
		strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == ""
}
