package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// markdownDoc is a Markdown file as GitHub renders it, as far as these
// checks need: its headings' anchors and its links, outside code.
type markdownDoc struct {
	anchors  map[string]bool
	links    []markdownLink
	unclosed int // the line of a code fence that never closes, 0 if none
}

type markdownLink struct {
	line   int
	target string
}

var (
	fenceOpen  = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})(.*)$")
	heading    = regexp.MustCompile(`^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
	linkTarget = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	inlineCode = regexp.MustCompile("`+[^`]*`+")
	htmlAnchor = regexp.MustCompile(`<a (?:name|id)="([^"]+)"`)
)

// parseMarkdown follows CommonMark's fences (a closing fence is the
// opening's character, at least as long, and nothing after it but
// spaces) and GitHub's heading anchors (lower case, punctuation dropped,
// spaces to hyphens, -1, -2 … for repeats).
func parseMarkdown(text string) markdownDoc {
	doc := markdownDoc{anchors: map[string]bool{}}
	seen := map[string]int{}
	var fence string
	for i, line := range strings.Split(text, "\n") {
		if fence != "" {
			trimmed := strings.TrimLeft(line, " ")
			if len(line)-len(trimmed) <= 3 && strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]+" \t") == "" {
				fence, doc.unclosed = "", 0
			}
			continue
		}
		if m := fenceOpen.FindStringSubmatch(line); m != nil && !(m[1][0] == '`' && strings.Contains(m[2], "`")) {
			fence, doc.unclosed = m[1], i+1
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			doc.anchors[m[1]] = true
		}
		if m := heading.FindStringSubmatch(line); m != nil {
			slug := slugify(m[1])
			if n := seen[slug]; n > 0 {
				doc.anchors[slug+"-"+strconv.Itoa(n)] = true
			} else {
				doc.anchors[slug] = true
			}
			seen[slug]++
		}
		for _, m := range linkTarget.FindAllStringSubmatch(inlineCode.ReplaceAllString(line, ""), -1) {
			doc.links = append(doc.links, markdownLink{i + 1, m[1]})
		}
	}
	return doc
}

// slugify is GitHub's anchor for a heading's text.
func slugify(h string) string {
	h = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(h, "$1") // a link's text
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 && !strings.ContainsRune("—–’“”…→", r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestMarkdownRenders: every Markdown file's code fences close, and every
// link — in the page or to another file — leads somewhere.
func TestMarkdownRenders(t *testing.T) {
	t.Parallel()
	docs := map[string]markdownDoc{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			docs[path] = parseMarkdown(string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, doc := range docs {
		if doc.unclosed > 0 {
			t.Errorf("%s:%d: a code fence that never closes: everything after it renders as code", path, doc.unclosed)
		}
		for _, l := range doc.links {
			if strings.Contains(l.target, "://") || strings.HasPrefix(l.target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(l.target, "#")
			target := path
			if file != "" {
				target = filepath.Join(filepath.Dir(path), file)
				if _, err := os.Stat(target); err != nil {
					t.Errorf("%s:%d: a link to %s, which is not there", path, l.line, l.target)
					continue
				}
			}
			if anchor == "" || !strings.HasSuffix(target, ".md") {
				continue
			}
			if !docs[target].anchors[anchor] {
				t.Errorf("%s:%d: a link to #%s, a heading %s does not have", path, l.line, anchor, target)
			}
		}
	}
}

// TestMarkdownChecksCatchBreaks: the checks above catch what broke the
// README: text after a closing fence, and a heading that is not one.
func TestMarkdownChecksCatchBreaks(t *testing.T) {
	t.Parallel()
	broken := parseMarkdown("```yaml\na: b\n``` trailing text\n\n## Tekton and Argo Workflows\n")
	if broken.unclosed == 0 || broken.anchors["tekton-and-argo-workflows"] {
		t.Errorf("text after a closing fence was not caught: %+v", broken)
	}
	ok := parseMarkdown("```yaml\na: b\n```\n\n## Tekton and Argo Workflows\n## GitHub on macOS and Windows\n### `plan_file`: the plan (v1.2)\n")
	for _, a := range []string{"tekton-and-argo-workflows", "github-on-macos-and-windows", "plan_file-the-plan-v12"} {
		if !ok.anchors[a] {
			t.Errorf("no anchor %s in %v", a, ok.anchors)
		}
	}
}
