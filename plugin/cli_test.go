package plugin_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// runArgs runs the step with a command line, and vars as its environment.
func runArgs(t *testing.T, args []string, vars map[string]string) runResult {
	t.Helper()
	return runWith(t, context.Background(), args, vars, nil)
}

// TestCommandLine: every setting is a flag; a flag wins over the
// environment; a true/false flag alone means true; an unknown one is 64,
// naming the nearest; --json gives a script the results on stdout.
func TestCommandLine(t *testing.T) {
	t.Parallel()
	base := func(f *fixture) []string {
		return []string{"--source-image", "acme.tencentcloudcr.com/develop/app:stg", "--registry-id=tcr-1", "--region", "ap-guangzhou",
			"--secret-id", secretID, "--secret-key=" + secretKey, "--endpoint", f.srv.URL}
	}
	t.Run("a promotion from flags alone", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		out := filepath.Join(f.dir, "out.env")
		res := runArgs(t, append(base(f), "--destination-image", "release/app:prd", "--output-file", out), map[string]string{"PLUGIN_ENDPOINT": f.srv.URL})
		if img, ok := f.emu.Lookup("tcr-1", "release", "app", "prd"); res.code != 0 || !ok || img.Digest != digestA || readDotenv(t, out)["PROMOTED"] != "true" {
			t.Errorf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
	t.Run("a true/false flag alone means true", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := runArgs(t, append(base(f), "--destination-image", "release/app:prd", "--dry-run"), map[string]string{"PLUGIN_ENDPOINT": f.srv.URL})
		if _, ok := f.emu.Lookup("tcr-1", "release", "app", "prd"); res.code != 0 || ok || !strings.Contains(res.stdout, "dry run") {
			t.Errorf("exit %d, copied %t\n%s%s", res.code, ok, res.stdout, res.stderr)
		}
	})
	t.Run("a flag wins over the environment", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		env := map[string]string{"PLUGIN_ENDPOINT": f.srv.URL, "PLUGIN_DRY_RUN": "true", "PLUGIN_DESTINATION_IMAGE": "release/app:other"}
		res := runArgs(t, append(base(f), "--destination-image=release/app:prd", "--dry-run=false"), env)
		if _, ok := f.emu.Lookup("tcr-1", "release", "app", "prd"); res.code != 0 || !ok {
			t.Errorf("exit %d, prd copied %t\n%s%s", res.code, ok, res.stdout, res.stderr)
		}
	})
	t.Run("an unknown flag", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := runArgs(t, append(base(f), "--destination-image", "release/app:prd", "--dryrun"), map[string]string{"PLUGIN_ENDPOINT": f.srv.URL})
		if res.code != 64 || !strings.Contains(res.stderr, `unknown argument "--dryrun": did you mean --dry-run?`) || len(f.emu.Requests()) != 0 {
			t.Errorf("exit %d after %d requests, want 64 naming --dry-run\n%s", res.code, len(f.emu.Requests()), res.stderr)
		}
	})
	t.Run("--json: the results on stdout, the log on stderr", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := runArgs(t, append(base(f), "--destination-image", "release/app:prd,release/app:v1", "--json"), map[string]string{"PLUGIN_ENDPOINT": f.srv.URL})
		var results []map[string]string
		if err := json.Unmarshal([]byte(res.stdout), &results); err != nil || res.code != 0 {
			t.Fatalf("exit %d, stdout is not the results (%v):\n%s\nstderr:\n%s", res.code, err, res.stdout, res.stderr)
		}
		if len(results) != 2 || results[0]["status"] != "promoted" || results[1]["digest"] != digestA || strings.Contains(res.stdout, secretKey) {
			t.Errorf("results %v", results)
		}
		if !strings.Contains(res.stderr, "promoted develop/app:stg") {
			t.Errorf("the log is not on stderr:\n%s", res.stderr)
		}
	})
}

// TestHelpGroups: --help lists every setting once, under its topic, the
// topics in the order people need them.
func TestHelpGroups(t *testing.T) {
	t.Parallel()
	help := plugin.Help()
	last := -1
	for _, g := range settings.Groups {
		i := strings.Index(help, "\n"+g.Title+":\n")
		if i < last {
			t.Errorf("topic %q is out of order or missing", g.Title)
		}
		last = i
	}
	for _, s := range settings.All() {
		if n := strings.Count(help, "  "+s.Flag()+" ("); n != 1 {
			t.Errorf("%s is listed %d times", s.Flag(), n)
		}
		if !slices.ContainsFunc(settings.Groups, func(g struct{ Key, Title string }) bool { return g.Key == s.Group }) {
			t.Errorf("%s is in no topic (%q)", s.Name, s.Group)
		}
	}
}

// TestLogForPeople: a plan says each destination in one line; several
// problems with the settings are one a line, then where to look.
func TestLogForPeople(t *testing.T) {
	t.Parallel()
	t.Run("a plan: one line a destination", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := runArgs(t, []string{"--source-image", "acme.tencentcloudcr.com/develop/app:stg", "--registry-id=tcr-1", "--region", "ap-guangzhou",
			"--secret-id", secretID, "--secret-key=" + secretKey, "--endpoint", f.srv.URL, "--destination-image", "release/app:prd,release/app:v1", "--mode", "plan"},
			map[string]string{"PLUGIN_ENDPOINT": f.srv.URL})
		for _, dst := range []string{"release/app:prd", "release/app:v1"} {
			if n := strings.Count(res.stdout, dst); res.code != 0 || n != 1 {
				t.Errorf("exit %d; %s is in %d lines, want 1:\n%s", res.code, dst, n, res.stdout)
			}
		}
	})
	t.Run("several problems: one a line", func(t *testing.T) {
		t.Parallel()
		res := runArgs(t, []string{"--source-image", "acme.tencentcloudcr.com/develop/app:stg", "--timeout", "x", "--retries", "-1"}, nil)
		want := "error: invalid settings (exit 64):\nerror:   - destination_tag is required"
		if res.code != 64 || !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "\nerror:   - --timeout: ") ||
			!strings.Contains(res.stderr, "\nerror:   see tcr-promote --help") {
			t.Errorf("exit %d:\n%s", res.code, res.stderr)
		}
	})
}

// TestLogInPromotionOrder: a batch's lines come in the order the settings
// list its destinations, whatever order the promotions finish in.
func TestLogInPromotionOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tags := []string{"t5", "t1", "t4", "t0", "t3", "t2"}
	res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_DESTINATION_TAG": strings.Join(tags, ",")}))
	last := -1
	for _, tag := range tags {
		i := strings.Index(res.stdout, "→ release/app:"+tag+" in")
		if i < 0 || i < last {
			t.Errorf("the line of release/app:%s is missing or out of order:\n%s", tag, res.stdout)
		}
		last = i
	}
}

// TestExplanationsInPromotionOrder: what a promotion says while it works
// ("already points at") comes with it, just before its own line, in the
// batch's order — not in the order the promotions happen to finish.
func TestExplanationsInPromotionOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tags := []string{"t5", "t1", "t4", "t0", "t3", "t2"}
	for _, there := range []string{"t1", "t0", "t2"} {
		if err := f.emu.PutImage("tcr-1", "release", "app", there, digestA); err != nil {
			t.Fatal(err)
		}
	}
	res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_DESTINATION_TAG": strings.Join(tags, ",")}))
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	prev := -1
	for _, tag := range tags {
		own := strings.Index(res.stdout, "→ release/app:"+tag+" in")
		if own < prev {
			t.Fatalf("the line of release/app:%s is out of order:\n%s", tag, res.stdout)
		}
		if tag == "t1" || tag == "t0" || tag == "t2" {
			said := strings.Index(res.stdout, "release/app:"+tag+" already points at")
			if said < prev || said > own {
				t.Errorf("what release/app:%s said is not between the line before and its own:\n%s", tag, res.stdout)
			}
		}
		prev = own
	}
}
