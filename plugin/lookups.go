package plugin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// The read-only calls the promotion flow observes the registry with. Each
// returns the RequestId of its answer, so that a client-side conclusion
// ("no such tag") still names the answer it was drawn from.

// imageTag is one tag of a repository and what it points at.
type imageTag struct{ tag, digest string }

// images lists the tags of ref's repository named tag exactly, or pointing
// at digest.
func (p *promoter) images(ctx context.Context, ref Ref, tag, digest string) ([]imageTag, string, error) {
	return do(ctx, p.api, "DescribeImages", func(ctx context.Context) ([]imageTag, string, error) {
		req := tcr.NewDescribeImagesRequest()
		req.RegistryId = common.StringPtr(p.cfg.RegistryID)
		req.NamespaceName = common.StringPtr(ref.Namespace)
		req.RepositoryName = common.StringPtr(ref.Repo)
		if tag != "" {
			req.ImageVersion = common.StringPtr(tag)
			req.ExactMatch = common.BoolPtr(true)
		}
		if digest != "" {
			req.Digest = common.StringPtr(digest)
			req.Limit = common.Int64Ptr(100)
		}
		resp, err := p.api.tcr.DescribeImagesWithContext(ctx, req)
		if err != nil {
			return nil, "", err
		}
		id, err := answered(resp.Response, func(r *tcr.DescribeImagesResponseParams) *string { return r.RequestId })
		if err != nil {
			return nil, "", err
		}
		var out []imageTag
		for _, img := range resp.Response.ImageInfoList {
			if img == nil || tag != "" && deref(img.ImageVersion) != tag || digest != "" && deref(img.Digest) != digest {
				continue // the filter is the server's; trust only exact matches
			}
			t := imageTag{deref(img.ImageVersion), deref(img.Digest)}
			if !isDigest(t.digest) || !isTag(t.tag) {
				// An empty digest would equal an absent tag's, and a
				// false "already there" would follow.
				return nil, "", badAnswer("DescribeImages listed %s/%s:%.130q with the digest %.80q, not sha256: and 64 hex digits", ref.Namespace, ref.Repo, t.tag, t.digest)
			}
			out = append(out, t)
		}
		return out, id, nil
	})
}

// digest returns what ref (a tag) points at, "" if the tag does not exist.
// A repository or namespace that does not exist holds no tags, however TCR
// says so: an error, an empty list, or Harbor's "project not found". It is
// for destinations, which DuplicateImage creates; a source that is missing
// is reported with the answer that said so (resolveSource).
func (p *promoter) digest(ctx context.Context, ref Ref) (string, error) {
	tags, _, err := p.images(ctx, ref, ref.Tag, "")
	if ClassOf(err) == ClassNotFound {
		return "", nil
	}
	if err != nil || len(tags) == 0 {
		return "", err
	}
	return tags[0].digest, nil
}

// source is a resolved source: the tag to copy from and its digest (on
// the Personal edition, its ImageId instead).
type source struct {
	tag, digest, imageID string
}

// resolveSource returns the tag to copy from and its digest. A digest
// source is resolved to a tag pointing at it, as DuplicateImage takes
// tags. An error answer is reported as it came; only a successful answer
// without the tag becomes ClientError.SourceNotFound.
func (p *promoter) resolveSource(ctx context.Context, src Ref) (source, error) {
	if isDigest(src.Tag) {
		tags, id, err := p.images(ctx, src, "", src.Tag)
		if err != nil {
			return source{}, about(err, "the source %s", src)
		}
		if len(tags) == 0 {
			return source{}, &Error{Class: ClassNotFound, Action: "DescribeImages", Code: CodeSourceNotFound, RequestID: id, Message: fmt.Sprintf(
				"no tag of %s/%s points at %s; DuplicateImage copies from a tag, so push or keep one", src.Namespace, src.Repo, src.Tag)}
		}
		p.log.debugf("%s is tagged %s", src, tags[0].tag)
		return source{tag: tags[0].tag, digest: src.Tag}, nil
	}
	tags, id, err := p.images(ctx, src, src.Tag, "")
	if err != nil {
		return source{}, about(err, "the source %s", src)
	}
	if len(tags) == 0 {
		return source{}, &Error{Class: ClassNotFound, Action: "DescribeImages", Code: CodeSourceNotFound, RequestID: id, Message: fmt.Sprintf(
			"%s does not exist in %s", src, p.cfg.RegistryID)}
	}
	return source{tag: src.Tag, digest: tags[0].digest}, nil
}

// about adds what a failed call was about to its message, keeping its
// class, code and RequestId. The error may be shared by several
// promotions, so it is copied, not changed.
func about(err error, format string, args ...any) error {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return err
	}
	ne := *e
	ne.Message = fmt.Sprintf(format, args...) + ": " + e.Message
	return &ne
}

// withNote appends a note to a failed call's message, like about.
func withNote(err error, note string) error {
	e, ok := errors.AsType[*Error](err)
	if !ok {
		return err
	}
	ne := *e
	ne.Message += " (" + note + ")"
	return &ne
}

// settle reads ref until it points at want, for at most index_lag (and
// within the step's deadline): TCR's index may lag a few seconds behind a
// write, showing the tag absent, or still at stale, its digest before the
// write. It returns the last digest seen ("" for absent) and whether ref
// settled: it showed want, or a digest that is neither want nor stale.
func (p *promoter) settle(ctx context.Context, ref Ref, want, stale string) (got string, settled bool, err error) {
	start := time.Now()
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		if got, err = p.digest(ctx, ref); err != nil {
			return "", false, err
		}
		if got == want || got != "" && got != stale {
			return got, true, nil
		}
		if time.Since(start)+wait > p.cfg.IndexLag {
			return got, false, nil
		}
		p.log.debugf("%s shows %s, not yet %s: waiting %s for TCR's index", ref, cmpOrNone(got), want, wait)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return got, false, nil
		}
		if !sleep(ctx, wait) {
			return got, false, ended(ctx, "DescribeImages", nil)
		}
	}
}

// namespaceExists asks DescribeNamespaces whether the namespace exists;
// its name filter is fuzzy, so names are compared here.
func (p *promoter) namespaceExists(ctx context.Context, name string) (bool, error) {
	found, _, err := do(ctx, p.api, "DescribeNamespaces", func(ctx context.Context) (bool, string, error) {
		req := tcr.NewDescribeNamespacesRequest()
		req.RegistryId = common.StringPtr(p.cfg.RegistryID)
		req.NamespaceName = common.StringPtr(name)
		req.Limit = common.Int64Ptr(100)
		resp, err := p.api.tcr.DescribeNamespacesWithContext(ctx, req)
		if err != nil {
			return false, "", err
		}
		id, err := answered(resp.Response, func(r *tcr.DescribeNamespacesResponseParams) *string { return r.RequestId })
		if err != nil {
			return false, "", err
		}
		for _, ns := range resp.Response.NamespaceList {
			if ns != nil && deref(ns.Name) == name {
				return true, id, nil
			}
		}
		return false, id, nil
	})
	return found, err
}

// immutableRule is one enabled tag immutability rule of a namespace.
type immutableRule struct {
	id                        int64
	namespace                 string
	repoPattern, tagPattern   string
	repoExcludes, tagExcludes bool
}

// covers reports whether the rule stops ref from being overwritten. The
// repository pattern is matched against the repository's name within its
// namespace, as Harbor does.
func (r immutableRule) covers(ref Ref) bool {
	return r.namespace == ref.Namespace &&
		globMatch(r.repoPattern, ref.Repo) != r.repoExcludes &&
		globMatch(r.tagPattern, ref.Tag) != r.tagExcludes
}

func (r immutableRule) String() string {
	verb := map[bool]string{false: "matching", true: "excluding"}
	return fmt.Sprintf("immutability rule %d of namespace %s (repositories %s %q, tags %s %q)",
		r.id, r.namespace, verb[r.repoExcludes], r.repoPattern, verb[r.tagExcludes], r.tagPattern)
}

// readRules reads the instance's tag immutability rules (one per
// namespace; disabled ones left out).
func (p *promoter) readRules(ctx context.Context) ([]immutableRule, error) {
	rules, _, err := do(ctx, p.api, "DescribeImmutableTagRules", func(ctx context.Context) ([]immutableRule, string, error) {
		req := tcr.NewDescribeImmutableTagRulesRequest()
		req.RegistryId = common.StringPtr(p.cfg.RegistryID)
		resp, err := p.api.tcr.DescribeImmutableTagRulesWithContext(ctx, req)
		if err != nil {
			return nil, "", err
		}
		id, err := answered(resp.Response, func(r *tcr.DescribeImmutableTagRulesResponseParams) *string { return r.RequestId })
		if err != nil {
			return nil, "", err
		}
		var out []immutableRule
		for _, r := range resp.Response.Rules {
			if r == nil || deref(r.Disabled) {
				continue
			}
			out = append(out, immutableRule{
				id: deref(r.RuleId), namespace: deref(r.NsName),
				repoPattern: deref(r.RepositoryPattern), tagPattern: deref(r.TagPattern),
				repoExcludes: deref(r.RepositoryDecoration) == "repoExcludes",
				tagExcludes:  deref(r.TagDecoration) == "excludes",
			})
		}
		return out, id, nil
	})
	return rules, err
}

// immutability is what is known of whether a tag may be overwritten.
type immutability struct {
	rule *immutableRule // the rule that covers the tag; nil if none does
	err  error          // the rules could not be read
}

// immutabilityOf looks up whether a rule covers ref.
func (p *promoter) immutabilityOf(ref Ref) immutability {
	rules, err := p.rules()
	if err != nil {
		return immutability{err: err}
	}
	for _, r := range rules {
		if r.covers(ref) {
			return immutability{rule: &r}
		}
	}
	return immutability{}
}

// publicDomain is the instance's registry host, from DescribeInstances.
func (p *promoter) publicDomain(ctx context.Context) (string, error) {
	domain, _, err := do(ctx, p.api, "DescribeInstances", func(ctx context.Context) (string, string, error) {
		req := tcr.NewDescribeInstancesRequest()
		req.Registryids = common.StringPtrs([]string{p.cfg.RegistryID})
		resp, err := p.api.tcr.DescribeInstancesWithContext(ctx, req)
		if err != nil {
			return "", "", err
		}
		id, err := answered(resp.Response, func(r *tcr.DescribeInstancesResponseParams) *string { return r.RequestId })
		if err != nil {
			return "", "", err
		}
		for _, r := range resp.Response.Registries {
			if r != nil && deref(r.RegistryId) == p.cfg.RegistryID {
				if d := deref(r.PublicDomain); !isHost(d) {
					// It would go into the image output.
					return "", "", badAnswer("DescribeInstances gave %s the domain %.80q, not a host name", p.cfg.RegistryID, d)
				}
				return deref(r.PublicDomain), id, nil
			}
		}
		return "", id, nil
	})
	return domain, err
}

// answered checks what every answer holds: a Response, and in it a
// RequestId. It returns the RequestId. An answer without them did not come
// from the API.
func answered[P any](p *P, requestID func(*P) *string) (string, error) {
	if p == nil {
		return "", badAnswer("it has no Response")
	}
	if id := deref(requestID(p)); id != "" {
		return id, nil
	}
	return "", badAnswer("it has no RequestId")
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
