package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// docText is every page of the documentation, the README first.
func docText(t *testing.T) string {
	t.Helper()
	pages, _ := filepath.Glob("docs/*.md")
	more, _ := filepath.Glob("docs/*/*.md")
	var b strings.Builder
	for _, p := range append(append([]string{"README.md", "CONTRIBUTING.md"}, pages...), more...) {
		text, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(text)
		b.WriteString("\n")
	}
	return b.String()
}

// documentedMB reads a size in MB that the docs give, by a pattern whose
// one group is the number.
func documentedMB(t *testing.T, pattern string) float64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(docText(t))
	if m == nil {
		t.Fatalf("the docs say nothing that matches %s", pattern)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// near fails unless documented (MB) is within 5% of measured (bytes).
func near(t *testing.T, what string, documented float64, measured int64) {
	t.Helper()
	got := float64(measured) / 1e6
	if documented < got*0.95 || documented > got*1.05 {
		t.Errorf("README.md says %s is %.1f MB; measured %.2f MB (%d bytes): update it", what, documented, got, measured)
	}
}

// TestDocumentedFigures: sizes and counts in the README come from a
// measurement, here, not from memory.
func TestDocumentedFigures(t *testing.T) {
	t.Parallel()
	fi, err := os.Stat(binary(t)) // built as the release builds it
	if err != nil {
		t.Fatal(err)
	}
	near(t, "the binary", documentedMB(t, `the binary\s+is \*\*([\d.]+) MB\*\*`), fi.Size())
	for _, m := range regexp.MustCompile(`decodes (\d+) fields`).FindAllStringSubmatch(docText(t), -1) {
		if n, _ := strconv.Atoi(m[1]); n != len(settings.All()) {
			t.Errorf("the docs say %q, but there are %d settings", m[0], len(settings.All()))
		}
	}
}

// TestCAMPolicyListsEveryAction: the Permissions section's list and its
// JSON policy name the same actions, and they are every TCR action the
// step can send (internal/tcr's requests).
func TestCAMPolicyListsEveryAction(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("internal/tcr/*.go")
	want := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`func New(\w+)Request`).FindAllSubmatch(src, -1) {
			want[string(m[1])] = true
		}
	}
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "## Permissions (CAM)")
	end := strings.Index(text[start:], "\n## ")
	section := text[start : start+end]
	prose, policy := map[string]bool{}, map[string]bool{}
	for _, m := range regexp.MustCompile("`tcr:(\\w+)`").FindAllStringSubmatch(section, -1) {
		prose[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`"name/tcr:(\w+)"`).FindAllStringSubmatch(section, -1) {
		policy[m[1]] = true
	}
	for name, got := range map[string]map[string]bool{"the list": prose, "the JSON policy": policy} {
		for a := range want {
			if !got[a] {
				t.Errorf("Permissions: %s lacks tcr:%s, which the step sends", name, a)
			}
		}
		for a := range got {
			if !want[a] {
				t.Errorf("Permissions: %s names tcr:%s, which the step never sends", name, a)
			}
		}
	}
}

// TestExitCodesListedEverywhere: each page that lists the exit codes
// lists every one the binary has.
func TestExitCodesListedEverywhere(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("cnb/README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(b), "- Exit codes:")
	if start < 0 {
		t.Fatal("cnb/README.md lists no exit codes")
	}
	list := string(b[start:])
	list = list[:strings.Index(list, "\n- ")]
	for _, c := range failure.Classes() {
		if !regexp.MustCompile(`\b` + strconv.Itoa(c.Code) + ` ` + c.Name + `\b`).MatchString(list) {
			t.Errorf("cnb/README.md's exit codes lack %d %s", c.Code, c.Name)
		}
	}
}

// TestNoExpressionsInActionMetadata: GitHub's runner and act refuse an
// action whose descriptions hold ${{ … }}.
func TestNoExpressionsInActionMetadata(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"action.yml", "composite/action.yml"} {
		var action struct {
			Description string                                  `yaml:"description"`
			Inputs      map[string]struct{ Description string } `yaml:"inputs"`
			Outputs     map[string]struct{ Description string } `yaml:"outputs"`
		}
		readYAML(t, f, &action)
		descs := map[string]string{"description": action.Description}
		for n, in := range action.Inputs {
			descs["input "+n] = in.Description
		}
		for n, o := range action.Outputs {
			descs["output "+n] = o.Description
		}
		for where, d := range descs {
			if strings.Contains(d, "${{") {
				t.Errorf("%s: %s's description holds an expression: %q", f, where, d)
			}
		}
	}
}

// TestExampleActionsOneWay: the GitHub examples name every action one
// way — by major version, which Dependabot or Renovate can pin to a
// commit in a user's repository — not some by commit and some by tag.
func TestExampleActionsOneWay(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("examples/github/*.yml")
	uses := regexp.MustCompile(`uses:\s*([\w./-]+)@(\S+)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range uses.FindAllStringSubmatch(string(b), -1) {
			if !regexp.MustCompile(`^v\d+$`).MatchString(m[2]) {
				t.Errorf("%s: %s@%s is not named by major version, as the other examples are", f, m[1], m[2])
			}
		}
	}
}

// TestModuleCosts: the table of what each module costs in the binary
// (docs/performance.md) is what bench/depsize measures now.
func TestModuleCosts(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "tcr-promote")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "run", "./bench/depsize", bin).Output()
	if err != nil {
		t.Fatalf("depsize: %v", err)
	}
	measured := moduleRows(string(out))
	doc, err := os.ReadFile("docs/performance.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(doc), "<!-- module-costs -->")
	table, _, _ = strings.Cut(table, "<!-- /module-costs -->")
	documented := moduleRows(table)
	if len(documented) == 0 {
		t.Fatal("docs/performance.md has no module-costs table")
	}
	for module, want := range documented {
		got, ok := measured[module]
		if !ok {
			t.Errorf("%s is documented but no longer in the binary", module)
			continue
		}
		if d := got - want; d > want/20 && d > 20_000 || -d > want/20 && -d > 20_000 {
			t.Errorf("%s: documented %d bytes, measured %d: update docs/performance.md from `go run ./bench/depsize`", module, want, got)
		}
	}
}

// moduleRows reads "| module | bytes | …" rows of a Markdown table.
func moduleRows(text string) map[string]int64 {
	rows := map[string]int64{}
	for line := range strings.Lines(text) {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) < 2 {
			continue
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(cells[1]), ",", ""), 10, 64)
		if err == nil {
			rows[strings.TrimSpace(cells[0])] = n
		}
	}
	return rows
}

// TestPerformanceFiguresMeasured: every figure in bold between the
// "measured" markers of docs/performance.md is one that scripts/bench.sh
// printed in its last recorded run (docs/bench/latest.txt), at the
// precision the page gives it.
func TestPerformanceFiguresMeasured(t *testing.T) {
	t.Parallel()
	out, err := os.ReadFile("docs/bench/latest.txt")
	if err != nil {
		t.Fatal(err)
	}
	// Only the benchmarks' own result lines: a log line's number is not
	// a measurement.
	number := regexp.MustCompile(`\d+(?:\.\d+)?`)
	var measured []float64
	for line := range strings.Lines(string(out)) {
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		for _, m := range number.FindAllString(line, -1) {
			v, _ := strconv.ParseFloat(m, 64)
			measured = append(measured, v)
		}
	}
	doc, err := os.ReadFile("docs/performance.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := regexp.MustCompile(`(?s)<!-- measured -->(.*?)<!-- /measured -->`).FindAllStringSubmatch(string(doc), -1)
	if len(sections) == 0 {
		t.Fatal("docs/performance.md marks no measured figures")
	}
	checked := 0
	for _, s := range sections {
		for _, bold := range regexp.MustCompile(`\*\*([^*]+)\*\*`).FindAllStringSubmatch(s[1], -1) {
			for _, figure := range number.FindAllString(strings.ReplaceAll(bold[1], ",", ""), -1) {
				checked++
				if !printed(figure, measured) {
					t.Errorf("docs/performance.md gives %s (in **%s**), which the recorded run did not print: run scripts/bench.sh | tee docs/bench/latest.txt and update the page", figure, bold[1])
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d figures checked", checked)
	}
}

// TestAcrossFiguresMeasured: the table of the copy across instances
// against crane is the recorded run's, row for row.
func TestAcrossFiguresMeasured(t *testing.T) {
	t.Parallel()
	run, err := os.ReadFile("docs/bench/across.txt")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("docs/performance.md")
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile(`(?s)<!-- across -->\n(.*?)<!-- /across -->`).FindSubmatch(doc)
	if table == nil {
		t.Fatal("docs/performance.md marks no table of the copy across instances")
	}
	var recorded []string
	for line := range strings.Lines(string(run)) {
		if strings.HasPrefix(line, "|") {
			recorded = append(recorded, line)
		}
	}
	if diff := cmp.Diff(recorded, slices.Collect(strings.Lines(string(table[1])))); diff != "" {
		t.Errorf("the table is not docs/bench/across.txt's: run scripts/bench-across.sh | tee docs/bench/across.txt and copy it (-recorded +page):\n%s", diff)
	}
}

// printed reports whether figure is one of the numbers measured, rounded
// to figure's own precision.
func printed(figure string, measured []float64) bool {
	want, _ := strconv.ParseFloat(figure, 64)
	decimals := 0
	if _, frac, ok := strings.Cut(figure, "."); ok {
		decimals = len(frac)
	}
	scale := math.Pow(10, float64(decimals))
	for _, v := range measured {
		if math.Abs(math.Round(v*scale)/scale-want) < 1e-9 {
			return true
		}
	}
	return false
}
