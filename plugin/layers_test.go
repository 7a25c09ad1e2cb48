package plugin_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// layers says which of the project's packages each package of the step
// may import: every import points down, from the step to the packages that
// each do one job, to the ones they stand on. A package not listed here is
// an error too, so a new one takes its place in the house on purpose.
var layers = map[string][]string{
	"plugin":                 {"plugin/cilog", "plugin/creds", "plugin/crossing", "plugin/failure", "plugin/imageref", "plugin/outputs", "plugin/promote", "plugin/promotion", "plugin/ratestore", "plugin/replicas", "plugin/settings", "plugin/target", "plugin/tcrapi", "plugin/tcrops"},
	"plugin/outputs":         {"plugin/cilog", "plugin/failure", "plugin/imageref", "plugin/promotion", "plugin/settings"},
	"plugin/promote":         {"plugin/carry", "plugin/cilog", "plugin/crossing", "plugin/failure", "plugin/imageref", "plugin/kmssign", "plugin/once", "plugin/pace", "plugin/ocireg", "plugin/personal", "plugin/promotion", "plugin/scratch", "plugin/settings", "plugin/supply", "plugin/tagread", "plugin/target", "plugin/tcrapi", "plugin/tcrops"},
	"plugin/scratch":         {"plugin/cilog", "plugin/failure", "plugin/imageref", "plugin/once", "plugin/tagread", "plugin/tcrapi"},                                     // an exact promotion's scratch copy
	"plugin/target":          {"plugin/failure", "plugin/settings", "plugin/tcrapi", "plugin/tcrops"},                                                                     // the instance a run goes to
	"plugin/carry":           {"plugin/cilog", "plugin/failure", "plugin/imageref", "plugin/ocireg", "plugin/once", "plugin/settings", "plugin/supply", "plugin/tcrops"},  // what travels with a promotion
	"plugin/crossing":        {"plugin/cilog", "plugin/creds", "plugin/failure", "plugin/imageref", "plugin/ocireg", "plugin/settings", "plugin/tcrapi", "plugin/tcrops"}, // another instance, through the registries
	"plugin/ocireg":          {"plugin/failure", "plugin/imageref", "plugin/tcrapi"},                                                                                      // the registry's protocol, beside the API's
	"plugin/personal":        {"plugin/cilog", "plugin/failure", "plugin/imageref", "plugin/promotion", "plugin/settings", "plugin/tcrops"},
	"plugin/promotion":       {"plugin/cilog", "plugin/imageref", "plugin/supply"},
	"plugin/replicas":        {"plugin/cilog", "plugin/failure", "plugin/imageref", "plugin/promotion", "plugin/tagread", "plugin/tcrapi", "plugin/tcrops"},
	"plugin/supply":          {"plugin/failure", "plugin/settings"},
	"plugin/tagread":         {"plugin/cilog", "plugin/failure", "plugin/imageref", "plugin/tcrops"},
	"plugin/tcrops":          {"internal/tcr", "plugin/failure", "plugin/imageref", "plugin/tcrapi"}, // the one room that talks to TCR
	"plugin/creds":           {"internal/sts", "plugin/cienv", "plugin/cilog", "plugin/failure", "plugin/localfile", "plugin/settings", "plugin/tcrapi"},
	"plugin/tcrapi":          {"internal/sts", "plugin/cilog", "plugin/failure", "plugin/pace"},
	"plugin/pace":            {"plugin/cilog"},
	"plugin/ratestore":       {"plugin/pace"},
	"plugin/settings":        {"plugin/cienv", "plugin/failure", "plugin/imageref", "plugin/localfile", "plugin/promofile", "plugin/settings/decode", "plugin/spelling"},
	"plugin/settings/decode": {}, // a setting's text, typed, with what is wrong with it
	"plugin/spelling":        {}, // the names each CI gives a setting
	"plugin/localfile":       {},
	"plugin/cienv":           {},
	"plugin/promofile":       {"plugin/imageref"},
	"plugin/imageref":        {},
	"plugin/failure":         {},
	"plugin/cilog":           {},
	"plugin/once":            {},                                                                                                     // a lookup once per key
	"plugin/kmssign":         {"plugin/cilog", "plugin/failure", "plugin/imageref", "plugin/once", "plugin/tcrapi", "plugin/tcrops"}, // sign: kms
}

// TestLayers holds each package to its layer and to a doc comment.
func TestLayers(t *testing.T) {
	t.Parallel()
	const module = "github.com/tcr-promote/tcr-promote/"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Doc}}\t{{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		fields := strings.Split(strings.TrimRight(line, "\n"), "\t")
		pkg, doc, imports := strings.TrimPrefix(fields[0], module), fields[1], strings.Fields(fields[2])
		allowed, ok := layers[pkg]
		if !ok {
			t.Errorf("%s has no place in the layers", pkg)
			continue
		}
		if doc == "" {
			t.Errorf("%s has no package doc comment", pkg)
		}
		for _, imp := range imports {
			if own, ok := strings.CutPrefix(imp, module); ok && !slices.Contains(allowed, own) {
				t.Errorf("%s imports %s, which is not below it", pkg, own)
			}
		}
	}
}
