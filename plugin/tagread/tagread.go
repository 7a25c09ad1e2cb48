// Package tagread reads a repository's tags from TCR's DescribeImages, as
// cheaply as the answers allow: a repository paged through once where that
// takes fewer calls than a lookup per tag, else tag by tag. The promotion
// flow and the replica wait read tags through it.
package tagread

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// Lister lists tags of an instance: tcrops.Instance, or a test's fake.
type Lister interface {
	Images(ctx context.Context, ns, repo string, q tcrops.Query) ([]tcrops.Tag, int64, string, error)
}

// Repo is a repository of an instance.
type Repo struct{ Namespace, Name string }

// RepoOf is ref's repository.
func RepoOf(r imageref.Ref) Repo { return Repo{r.Namespace, r.Repo} }

// Listing is a repository's tags as read at one time; Usable is false
// when reading them one by one is cheaper, or the pages did not agree.
type Listing struct {
	Tags   map[string]tcrops.Tag
	Usable bool
	ID     string // the first page's RequestId
}

// NotFound reports whether a lookup's error says only that what it read
// does not exist (the tag, its repository or namespace).
func NotFound(err error) bool { return failure.ClassOf(err) == failure.ClassNotFound }

// Wanted counts, per repository, the lookups the promotions make in it:
// their distinct tags, and for each source its digest's cosign tags when
// they are carried.
func Wanted(sources, destinations []imageref.Ref, carry bool) map[Repo]int {
	seen := map[imageref.Ref]bool{}
	n := map[Repo]int{}
	add := func(r imageref.Ref, lookups int) {
		if !seen[r] {
			seen[r] = true
			n[RepoOf(r)] += lookups
		}
	}
	lookups := 1
	if carry {
		lookups++ // its cosign tags
	}
	for _, src := range sources {
		add(src, lookups)
	}
	for _, dst := range destinations {
		add(dst, 1)
	}
	return n
}

// At reads ref (a tag) in at: the zero Tag if it does not exist, however
// TCR says so (an error, an empty list, or Harbor's "project not found").
func At(ctx context.Context, at Lister, ref imageref.Ref) (tcrops.Tag, error) {
	tags, _, _, err := at.Images(ctx, ref.Namespace, ref.Repo, tcrops.Query{Tag: ref.Tag})
	if NotFound(err) {
		return tcrops.Tag{}, nil
	}
	if err != nil || len(tags) == 0 {
		return tcrops.Tag{}, err
	}
	return tags[0], nil
}

// List reads every tag of ref's repository in at, if that takes no more
// calls than wanted exact lookups would; else it returns a Listing that
// is not Usable. A repository that does not exist is the error that said
// so, for the caller to read as it must (a source must exist).
func List(ctx context.Context, at Lister, ref imageref.Ref, wanted int, log *cilog.Logger) (Listing, error) {
	for range 2 {
		first, total, id, err := at.Images(ctx, ref.Namespace, ref.Repo, tcrops.Query{Page: 1})
		if err != nil {
			return Listing{}, err
		}
		pages := (total + tcrops.PageSize - 1) / tcrops.PageSize
		if pages > int64(max(wanted, 1)) || total < 0 {
			return Listing{}, nil // one by one is cheaper
		}
		all, err := rest(ctx, at, ref, first, pages)
		if err != nil {
			return Listing{}, err
		}
		l := Listing{Tags: map[string]tcrops.Tag{}, ID: id}
		for _, t := range all {
			l.Tags[t.Name] = t
		}
		// Pages read while tags were pushed may repeat or skip one: a
		// listing is used only when the pages add up to the total.
		if int64(len(l.Tags)) == total && int64(len(all)) == total {
			l.Usable = true
			return l, nil
		}
		log.Debugf("%s: %d tags listed over %d pages, but TotalCount is %d: reading again", ref.Name(), len(all), pages, total)
	}
	return Listing{}, nil
}

// rest reads pages 2 to pages at once, after the first.
func rest(ctx context.Context, at Lister, ref imageref.Ref, first []tcrops.Tag, pages int64) ([]tcrops.Tag, error) {
	all := slices.Clone(first)
	var (
		mu   sync.Mutex
		g    failure.Group
		errs []error
	)
	for n := int64(2); n <= pages; n++ {
		g.Go(func() {
			tags, _, _, err := at.Images(ctx, ref.Namespace, ref.Repo, tcrops.Query{Page: n})
			mu.Lock()
			defer mu.Unlock()
			all = append(all, tags...)
			errs = append(errs, err)
		})
	}
	g.Wait()
	return all, cmp.Or(errs...)
}

// Read reads, in at (the target or a replica), each ref's tag as it is
// now: each repository paged through where that takes fewer calls than a
// lookup a tag, else tag by tag. A tag or repository that does not exist
// is left out, however TCR says so; any other failure is returned, with
// what was read.
func Read(ctx context.Context, at Lister, refs []imageref.Ref, log *cilog.Logger) (map[imageref.Ref]tcrops.Tag, error) {
	byRepo := map[Repo][]imageref.Ref{}
	for _, r := range refs {
		byRepo[RepoOf(r)] = append(byRepo[RepoOf(r)], r)
	}
	out := map[imageref.Ref]tcrops.Tag{}
	var (
		mu   sync.Mutex
		errs []error
		g    failure.Group
	)
	found := func(r imageref.Ref, t tcrops.Tag, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		if err == nil && t.Name != "" {
			out[r] = t
		}
	}
	for _, tags := range byRepo {
		g.Go(func() { readRepo(ctx, at, tags, log, found) })
	}
	g.Wait()
	return out, cmp.Or(errs...)
}

// readRepo reads tags, all of one repository, for Read.
func readRepo(ctx context.Context, at Lister, tags []imageref.Ref, log *cilog.Logger, found func(imageref.Ref, tcrops.Tag, error)) {
	if len(tags) > 1 {
		l, err := List(ctx, at, tags[0], len(tags), log)
		if NotFound(err) {
			return // no repository, no tags
		}
		if err != nil || l.Usable {
			for _, r := range tags {
				found(r, l.Tags[r.Tag], err)
			}
			return
		}
	}
	var each failure.Group
	for _, r := range tags {
		each.Go(func() {
			t, err := At(ctx, at, r)
			found(r, t, err)
		})
	}
	each.Wait()
}

// Tagged finds a tag pointing at digest in a listing: the first by name,
// leaving out the cosign tags, which point at their own manifests.
func (l Listing) Tagged(digest string) (tcrops.Tag, bool) {
	var names []string
	for name, t := range l.Tags {
		if t.Digest == digest && !strings.HasPrefix(name, "sha256-") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return tcrops.Tag{}, false
	}
	slices.Sort(names)
	return l.Tags[names[0]], true
}
