// Package carry makes what travels with an image travel with its
// promotion into another repository: cosign's .sig, .att and .sbom tags
// (copied as tags — DuplicateImage within the instance, through the
// registries to another) and the OCI referrers that have no tag (cosign
// v3 bundles, Notation signatures, SBOMs, attestations), read and carried
// through the registry's own protocol. Each is read once per repository
// and digest, for the gates as for the carrying, and carried once per
// destination repository and digest.
package carry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/ocireg"
	"github.com/tcr-promote/tcr-promote/plugin/once"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/supply"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// Tags is what carrying asks of the flow on the source's instance.
type Tags interface {
	// Like lists the tags of ref's repository whose names contain like:
	// the flow's listing of the repository where it has one, else a
	// DescribeImages fuzzy match.
	Like(ctx context.Context, ref imageref.Ref, like string) ([]tcrops.Tag, error)
	// Copy copies from (a tag) to to, never over another tag; a refusal
	// or a lost answer is settled by reading to. It returns what to
	// points at after: digest, or another when a tag was there.
	Copy(ctx context.Context, from, to imageref.Ref, digest string) (string, error)
}

// Remote is the destination instance when it is not the source's.
type Remote interface {
	// Digest is what dst (a tag) points at, "" when it does not exist.
	Digest(ctx context.Context, dst imageref.Ref) (string, error)
	// Copy copies src at ref (a digest or a tag) to dst at to (a tag, or
	// the digest itself), byte for byte; it returns the digest copied.
	Copy(ctx context.Context, src imageref.Ref, ref string, dst imageref.Ref, to string) (string, error)
}

// Registry is what carrying asks of the source instance's registry:
// *ocireg.Client over the distribution API, or a test's fake.
type Registry interface {
	Referrers(ctx context.Context, repo, digest string) ([]ocireg.Referrer, error)
	Carry(ctx context.Context, src, dst string, refs []ocireg.Referrer) ([]ocireg.Referrer, error)
	Fail(ctx context.Context, what string, err error) error
}

// Carrier carries for the promotions of one run. It is safe for
// concurrent use.
type Carrier struct {
	cfg      *settings.Config
	log      *cilog.Logger
	tags     Tags
	remote   Remote
	registry func() (Registry, error) // opened once
	bg       *failure.Group           // reads beside a copy, waited for before the run ends

	accessories  once.Map[repoDigest, []tcrops.Tag]
	carried      once.Map[repoDigest, []string]
	referrers    once.Map[repoDigest, []ocireg.Referrer]
	carriedRefs  once.Map[repoDigest, []string]
	registryWarn sync.Once
}

// New is the carrier of one run; open reaches the source's registry, and
// is called once, when a referrer is first needed.
func New(cfg *settings.Config, log *cilog.Logger, tags Tags, open func() (Registry, error), bg *failure.Group) *Carrier {
	return &Carrier{cfg: cfg, log: log, tags: tags, registry: sync.OnceValues(open), bg: bg}
}

// Cross gives the carrier the destination instance of the run's
// promotions to another instance, and the source's registry already open.
func (c *Carrier) Cross(r Remote, source Registry) {
	c.remote = r
	c.registry = func() (Registry, error) { return source, nil }
}

// OpenRegistry reaches the source's registry beside the first copies,
// when the run will carry referrers.
func (c *Carrier) OpenRegistry() {
	if c.CarriesReferrers() {
		c.bg.Go(func() { _, _ = c.registry() })
	}
}

// repoDigest names one digest in one repository.
type repoDigest struct {
	host, namespace, repo, digest string // host: "" for the source's instance
}

func keyOf(ref imageref.Ref, digest string) repoDigest {
	return repoDigest{ref.Host, ref.Namespace, ref.Repo, digest}
}

// Travels reports whether what travels with src must be carried to dst:
// carrying is on and dst is another repository.
func (c *Carrier) Travels(src, dst imageref.Ref) bool {
	return c.cfg.Supply.Carry && src.Repository() != dst.Repository()
}

// CarriesReferrers reports whether the run will carry referrers: some
// promotion copies into another repository, and nothing keeps it from
// carrying (a dry run, the Personal edition, verify: false).
func (c *Carrier) CarriesReferrers() bool {
	if c.cfg.DryRun || c.cfg.Personal || !c.cfg.Verify {
		return false
	}
	return slices.ContainsFunc(c.cfg.Pairs, func(pr settings.Pair) bool { return c.Travels(pr.Source, pr.Destination) })
}

// Accessories lists the cosign tags of digest in ref's repository, once
// per repository and digest.
func (c *Carrier) Accessories(ctx context.Context, ref imageref.Ref, digest string) ([]tcrops.Tag, error) {
	return c.accessories.Get(keyOf(ref, digest), func() ([]tcrops.Tag, error) { return c.readAccessories(ctx, ref, digest) })
}

func (c *Carrier) readAccessories(ctx context.Context, ref imageref.Ref, digest string) ([]tcrops.Tag, error) {
	want := supply.AccessoryTags(digest)
	if want == nil {
		return nil, nil
	}
	tags, err := c.tags.Like(ctx, ref, strings.TrimSuffix(want[0], ".sig"))
	if err != nil {
		return nil, err
	}
	var out []tcrops.Tag
	for _, t := range tags {
		if slices.Contains(want, t.Name) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b tcrops.Tag) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Prefetch reads, beside the copy, what carrying src's digest will need
// after it.
func (c *Carrier) Prefetch(ctx context.Context, src imageref.Ref, digest string) {
	c.bg.Go(func() { _, _ = c.Accessories(ctx, src, digest) })
	c.bg.Go(func() {
		ctx, cancel := c.forCarry(ctx)
		defer cancel()
		_, _ = c.Referrers(ctx, src, digest)
	})
}

// All carries every thing that travels with src's digest into dst's
// repository — the cosign tags, then the referrers — and names what is in
// place there.
func (c *Carrier) All(ctx context.Context, src, dst imageref.Ref, digest string) ([]string, error) {
	if !c.Travels(src, dst) {
		return nil, nil
	}
	tags, err := c.carried.Get(keyOf(dst, digest), func() ([]string, error) { return c.carryTags(ctx, src, dst, digest) })
	if err != nil || digest == "" {
		return tags, err
	}
	refs, err := c.carryReferrers(ctx, src, dst, digest)
	return append(tags, refs...), err
}

// carryTags makes the source digest's cosign tags stand in dst's
// repository too, at the same digests: each the destination lacks is
// copied (never overriding one that points elsewhere: a conflict); those
// the registry already carried are left alone.
func (c *Carrier) carryTags(ctx context.Context, src, dst imageref.Ref, digest string) ([]string, error) {
	accs, err := c.Accessories(ctx, src, digest)
	if err != nil {
		return nil, failure.About(err, "looking up the signatures of %s", src.Name())
	}
	if len(accs) == 0 {
		return nil, nil
	}
	at, err := c.accessoriesAt(ctx, dst, digest, accs)
	if err != nil {
		return nil, failure.About(err, "looking up the signatures in %s", dst)
	}
	var carried []string
	for _, a := range accs {
		to := imageref.Ref{Host: dst.Host, Namespace: dst.Namespace, Repo: dst.Repo, Tag: a.Name}
		switch d := at[a.Name]; {
		case d == a.Digest:
			c.log.For(ctx).Debugf("%s is in place already", to)
		case d != "":
			return carried, conflict(to, d, a.Digest, src)
		default:
			if err := c.copyTag(ctx, imageref.Ref{Namespace: src.Namespace, Repo: src.Repo, Tag: a.Name}, to, a.Digest); err != nil {
				return carried, err
			}
		}
		carried = append(carried, a.Name)
	}
	if len(carried) > 0 {
		c.log.For(ctx).Infof("%s: carried %s", dst.Name(), strings.Join(carried, ", "))
	}
	return carried, nil
}

// accessoriesAt is what each of accs' names points at in dst's
// repository, "" for those not there.
func (c *Carrier) accessoriesAt(ctx context.Context, dst imageref.Ref, digest string, accs []tcrops.Tag) (map[string]string, error) {
	at := map[string]string{}
	if dst.Host != "" {
		for _, a := range accs {
			d, err := c.remote.Digest(ctx, imageref.Ref{Host: dst.Host, Namespace: dst.Namespace, Repo: dst.Repo, Tag: a.Name})
			if err != nil {
				return nil, err
			}
			at[a.Name] = d
		}
		return at, nil
	}
	have, err := c.readAccessories(ctx, dst, digest)
	for _, t := range have {
		at[t.Name] = t.Digest
	}
	return at, err
}

// copyTag copies one cosign tag, never over another.
func (c *Carrier) copyTag(ctx context.Context, from, to imageref.Ref, digest string) error {
	if to.Host != "" {
		_, err := c.remote.Copy(ctx, from, digest, to, to.Tag)
		return err
	}
	got, err := c.tags.Copy(ctx, from, to, digest)
	if err == nil && got != digest {
		return conflict(to, got, digest, from)
	}
	return err
}

func conflict(to imageref.Ref, at, want string, src imageref.Ref) error {
	return &failure.Error{Class: failure.ClassConflict, Action: "DuplicateImage", Code: failure.CodeAccessoryConflict,
		Message: fmt.Sprintf("%s already exists and points at %s, not at %s as in %s: another signature of the same image; it is left as it is", to, at, want, src.Name()),
		Hint:    "remove the stale signature tag from the destination (or set carry_signatures: false), then re-run"}
}

// budget bounds reading the referrers only to carry them (no gate needs
// them): a registry the runner cannot reach — a whitelist drops its
// packets — costs each run this much at most, then a warning.
const budget = 20 * time.Second

// forCarry is ctx for reading referrers only to carry them.
func (c *Carrier) forCarry(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, min(budget, c.cfg.AttemptTimeout))
}
