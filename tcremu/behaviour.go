package tcremu

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/immutable"
)

// Behaviour is how the emulator answers where the real TCR's behaviour is
// not documented. A client must be right under each plausible one;
// Behaviours lists them, and tests run under every one.
type Behaviour struct {
	Name string
	// ConflictCode answers DuplicateImage onto an existing tag at another
	// digest without Override (undocumented: Harbor's 412 suggests
	// FailedOperation.PreconditionFailed; other conflict codes exist).
	ConflictCode string
	// SameDigestConflicts makes DuplicateImage onto a tag that already
	// points at the source's digest answer ConflictCode too; otherwise it
	// succeeds and changes nothing, as Harbor's copy does.
	SameDigestConflicts bool
	// Missing is how DescribeImages answers for a namespace or repository
	// that does not exist.
	Missing MissingAnswer
	// IndexLag is how long DescribeImages lags behind DuplicateImage: a
	// tag written by a copy shows (at its new digest) only that much later.
	IndexLag time.Duration
	// CarriesAccessories makes DuplicateImage copy the source digest's
	// cosign tags (sha256-<hex>.sig, .att, .sbom) along into another
	// repository, as Harbor's artifact copy carries accessories; whether
	// TCR's does is undocumented.
	CarriesAccessories bool
	// SignsOnCopy makes a copy into a namespace with a signature policy
	// KMS-sign the new tag, as a push there does; whether a copy counts
	// as a push is undocumented.
	SignsOnCopy bool
	// IndexLabels makes DescribeImageManifests give an index the labels
	// of its first platform's image; otherwise an index has none (which
	// labels TCR gives an index is undocumented).
	IndexLabels bool
	// ReplicaImages makes DescribeImages answer for a replica's
	// ReplicationRegistryId when signed for the replica's region, showing
	// what has reached it; otherwise only the main instance answers
	// (ResourceNotFound), and a replica is seen by its sync status alone.
	ReplicaImages bool
	// SyncWords are DescribeReplicationInstanceSyncStatus'
	// ReplicationStatus when a replica has caught up, while it syncs, and
	// when it failed (the real words are undocumented).
	SyncWords [3]string
}

// MissingAnswer is DescribeImages' answer for a namespace or repository
// that does not exist. All three have been reported.
type MissingAnswer int

const (
	// MissingNotFound answers ResourceNotFound.TcrResourceNotFound.
	MissingNotFound MissingAnswer = iota
	// MissingEmpty answers an empty list.
	MissingEmpty
	// MissingProjectNotFound answers Harbor's words for a missing
	// namespace, InternalError.ErrorTcrUnauthorized "project not found:
	// <ns>", and an empty list for a missing repository.
	MissingProjectNotFound
)

// Behaviours lists the plausible behaviours of the real service, the
// first being the default (the most likely one, Harbor's).
func Behaviours() []Behaviour {
	return []Behaviour{
		{Name: "harbor", ConflictCode: "FailedOperation.PreconditionFailed", CarriesAccessories: true, SignsOnCopy: true, ReplicaImages: true, SyncWords: [3]string{"Success", "Running", "Failed"}},
		{Name: "strict", ConflictCode: "InternalError.ErrorTcrResourceConflict", SameDigestConflicts: true, Missing: MissingEmpty, SyncWords: [3]string{"Succeed", "InProgress", "Failed"}},
		{Name: "harbor-words", ConflictCode: "InternalError.ErrorConflict", Missing: MissingProjectNotFound, CarriesAccessories: true, IndexLabels: true, SyncWords: [3]string{"SUCCESS", "IN_PROGRESS", "ERROR"}},
		{Name: "lagging", ConflictCode: "FailedOperation.ErrorTcrResourceConflict", SameDigestConflicts: true, IndexLag: 700 * time.Millisecond, SignsOnCopy: true, ReplicaImages: true, SyncWords: [3]string{"Completed", "Syncing", "Failure"}},
	}
}

// WithBehaviour sets how the emulator answers where the real service is
// undocumented.
func WithBehaviour(b Behaviour) Option {
	return func(e *Emulator) { e.behaviour = b }
}

// ImmutableRule is a namespace's tag immutability rule (one per
// namespace): DuplicateImage may not overwrite an existing tag it selects,
// even with Override; it may create a new one.
type ImmutableRule = immutable.Rule

// SetImmutableRule sets a namespace's tag immutability rule.
func (e *Emulator) SetImmutableRule(registryID string, r ImmutableRule) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	reg := e.registries[registryID]
	if reg == nil || reg.namespaces[r.Namespace] == nil {
		return fmt.Errorf("no namespace %s in %s", r.Namespace, registryID)
	}
	c, err := immutable.Compile(r, e.ruleIDs+1)
	if err != nil {
		return err
	}
	if reg.rules == nil {
		reg.rules = map[string]*immutable.Compiled{}
	}
	e.ruleIDs++
	reg.rules[r.Namespace] = c
	return nil
}

type immutableTagRulesParams struct {
	RegistryId *string `json:"RegistryId"`
}

func (e *Emulator) describeImmutableTagRules(c call, p *immutableTagRulesParams) (any, *api3.Error) {
	return e.withInstance(c, p.RegistryId, func(r *registry) (any, *api3.Error) {
		return immutable.Describe(slices.Collect(maps.Keys(r.namespaces)), r.rules), nil
	})
}
