package plugin

import (
	"fmt"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/outputs"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// helpWidth is the width --help keeps to: a terminal's, or a CI log's.
const helpWidth = 80

// helpIntro opens --help: what the step does and how it is run.
const helpIntro = `tcr-promote promotes an image tag in Tencent Cloud Container Registry (TCR)
with one server-side copy (DuplicateImage; DuplicateImagePersonal on the
Personal edition), e.g. acme.tencentcloudcr.com/develop/app:stg ->
release/app:prd, and reports the RequestId and digest to the pipeline.

Usage: tcr-promote [--help | --version | demo]
       tcr-promote [--json] [--<setting> value | --<setting>=value ...]
  demo: a real promotion against the built-in emulator, no cloud account.
  --json: the results as JSON on stdout (the log goes to stderr).
  e.g. tcr-promote --source-image acme.tencentcloudcr.com/develop/app:stg \
         --destination-image release/app:prd --dry-run

Every setting is a flag (--source-image), a true/false one alone meaning
true (--dry-run); a flag wins over the environment. In CI, settings come
from PLUGIN_<NAME> (Drone, Woodpecker, CNB) or INPUT_<NAME> (GitHub;
INPUT_<NAME-WITH-HYPHENS> too). A value that is empty, or equal to the
[default], counts as not given: the binary owns every default. Two
spellings with different values, or a name close to a setting's
(PLUGIN_DRYRUN, --dryrun), stop the step (64) before anything is sent.
docs/settings.md has every detail.
`

// helpNotes follow the settings: references, retries, and where outputs go.
const helpNotes = `
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
until timeout (then exit 75 with the last refusal's RequestId). A copy whose
answer was lost is settled by reading the destination, never sent blindly.

Outputs, written to $GITHUB_OUTPUT (GitHub), $DRONE_OUTPUT (Harness),
output_file (dotenv, upper-case keys), output_dir (a file each, exactly the
value; also IMAGE_URL and IMAGE_DIGEST for Tekton Chains) and, on CNB only,
stdout lines in CNB's set-output form (base64 for unsafe values):
`

// Help is the --help text, derived from the settings struct, the outputs
// and the class table so that it cannot drift from the code; every line
// fits in 80 columns (docs/settings.md has every detail).
func Help() string {
	var b strings.Builder
	b.WriteString(helpIntro)
	for _, g := range settings.Groups {
		b.WriteString("\n" + g.Title + ":\n")
		for _, s := range settings.All() {
			if s.Group != g.Key {
				continue
			}
			n := s.Names()
			desc := s.Desc
			if def := defaultText(s); def != "" {
				desc = "[" + def + "] " + desc
			}
			b.WriteString(wrap(fmt.Sprintf("  %s (%s, %s)", s.Flag(), n[0], n[1]), "      ") + "\n")
			b.WriteString(wrap("      "+desc, "      ") + "\n")
		}
	}
	b.WriteString(helpNotes)
	for _, o := range outputs.Specs {
		b.WriteString(wrap("  "+o.Name+"  "+o.Desc, "      ") + "\n")
	}
	b.WriteString("\nExit codes:\n")
	for _, c := range failure.Classes() {
		b.WriteString(wrap(fmt.Sprintf("  %-3d %s: %s", c.Code, c.Name, c.When), "      ") + "\n")
	}
	return b.String()
}

// defaultText says a setting's default, or when it is required.
func defaultText(s settings.Setting) string {
	switch {
	case s.Required && s.Default != "":
		return "required, else " + s.Default
	case s.Required:
		return "required"
	case s.Or != "" && s.Default != "":
		return "default " + s.Default + "; required without " + s.Or
	case s.Or != "":
		return "required without " + s.Or
	case s.Default != "":
		return "default " + s.Default
	}
	return ""
}

// wrap breaks text at spaces into lines of at most helpWidth columns, the
// lines after the first indented by indent. A word longer than a line
// stands alone.
func wrap(text, indent string) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(text) {
		if i == 0 {
			lead := text[:len(text)-len(strings.TrimLeft(text, " "))]
			b.WriteString(lead + word)
			line = len([]rune(lead + word))
			continue
		}
		if line+1+len([]rune(word)) > helpWidth {
			b.WriteString("\n" + indent + word)
			line = len([]rune(indent + word))
			continue
		}
		b.WriteString(" " + word)
		line += 1 + len([]rune(word))
	}
	return b.String()
}
