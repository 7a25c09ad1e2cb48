// Package runnerfiles reads the files CI runners read, as they read them,
// for the tests: a step's outputs must come back as the runner would see
// them.
package runnerfiles

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// ParseGitHubOutput reads a $GITHUB_OUTPUT file as the Actions runner does:
// name=value lines and name<<DELIMITER blocks.
func ParseGitHubOutput(content string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(content))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				val = append(val, sc.Text())
			}
			if !closed {
				return nil, errors.New("unclosed delimiter")
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, errors.New("bad line " + line)
		}
		out[name] = val
	}
	return out, sc.Err()
}

// ParseDotenv reads a dotenv file as GitLab reads an artifacts:reports:dotenv
// one, strictly: KEY=value lines, upper-case keys without blanks, the value
// to the end of the line.
func ParseDotenv(content string) (map[string]string, error) {
	out := map[string]string{}
	for line := range strings.Lines(content) {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		if !ok || strings.ContainsAny(k, " \t\r") || k != strings.ToUpper(k) {
			return nil, errors.New("bad dotenv line " + line)
		}
		out[k] = v
	}
	return out, nil
}

// ReadDotenv reads the dotenv file at path with ParseDotenv.
func ReadDotenv(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out, err := ParseDotenv(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return out, nil
}

// Command is a workflow command a runner found in a log line.
type Command struct{ Name, Data string }

// ParseCommands reads log lines as GitHub's runner does
// (ActionCommand.TryParseV2, then TryParse): "::name" at the start of a
// line after its leading blanks are trimmed, and the legacy "##[name"
// anywhere in it — the form CNB reads its outputs in too.
func ParseCommands(log string) []Command {
	var out []Command
	for line := range strings.Lines(log) {
		line = strings.TrimRight(line, "\r\n")
		if v2 := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(v2, "::") {
			rest := v2[2:]
			if end := strings.Index(rest, "::"); end >= 0 {
				name, _, _ := strings.Cut(rest[:end], " ")
				out = append(out, Command{strings.ToLower(name), rest[end+2:]})
				continue
			}
		}
		if i := strings.Index(line, "##["); i >= 0 {
			rest := line[i+3:]
			if end := strings.IndexByte(rest, ']'); end >= 0 {
				name, _, _ := strings.Cut(rest[:end], " ")
				out = append(out, Command{strings.ToLower(name), rest[end+1:]})
			}
		}
	}
	return out
}
