package promote

import (
	"context"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// readRules reads the instance's tag immutability rules (one per
// namespace; disabled ones left out).
func (p *Promoter) readRules(ctx context.Context) ([]tcrops.ImmutableRule, error) {
	return p.reg.ImmutableTagRules(ctx)
}

// immutability is what is known of whether a tag may be overwritten.
type immutability struct {
	rule *tcrops.ImmutableRule // the rule that covers the tag; nil if none does
	err  error                 // the rules could not be read
}

// immutabilityOf looks up whether a rule covers ref.
func (p *Promoter) immutabilityOf(ref imageref.Ref) immutability {
	rules, err := p.rules()
	if across(ref) {
		rules, err = p.remote.ImmutableTagRules()
	}
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
		if r.Covers(ref) {
			return immutability{rule: &r}
		}
	}
	return immutability{}
}
