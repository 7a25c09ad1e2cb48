package settings_test

import (
	"testing"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// FuzzLoadConfig sets one setting, in one of its three forms, to an
// arbitrary value: parsing must not panic, and must either fail as a usage
// error or produce a config whose tags and names are valid.
func FuzzLoadConfig(f *testing.F) {
	f.Add(uint8(0), uint8(0), "tcr-1")
	f.Add(uint8(8), uint8(1), "yes")
	f.Add(uint8(14), uint8(2), "1h")
	f.Add(uint8(12), uint8(0), "http://[::1]:80")
	f.Add(uint8(5), uint8(1), "-prd\n")
	f.Add(uint8(16), uint8(0), "99999999999999999999")
	f.Add(uint8(3), uint8(0), `["app","api", "app"]`)
	f.Add(uint8(5), uint8(1), "prd,\nv1.4.2,,latest")
	f.Add(uint8(5), uint8(0), `[1]`)
	all := settings.All()
	f.Fuzz(func(t *testing.T, which, form uint8, value string) {
		vars := map[string]string{
			"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou",
			"PLUGIN_SOURCE_NAMESPACE": "develop", "PLUGIN_SOURCE_REPO": "app", "PLUGIN_SOURCE_REFERENCE": "stg",
			"PLUGIN_DESTINATION_TAG": "prd", "PLUGIN_SECRET_ID": "id", "PLUGIN_SECRET_KEY": "key",
		}
		s := all[int(which)%len(all)]
		names := s.Names()
		for _, n := range names {
			delete(vars, n)
		}
		vars[names[int(form)%len(names)]] = value
		cfg, err := settings.Load(envconfig.MapLookuper(vars))
		if cfg == nil {
			t.Fatal("nil config")
		}
		if err != nil {
			if failure.ClassOf(err) != failure.ClassUsage || failure.ExitCode(err) != 64 {
				t.Fatalf("error %v is not a usage error", err)
			}
			return
		}
		if len(cfg.Pairs) == 0 {
			t.Fatal("valid settings with nothing to promote")
		}
		for _, pair := range cfg.Pairs {
			if !(imageref.IsTag(pair.Source.Tag) || pair.Source.ByDigest()) || pair.Source.Digest != "" && !imageref.IsDigest(pair.Source.Digest) || !imageref.IsTag(pair.Destination.Tag) || !imageref.IsRepo(pair.Source.Repo) || !imageref.IsRepo(pair.Destination.Repo) {
				t.Fatalf("accepted %+v", pair)
			}
			if pair.Source == pair.Destination {
				t.Fatalf("accepted a promotion onto itself: %+v", pair)
			}
		}
		if cfg.Timeout <= 0 || cfg.AttemptTimeout <= 0 || cfg.Retries < 0 || cfg.RateLimit < 1 || cfg.Host == "" {
			t.Fatalf("accepted %+v", cfg)
		}
	})
}
