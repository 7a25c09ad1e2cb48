package plugin_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcr-promote/tcr-promote/internal/testenv"
)

// TestPersonalEdition: the Personal API's answers, and what the step says
// it cannot check.
func TestPersonalEdition(t *testing.T) {
	t.Parallel()
	const hk = "ap-hongkong"
	tests := []struct {
		name       string
		existing   string // digest already at acme/app:prd
		vars       map[string]string
		code       int
		errCode    string
		copies     int
		final      string
		digestOut  string
		logs       []string
		wantStatus string
	}{
		{name: "promoted, the copy's digest reported", code: 0, copies: 1, final: digestA, digestOut: digestA,
			logs: []string{"promoted develop/app:stg → develop/app:prd in hkccr.ccs.tencentyun.com"}},
		{name: "destination exists at another image: checked first, as there is no override flag", existing: digestB,
			code: 73, errCode: "ClientError.DestinationExists", copies: 0, final: digestB, logs: []string{"has no override flag"}},
		{name: "destination already holds the same image: copied again only to learn the digest", existing: digestA, code: 0, copies: 1, final: digestA, digestOut: digestA,
			logs: []string{"already holds the image develop/app:stg holds (ImageId sha256:", "already promoted develop/app:stg → develop/app:prd in hkccr.ccs.tencentyun.com"}},
		{name: "override copies over", existing: digestB, vars: map[string]string{"PLUGIN_OVERRIDE": "true"}, code: 0, copies: 1, final: digestA, digestOut: digestA},
		{name: "dry run", vars: map[string]string{"PLUGIN_DRY_RUN": "true"}, code: 0, copies: 0,
			logs: []string{"dry run: would copy develop/app:stg to develop/app:prd on hkccr.ccs.tencentyun.com", "tells the digest only when it copies"}},
		{name: "a digest source cannot be looked up", vars: map[string]string{"PLUGIN_SOURCE_IMAGE": "hkccr.ccs.tencentyun.com/develop/app@" + digestA},
			code: 64, copies: 0, logs: []string{"the Personal edition can only copy and look up tags"}},
		{name: "registry_id has no meaning there", vars: map[string]string{"PLUGIN_REGISTRY_ID": "tcr-1"}, code: 64, copies: 0,
			logs: []string{"is the Personal edition, which has no instance ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.emu.PutPersonalImage(hk, "develop", "app", "stg", digestA)
			if tt.existing != "" {
				f.emu.PutPersonalImage(hk, "develop", "app", "prd", tt.existing)
			}
			out := filepath.Join(f.dir, "out.env")
			vars := testenv.With(map[string]string{
				"PLUGIN_SOURCE_IMAGE": "hkccr.ccs.tencentyun.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE": "develop/app:prd",
				"PLUGIN_SECRET_ID": secretID, "PLUGIN_SECRET_KEY": secretKey, "PLUGIN_ENDPOINT": f.srv.URL, "PLUGIN_OUTPUT_FILE": out,
			}, tt.vars)
			res := run(t, vars)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", res.code, tt.code, res.stdout, res.stderr)
			}
			if n := f.emu.Count("DuplicateImagePersonal", ""); n != tt.copies {
				t.Errorf("%d copies, want %d", n, tt.copies)
			}
			if img, _ := f.emu.LookupPersonal(hk, "develop", "app", "prd"); img.Digest != tt.final {
				t.Errorf("develop/app:prd = %q, want %q", img.Digest, tt.final)
			}
			if tt.code != 64 {
				env := readDotenv(t, out)
				if env["ERROR_CODE"] != tt.errCode || env["DIGEST"] != tt.digestOut {
					t.Errorf("outputs %v, want ERROR_CODE %q DIGEST %q", env, tt.errCode, tt.digestOut)
				}
			}
			for _, l := range tt.logs {
				if !strings.Contains(res.stdout+res.stderr, l) {
					t.Errorf("log lacks %q:\n%s%s", l, res.stdout, res.stderr)
				}
			}
		})
	}
}
