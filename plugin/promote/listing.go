package promote

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// A promotion file may name a thousand destinations in a few hundred
// repositories: each repository's tags are then read page by page (a
// hundred a call), once, instead of one DescribeImages per tag — unless
// the repository has so many tags that paging through them costs more
// calls than looking up the few the file names.

// repoKey is a repository of the target.
type repoKey struct{ ns, repo string }

func keyOf(r imageref.Ref) repoKey { return repoKey{r.Namespace, r.Repo} }

// listing is a repository's tags as read before any copy; usable is false
// when reading them one by one is cheaper, or the pages did not agree.
type listing struct {
	tags   map[string]imageTag
	usable bool
	id     string // the first page's RequestId
}

// wantedTags counts, per repository, the lookups the promotions make in
// it: their distinct tags, and for each source its digest's tags (a
// digest source, the cosign tags).
func wantedTags(pairs []settings.Pair, carry bool) map[repoKey]int {
	seen := map[imageref.Ref]bool{}
	n := map[repoKey]int{}
	add := func(r imageref.Ref, lookups int) {
		if !seen[r] {
			seen[r] = true
			n[keyOf(r)] += lookups
		}
	}
	for _, pr := range pairs {
		lookups := 1
		if carry {
			lookups++ // its cosign tags
		}
		add(pr.Source, lookups)
		add(pr.Destination, 1)
	}
	return n
}

// listed is the memoized listing of ref's repository in the target, read
// when a promotion file is promoted; ok is false when lookups go one by
// one.
func (p *Promoter) listed(ctx context.Context, ref imageref.Ref) (l listing, ok bool, err error) {
	if p.wanted == nil {
		return listing{}, false, nil
	}
	k := keyOf(ref)
	l, err = p.listings.get(k, func() (listing, error) { return p.listAll(ctx, p.reg, ref, p.wanted[k]) })
	return l, l.usable || err != nil, err
}

// listAll reads every tag of ref's repository in at, if that takes no
// more calls than wanted exact lookups would. A repository that does not
// exist has no tags, however TCR says so (digest); the error is kept for
// a source, which must exist.
func (p *Promoter) listAll(ctx context.Context, at Registry, ref imageref.Ref, wanted int) (listing, error) {
	for attempt := 0; attempt < 2; attempt++ {
		first, total, id, err := p.imagesAt(ctx, at, ref, query{page: 1})
		if err != nil {
			return listing{}, err
		}
		pages := (total + pageSize - 1) / pageSize
		if pages > int64(max(wanted, 1)) || total < 0 {
			return listing{}, nil // one by one is cheaper
		}
		all := slices.Clone(first)
		var mu sync.Mutex
		var g group
		var errs []error
		for n := int64(2); n <= pages; n++ {
			g.Go(func() {
				tags, _, _, err := p.imagesAt(ctx, at, ref, query{page: n})
				mu.Lock()
				defer mu.Unlock()
				all = append(all, tags...)
				errs = append(errs, err)
			})
		}
		g.Wait()
		if err := firstError(errs); err != nil {
			return listing{}, err
		}
		l := listing{tags: map[string]imageTag{}, id: id}
		for _, t := range all {
			l.tags[t.tag] = t
		}
		// Pages read while tags were pushed may repeat or skip one: a
		// listing is used only when the pages add up to the total.
		if int64(len(l.tags)) == total && int64(len(all)) == total {
			l.usable = true
			return l, nil
		}
		p.log.Debugf("%s: %d tags listed over %d pages, but TotalCount is %d: reading again", ref.Name(), len(all), pages, total)
	}
	return listing{}, nil
}

// readTags reads refs (tags) in at as they are now: each repository paged
// through where that takes fewer calls than a lookup a tag, else tag by
// tag. A tag or repository that does not exist is left out, however TCR
// says so; any other failure is returned, with what was read.
// ReadTags reads, in at (the target or a replica), each ref's tag, with
// the listings' economies; a tag that is not there is left out.
func (p *Promoter) ReadTags(ctx context.Context, at Registry, refs []imageref.Ref) (map[imageref.Ref]tcrops.Tag, error) {
	tags, err := p.readTags(ctx, at, refs)
	out := make(map[imageref.Ref]tcrops.Tag, len(tags))
	for r, t := range tags {
		out[r] = tcrops.Tag{Name: t.tag, Digest: t.digest, KMS: t.kms, Updated: t.updated}
	}
	return out, err
}

func (p *Promoter) readTags(ctx context.Context, at Registry, refs []imageref.Ref) (map[imageref.Ref]imageTag, error) {
	byRepo := map[repoKey][]imageref.Ref{}
	for _, r := range refs {
		byRepo[keyOf(r)] = append(byRepo[keyOf(r)], r)
	}
	out := map[imageref.Ref]imageTag{}
	var (
		mu   sync.Mutex
		errs []error
		g    group
	)
	found := func(r imageref.Ref, t imageTag, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		if err == nil && t.tag != "" {
			out[r] = t
		}
	}
	for _, tags := range byRepo {
		g.Go(func() {
			if len(tags) > 1 {
				l, err := p.listAll(ctx, at, tags[0], len(tags))
				if notFound(err) {
					return // no repository, no tags
				}
				if err != nil || l.usable {
					for _, r := range tags {
						found(r, l.tags[r.Tag], err)
					}
					return
				}
			}
			var each group
			for _, r := range tags {
				each.Go(func() {
					t, err := p.tagAt(ctx, at, r)
					found(r, t, err)
				})
			}
			each.Wait()
		})
	}
	g.Wait()
	return out, firstError(errs)
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// tagged finds a tag pointing at digest in a listing: the first by name,
// leaving out the cosign tags, which point at their own manifests.
func (l listing) tagged(digest string) (imageTag, bool) {
	var names []string
	for name, t := range l.tags {
		if t.digest == digest && !strings.HasPrefix(name, "sha256-") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return imageTag{}, false
	}
	slices.Sort(names)
	return l.tags[names[0]], true
}

// notFound reports whether a lookup's error says only that what it read
// does not exist (the tag, its repository or namespace).
func notFound(err error) bool { return failure.ClassOf(err) == failure.ClassNotFound }
