package promote

import (
	"cmp"
	"context"
	"fmt"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
)

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
func (r immutableRule) covers(ref imageref.Ref) bool {
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
func (p *Promoter) readRules(ctx context.Context) ([]immutableRule, error) {
	rules, err := p.reg.ImmutableTagRules(ctx)
	out := make([]immutableRule, len(rules))
	for i, r := range rules {
		out[i] = immutableRule{id: r.ID, namespace: r.Namespace, repoPattern: r.RepoPattern, tagPattern: r.TagPattern, repoExcludes: r.RepoExcludes, tagExcludes: r.TagExcludes}
	}
	return out, err
}

// immutability is what is known of whether a tag may be overwritten.
type immutability struct {
	rule *immutableRule // the rule that covers the tag; nil if none does
	err  error          // the rules could not be read
}

// immutabilityOf looks up whether a rule covers ref.
func (p *Promoter) immutabilityOf(ref imageref.Ref) immutability {
	rules, err := p.rules()
	if err != nil {
		p.rulesWarn.Do(func() {
			// Not fatal: TCR itself refuses to overwrite an immutable
			// tag; only the advice is poorer without the rules.
			why := "the tag immutability rules could not be read"
			if failure.ClassOf(err) == failure.ClassPermission {
				why += " (grant tcr:DescribeImmutableTagRules)"
			}
			p.log.Warnf("%s: %v; an overwrite TCR refuses is then explained less well", why, err)
		})
		return immutability{err: err}
	}
	for _, r := range rules {
		if r.covers(ref) {
			return immutability{rule: &r}
		}
	}
	return immutability{}
}

// globMatch reports whether name matches a tag immutability rule's
// pattern: Harbor's doublestar globs, matched with doublestar itself
// ("*" and "?" within one path segment, "**" across segments, "[…]"
// classes, "{a,b}" alternatives). An empty pattern matches everything; a
// malformed one matches nothing.
func globMatch(pattern, name string) bool {
	ok, err := doublestar.Match(cmp.Or(pattern, "**"), name)
	return ok && err == nil
}
