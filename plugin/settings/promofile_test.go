package settings_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// TestPromotionFileExample: the README's example file reads as it says:
// each destination a promotion at its position, override where written,
// the instance found from the registry host.
func TestPromotionFileExample(t *testing.T) {
	t.Parallel()
	const path = "../../examples/promotion-file/promotions.yaml"
	c, err := settings.Load(envconfig.MapLookuper(map[string]string{
		"PLUGIN_PROMOTION_FILE": path, "PLUGIN_SECRET_ID": "id", "PLUGIN_SECRET_KEY": "key", "PLUGIN_MODE": "plan",
	}))
	if err != nil {
		t.Fatal(err)
	}
	digest := "sha256:3b5c0a7e41d9c5e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"
	app := imageref.Ref{Namespace: "develop", Repo: "app", Digest: digest}
	api := imageref.Ref{Namespace: "develop", Repo: "api", Tag: "stg"}
	want := []settings.Pair{
		{Source: app, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "prd"}, Where: path + ":7:20", SourceAt: path + ":6:13"},
		{Source: app, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "v1.4.2"}, Where: path + ":7:37", SourceAt: path + ":6:13"},
		{Source: api, Destination: imageref.Ref{Namespace: "release", Repo: "api", Tag: "prd"}, Override: true, Where: path + ":9:20", SourceAt: path + ":8:13"},
	}
	if diff := cmp.Diff(want, c.Pairs); diff != "" {
		t.Errorf("pairs (-want +got):\n%s", diff)
	}
	got := []any{c.RegistryHost, c.InstanceNames, c.Mode, c.DryRun, c.File.Path}
	if diff := cmp.Diff([]any{"acme.tencentcloudcr.com", []string{"acme"}, "plan", true, path}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzPromotionFile reads arbitrary text as a promotion file: it must not
// panic, and must either fail as a usage error or give promotions whose
// names are valid, each destination a tag named once, never its source.
func FuzzPromotionFile(f *testing.F) {
	for _, seed := range []string{
		"registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n",
		"promotions:\n  - source: develop/app@sha256:" + strings.Repeat("a", 64) + "\n    destinations: release/app:prd\n    override: true\n",
		"registry: a\nregistry: b\n", "promotions: &x [*x]\n", "- 1\n- 2\n", "promotions:\n  - {source: [], destinations: {}}\n", "\x00",
		// The second round's rules: one document; booleans by their YAML type.
		"promotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n---\npromotions: []\n",
		"promotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n    override: True\n",
		"promotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n    override: 'true'\n",
		// Destinations on another instance, beside the file's own.
		"registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd, prod.tencentcloudcr.com/release/app:prd]\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(t.TempDir(), "promotions.yaml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := settings.Load(envconfig.MapLookuper(map[string]string{
			"PLUGIN_PROMOTION_FILE": path, "PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou", "PLUGIN_SECRET_ID": "id", "PLUGIN_SECRET_KEY": "key",
		}))
		if err != nil {
			if failure.ClassOf(err) != failure.ClassUsage {
				t.Fatalf("not a usage error: %v", err)
			}
			// Told within bounds, whatever the file holds.
			if n := len(err.Error()); n > 30_000 {
				t.Fatalf("an error of %d bytes", n)
			}
			return
		}
		// A file the step accepts is one document: what it promotes is
		// all the file says.
		dec := yaml.NewDecoder(strings.NewReader(text))
		var first, second yaml.Node
		if dec.Decode(&first) == nil && dec.Decode(&second) == nil && len(second.Content) > 0 && second.Content[0].Tag != "!!null" {
			t.Fatalf("accepted a second document: %q", text)
		}
		seen := map[imageref.Ref]bool{}
		for _, p := range c.Pairs {
			d := p.Destination
			if !imageref.IsTag(d.Tag) || d.Digest != "" || !imageref.IsRepo(d.Repo) || !imageref.IsNamespace(d.Namespace) || seen[d] || d == p.Source || p.Where == "" {
				t.Fatalf("bad promotion %+v from %q", p, text)
			}
			seen[d] = true
		}
	})
}
