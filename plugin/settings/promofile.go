package settings

import (
	"errors"
	"fmt"
	"os"

	"github.com/tcr-promote/tcr-promote/plugin/localfile"

	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promofile"
)

// File is a promotion file, read: the reviewed list of which image goes
// to which tags. Its promotions are the Config's Pairs.
type File struct {
	Path     string // as given, relative to the workspace
	Registry string // its registry: host, "" when registry_id and region name it
}

// singleSettings are the settings that name one promotion; a promotion
// file names them all, so it stands alone.
var singleSettings = []string{"SOURCE_IMAGE", "DESTINATION_IMAGE", "SOURCE_NAMESPACE", "SOURCE_REPO", "SOURCE_REFERENCE", "DESTINATION_TAG", "DESTINATION_NAMESPACE", "DESTINATION_REPO", "OVERRIDE", "EXPECTED_DIGEST"}

// promotionFile reads promotion_file into c.Pairs, each with the position
// it was written at. Every problem is named as file:line:column.
func (p *parser) promotionFile(s *Settings, c *Config) {
	for _, k := range singleSettings {
		if p.l.IsSet(k) {
			p.fail("%s and %s cannot be combined: the promotion file names every promotion (its source, destinations and override)", p.l.Key("PROMOTION_FILE"), p.l.Key(k))
		}
	}
	c.File = &File{Path: s.PromotionFile}
	text, err := localfile.Read(s.PromotionFile, localfile.MaxPromotionFile)
	if err != nil {
		p.fail("%s: %v", p.l.Key("PROMOTION_FILE"), unwrapPath(err))
		return
	}
	f := promofile.Parse(s.PromotionFile, text)
	for _, problem := range f.Problems {
		p.fail("%s", problem)
	}
	c.File.Registry = f.Registry
	p.fileRegistry(f, c)
	for _, pr := range f.Promotions {
		c.Pairs = append(c.Pairs, Pair{Source: pr.Source, Destination: pr.Destination, Override: pr.Override, Where: pr.Where, SourceAt: pr.SourceAt})
	}
}

// fileRegistry reads the file's registry host, as source_image's host is
// read: an Enterprise instance is looked up by name unless registry_id
// and region are given.
func (p *parser) fileRegistry(f promofile.File, c *Config) {
	named := c.RegistryID != "" && c.Region != ""
	if f.Registry == "" {
		if !named && f.Read && f.RegistryAt == "" {
			p.fail("%s names no registry: write registry: <host> (e.g. acme.tencentcloudcr.com) at its top, or set %s and %s", f.Path, p.l.Key("REGISTRY_ID"), p.l.Key("REGION"))
		}
		return
	}
	c.RegistryHost = f.Registry
	kind, names, _ := imageref.ClassifyHost(f.Registry)
	switch {
	case named:
	case kind == imageref.HostEnterprise:
		c.InstanceNames = names
	default:
		p.fail("%s: registry: %s is not a TCR Enterprise domain (<name>%s): for a custom domain, set registry_id and region", f.RegistryAt, f.Registry, imageref.EnterpriseSuffix)
	}
}

// unwrapPath keeps the reason of a file error: its path is in the message
// already.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
