package settings

import (
	"cmp"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/imageref"
)

// promotions reads what to promote — as image references, or as separate
// names — into c.Pairs, and where: the registry host, and for a host that
// names an Enterprise instance, the names to look it up by.
func (p *parser) promotions(s *Settings, c *Config) {
	c.RegistryID, c.Region = s.RegistryID, s.Region
	c.RegionFromEnv = c.Region != "" && !p.l.IsSet("REGION")
	if s.PromotionFile != "" {
		p.promotionFile(s, c)
		return
	}
	if s.SourceImage == "" {
		p.byNames(s, c)
		return
	}
	src, ok := p.sourceImage(s)
	if !ok {
		return
	}
	p.registry(src, c)
	host := src.Host
	src.Host = "" // a promotion's refs are within the registry
	if dsts, given := p.destinationImages(s, host); given {
		for _, d := range dsts {
			c.Pairs = append(c.Pairs, Pair{Source: src, Destination: d})
		}
		return
	}
	p.destinations(s, c, src.Namespace, []imageref.Ref{src})
}

// byNames reads the source as separate names: registry_id, region,
// source_namespace, source_repo (a list) and source_reference.
func (p *parser) byNames(s *Settings, c *Config) {
	if s.DestinationImage.Set() {
		p.fail("%s needs source_image: name the source as a reference too", p.l.Key("DESTINATION_IMAGE"))
	}
	c.RegistryID = p.required("REGISTRY_ID", c.RegistryID)
	c.Region = p.required("REGION", c.Region)
	ns := p.match("SOURCE_NAMESPACE", p.required("SOURCE_NAMESPACE", s.SourceNamespace), imageref.IsNamespace, imageref.NamespaceRule)
	if !s.SourceRepo.Set() {
		p.required("SOURCE_REPO", "")
	}
	repos := p.once("SOURCE_REPO", p.list("SOURCE_REPO", s.SourceRepo, imageref.IsRepo, imageref.RepoRule))
	ref := p.match("SOURCE_REFERENCE", p.required("SOURCE_REFERENCE", s.SourceReference), imageref.IsReference, imageref.TagRule+", or a digest (sha256: and 64 hex digits)")
	var sources []imageref.Ref
	for _, repo := range repos {
		src := imageref.Ref{Namespace: ns, Repo: repo, Tag: ref}
		if imageref.IsDigest(ref) {
			src.Tag, src.Digest = "", ref
		}
		sources = append(sources, src)
	}
	p.destinations(s, c, ns, sources)
}

// destinations reads destination_namespace, destination_repo and
// destination_tag (a list): every (source × tag) is one promotion.
func (p *parser) destinations(s *Settings, c *Config, srcNS string, sources []imageref.Ref) {
	dstNS := cmp.Or(p.match("DESTINATION_NAMESPACE", s.DestinationNamespace, imageref.IsNamespace, imageref.NamespaceRule), srcNS)
	dstRepo := p.match("DESTINATION_REPO", s.DestinationRepo, imageref.IsRepo, imageref.RepoRule)
	if !s.DestinationTag.Set() {
		p.required("DESTINATION_TAG", "")
	}
	tags := p.once("DESTINATION_TAG", p.list("DESTINATION_TAG", s.DestinationTag, imageref.IsTag, imageref.TagRule))
	if dstRepo != "" && len(sources) > 1 {
		p.fail("%s is set, but %s lists %d repositories: they cannot all go to one repository; leave destination_repo empty to keep each name", p.l.Key("DESTINATION_REPO"), p.l.Key("SOURCE_REPO"), len(sources))
	}
	for _, src := range sources {
		for _, tag := range tags {
			c.Pairs = append(c.Pairs, Pair{Source: src, Destination: imageref.Ref{Namespace: dstNS, Repo: cmp.Or(dstRepo, src.Repo), Tag: tag}})
		}
	}
}

// once fails an item a list names twice, as destination_image and the
// promotion file do: two copies onto one tag would race, and be counted
// twice.
func (p *parser) once(key string, items []string) []string {
	seen := map[string]bool{}
	out := items[:0:0]
	for _, it := range items {
		if seen[it] {
			p.fail("%s: %q is named twice: name it once", p.l.Key(key), it)
			continue
		}
		seen[it] = true
		out = append(out, it)
	}
	return out
}

// sourceImage reads source_image: a reference with a host.
func (p *parser) sourceImage(s *Settings) (imageref.Ref, bool) {
	p.exclusive("SOURCE_IMAGE", "SOURCE_NAMESPACE", "SOURCE_REPO", "SOURCE_REFERENCE")
	r, err := imageref.Parse(s.SourceImage)
	switch {
	case err != nil:
		p.fail("%s: %q: %v", p.l.Key("SOURCE_IMAGE"), s.SourceImage, err)
		return r, false
	case r.Host == "":
		p.fail("%s: %q names no registry host: write it whole, e.g. acme.tencentcloudcr.com/%s", p.l.Key("SOURCE_IMAGE"), s.SourceImage, s.SourceImage)
		return r, false
	}
	return r, true
}

// destinationImages reads destination_image, a list; given is false when
// it is not set. A destination keeps its host only when it is not the
// source's: another instance (remote.go).
func (p *parser) destinationImages(s *Settings, srcHost string) (out []imageref.Ref, given bool) {
	if !s.DestinationImage.Set() {
		return nil, false
	}
	p.exclusive("DESTINATION_IMAGE", "DESTINATION_NAMESPACE", "DESTINATION_REPO", "DESTINATION_TAG")
	spelt := map[imageref.Ref]string{} // each destination, as first written
	for _, item := range p.list("DESTINATION_IMAGE", s.DestinationImage, func(string) bool { return true }, "") {
		d, err := imageref.Parse(item)
		switch {
		case err != nil:
			p.fail("%s: %q: %v", p.l.Key("DESTINATION_IMAGE"), item, err)
		case d.Digest != "":
			p.fail("%s: %q: a destination is a tag, not a digest", p.l.Key("DESTINATION_IMAGE"), item)
		default:
			// Another host is another instance, reached through the
			// registry; the source's host is the source's instance.
			d.Host = strings.ToLower(d.Host)
			if strings.EqualFold(d.Host, srcHost) {
				d.Host = ""
			}
			if first, dup := spelt[d]; dup {
				// Two copies onto one tag would race, and be counted twice.
				p.fail("%s: %q and %q are the same destination, %s: name it once", p.l.Key("DESTINATION_IMAGE"), first, item, d)
				continue
			}
			spelt[d] = item
			out = append(out, d)
		}
	}
	return out, true
}

// exclusive fails if key is set together with any of others: both name
// the same thing.
func (p *parser) exclusive(key string, others ...string) {
	for _, o := range others {
		if p.l.IsSet(o) {
			p.fail("%s and %s name the same thing: set one or the other", p.l.Key(key), p.l.Key(o))
		}
	}
}

// registry decides from the source's host where the promotion runs: an
// Enterprise instance (looked up by name at run time unless registry_id
// and region are given), the Personal edition (the region from the host),
// or a custom domain (registry_id and region needed).
func (p *parser) registry(src imageref.Ref, c *Config) {
	c.RegistryHost = src.Host
	kind, names, region := imageref.ClassifyHost(src.Host)
	switch kind {
	case imageref.HostPersonal:
		c.Personal = true
		if !p.l.IsSet("REGION") {
			c.Region, c.RegionFromEnv = region, false // the host's, not $TENCENTCLOUD_REGION's
		}
		if c.RegistryID != "" {
			p.fail("%s: %s is the Personal edition, which has no instance ID", p.l.Key("REGISTRY_ID"), src.Host)
		}
	case imageref.HostEnterprise:
		if c.RegistryID == "" || c.Region == "" {
			c.InstanceNames = names
		}
	default:
		if c.RegistryID == "" || c.Region == "" {
			p.fail("%s: %s is not a TCR Enterprise domain (<name>%s) nor a Personal edition one (ccr.ccs.tencentyun.com…): for an instance reached through a custom domain, set registry_id and region",
				p.l.Key("SOURCE_IMAGE"), src.Host, imageref.EnterpriseSuffix)
		}
	}
}
