package plugin_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tcr-promote/tcr-promote/internal/testenv"
)

// TestFilesReadSafely: every file the step reads — the promotion file,
// the CA bundle, the OIDC token file — is a regular file of a bounded
// size, read at once, or a usage error naming the setting, with nothing
// sent. None of these may hang the step or grow it without bound.
func TestFilesReadSafely(t *testing.T) {
	t.Parallel()
	special := func(t *testing.T, dir, kind string) string {
		path := filepath.Join(dir, kind)
		var err error
		switch kind {
		case "fifo":
			err = syscall.Mkfifo(path, 0o600) // nobody writes it
		case "zero":
			err = os.Symlink("/dev/zero", path)
		case "dir":
			err = os.Mkdir(path, 0o755)
		case "big":
			err = os.WriteFile(path, []byte(strings.Repeat("# padding\n", 500_000)), 0o644) // 5 MB
		}
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		setting, kind, want string
	}{
		{"PLUGIN_PROMOTION_FILE", "zero", "not a regular file (a device)"},
		{"PLUGIN_PROMOTION_FILE", "fifo", "not a regular file (a FIFO)"},
		{"PLUGIN_PROMOTION_FILE", "dir", "not a regular file (a directory)"},
		{"PLUGIN_PROMOTION_FILE", "big", "over the 4194304 this file may have"},
		{"PLUGIN_CA_CERT", "zero", "not a regular file (a device)"},
		{"PLUGIN_CA_CERT", "fifo", "not a regular file (a FIFO)"},
		{"PLUGIN_WEB_IDENTITY_TOKEN_FILE", "zero", "not a regular file (a device)"},
		{"PLUGIN_WEB_IDENTITY_TOKEN_FILE", "fifo", "not a regular file (a FIFO)"},
	}
	for _, tt := range tests {
		t.Run(tt.setting+"/"+tt.kind, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			vars := f.droneVars()
			path := special(t, t.TempDir(), tt.kind)
			switch tt.setting {
			case "PLUGIN_PROMOTION_FILE":
				vars = f.promotionFile(t, "")
			case "PLUGIN_WEB_IDENTITY_TOKEN_FILE":
				vars = testenv.With(vars, map[string]string{"PLUGIN_SECRET_ID": "", "PLUGIN_SECRET_KEY": "", "PLUGIN_ROLE_ARN": "qcs::cam::uin/1:roleName/ci", "PLUGIN_PROVIDER_ID": "p"})
			}
			vars[tt.setting] = path
			res := run(t, vars)
			if res.code != 64 || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want 64 with %q\n%s", res.code, tt.want, res.stderr)
			}
			if tt.setting != "PLUGIN_WEB_IDENTITY_TOKEN_FILE" && len(f.emu.Requests()) != 0 {
				t.Errorf("%d requests sent", len(f.emu.Requests()))
			}
			if f.emu.Count("DuplicateImage", "") != 0 {
				t.Error("a copy was made")
			}
		})
	}
}

// TestPromotionFileMeansWhatYAMLSays: a file is read by the YAML types
// its values resolve to, and one document only.
func TestPromotionFileMeansWhatYAMLSays(t *testing.T) {
	t.Parallel()
	t.Run("two documents", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		vars := f.promotionFile(t, "registry: acme.tencentcloudcr.com\npromotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n---\npromotions:\n  - source: develop/app:stg\n    destinations: [release/app:latest]\n")
		res := run(t, testenv.With(vars, map[string]string{"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou"}))
		if res.code != 64 || !strings.Contains(res.stderr, "promotions.yaml:6:1: a second YAML document") || len(f.emu.Requests()) != 0 {
			t.Errorf("exit %d after %d requests, want 64 at the second document\n%s", res.code, len(f.emu.Requests()), res.stderr)
		}
	})
	t.Run("a trailing --- is no second document", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		vars := f.promotionFile(t, "promotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n---\n")
		if res := run(t, testenv.With(vars, map[string]string{"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou"})); res.code != 0 {
			t.Errorf("exit %d\n%s", res.code, res.stderr)
		}
	})
	t.Run("an empty file", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		vars := f.promotionFile(t, "")
		res := run(t, testenv.With(vars, map[string]string{"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou"}))
		if res.code != 64 || !strings.Contains(res.stderr, "the file is empty") {
			t.Errorf("exit %d, want 64 saying the file is empty\n%s", res.code, res.stderr)
		}
	})
	t.Run("override: True is true", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB)
		vars := f.promotionFile(t, "promotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd]\n    override: True\n")
		res := run(t, testenv.With(vars, map[string]string{"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou"}))
		if img, _ := f.emu.Lookup("tcr-1", "release", "app", "prd"); res.code != 0 || img.Digest != digestA {
			t.Errorf("exit %d, prd at %s, want the override done\n%s", res.code, img.Digest, res.stderr)
		}
	})
	t.Run("a bad source of megabytes is not echoed whole", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		huge := "develop/" + strings.Repeat("A", 3<<20) + ":stg"
		vars := f.promotionFile(t, "promotions:\n  - source: "+huge+"\n    destinations: [release/app:prd]\n")
		res := run(t, testenv.With(vars, map[string]string{"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou"}))
		if res.code != 64 || len(res.stdout)+len(res.stderr) > 20_000 {
			t.Errorf("exit %d with %d bytes of log, want 64 in a few KB", res.code, len(res.stdout)+len(res.stderr))
		}
	})
}

// TestSecretsInEveryForm: a password in the store's URL — as userinfo,
// as a query parameter, or spelt so that a URL parser does not see it —
// never reaches the log, on a CI that does not mask (Drone) too.
func TestSecretsInEveryForm(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, store, secret string }{
		{"a query parameter", "redis://127.0.0.1:1/0?master_name=m&password=hunter2query", "hunter2query"},
		{"a password with an unencoded slash", "redis://:s3cr@et/pa55word@127.0.0.1:6379/0", "pa55word"},
		{"userinfo", "redis://:hunter2userinfo@127.0.0.1:1/0?dial_timeout=50ms", "hunter2userinfo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_RATE_STORE": tt.store, "DRONE": "true", "CI": "true", "PLUGIN_RATE_STORE_KEY": "k"}))
			if strings.Contains(res.stdout+res.stderr, tt.secret) {
				t.Errorf("exit %d; the store's password reached the log:\n%s%s", res.code, res.stdout, res.stderr)
			}
		})
	}
}
