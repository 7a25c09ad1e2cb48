package plugin

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/outputs"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// Help is the --help text, derived from the Settings struct and the class
// table so that it cannot drift from the code.
func Help() string {
	var b strings.Builder
	b.WriteString(`tcr-promote promotes an image tag in Tencent Cloud Container Registry (TCR)
with one server-side copy (DuplicateImage; DuplicateImagePersonal on the
Personal edition), e.g. acme.tencentcloudcr.com/develop/app:stg ->
release/app:prd, and reports the RequestId and digest to the pipeline.

Usage: tcr-promote [--help | --version | demo]   (demo: a real promotion against the built-in emulator)
Settings come from the environment: PLUGIN_<NAME> (Drone, Woodpecker),
INPUT_<NAME> (GitHub; INPUT_<NAME-WITH-HYPHENS> too), first found wins; an
empty value counts as unset.

Settings:
`)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  name\tvariables\tdefault\tmeaning")
	for _, s := range settings.All() {
		def := s.Default
		switch {
		case s.Required && def != "":
			def = "required, else " + def
		case s.Required:
			def = "required"
		case s.Or != "" && def != "":
			def = def + " (without " + s.Or + ": required)"
		case s.Or != "":
			def = "required without " + s.Or
		}
		names := s.Names()
		fmt.Fprintf(tw, "  %s\t%s, %s\t%s\t%s\n", s.Name, names[0], names[1], def, s.Desc)
	}
	tw.Flush()
	b.WriteString(`
Image references: source_image (acme.tencentcloudcr.com/develop/app:stg) and
destination_image (release/app:prd) stand for the separate names. From an
Enterprise host (<name>.tencentcloudcr.com) the instance and its region are
looked up once; a custom domain needs registry_id and region. A Personal
edition host (ccr.ccs.tencentyun.com, hkccr.ccs.tencentyun.com, ...) copies
with DuplicateImagePersonal, which has no override flag (without override the
destination is checked first) and gives no digest before a copy: there,
expected_digest and digest sources are usage errors, verify checks only that
the source exists, and the digest reported is the copy's own answer.

Retries: a transient failure is retried up to retries times, with backoff,
within timeout. A request TCR refuses for rate (RequestLimitExceeded) was not
carried out: it is sent again, without counting against retries, at a pace
that adapts to the share of TCR's account-wide limits other pipelines leave,
until timeout (then exit 75 with the last refusal's RequestId).

Outputs, written to $GITHUB_OUTPUT (GitHub), $DRONE_OUTPUT (Harness),
output_file (dotenv, upper-case keys), output_dir (a file each, exactly the
value; also IMAGE_URL and IMAGE_DIGEST for Tekton Chains) and, on CNB only,
stdout lines in CNB's set-output form (base64 for unsafe values):
`)
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, o := range outputs.Specs {
		fmt.Fprintf(tw, "  %s\t%s\n", o.Name, o.Desc)
	}
	tw.Flush()
	b.WriteString(`
Exit codes:
`)
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range failure.Classes() {
		fmt.Fprintf(tw, "  %d\t%s\t%s\n", c.Code, c.Name, c.When)
	}
	tw.Flush()
	return b.String()
}
