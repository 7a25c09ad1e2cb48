// Package promotion is the vocabulary of a promotion's outcome, shared by
// the flow that makes it (promote, personal), the wait that follows it
// (replicas) and the reports (outputs): a Result, its Status, the Change
// a plan says, and each replica's state.
package promotion

import (
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/supply"
)

// Status is a promotion's outcome.
type Status int

const (
	StatusFailed       Status = iota
	StatusPromoted            // this run changed the destination
	StatusAlreadyThere        // the destination already held the source's image
	StatusDryRun              // every precondition checked, nothing changed
)

func (s Status) String() string {
	return [...]string{"failed", "promoted", "already_there", "dry_run"}[s]
}

// Change is what a promotion does, or would do, to its destination, as a
// plan says it; ChangeUnknown when nothing was read (verify: false).
type Change int

const (
	ChangeUnknown      Change = iota
	ChangeCreate              // the destination does not exist
	ChangeMove                // the destination points at another digest
	ChangeAlreadyThere        // the destination holds the source's digest
	ChangeRefused             // a check refused it: nothing is changed
)

func (c Change) String() string {
	return [...]string{"", "create", "move", "already_there", "refused"}[c]
}

// Result is the outcome of one promotion.
type Result struct {
	Source      imageref.Ref
	Destination imageref.Ref
	Status      Status
	// RequestID is the DuplicateImage call's whenever a copy was made,
	// even if a later call failed; otherwise the failed call's.
	RequestID string
	// Copied: a DuplicateImage call succeeded, so the registry changed,
	// whatever happened after.
	Copied bool
	// MaybeCopied: a DuplicateImage was sent and what became of it is
	// unknown (its answer lost, and the destination could not be read).
	MaybeCopied bool
	// Via is how the copy was made: ViaDuplicate (DuplicateImage, within
	// the instance) or ViaRegistry (through the registries, to another
	// instance); "" when nothing was copied.
	Via string
	// CopiedBytes is the blob bytes the promotion moved through the
	// runner (ViaRegistry): layers and configs, not manifests.
	CopiedBytes int64
	Digest      string // what the destination points at, when verified
	Image       string // domain/namespace/repo:tag@digest, when verified
	// PreviousDigest is what the destination pointed at before this run,
	// "" when it did not exist (or was not read): what a rollback
	// promotes back.
	PreviousDigest string
	Accessories    []string       // the cosign tags carried into the destination's repository
	Platforms      []string       // os/arch of the image, or of each image of an index
	Signed         string         // sign: kms: CreateSignature's RequestId, or "already" if it was signed
	Checks         []supply.Check // what was checked before the copy
	Change         Change         // what the plan was for the destination
	// Where is the destination's file:line:column in the promotion
	// file, "" for the settings.
	Where string
	// Replicas is each replica's state of this destination (wait_replicas).
	Replicas []ReplicaState
	Err      error // nil on success; a *failure.Error otherwise
	// Log holds, in a batch, the lines the promotion wrote while it
	// worked, for the report to flush just before its own line; nil when
	// they went out as they came.
	Log *cilog.Logger
}

// How a copy was made.
const (
	ViaDuplicate = "duplicate"
	ViaRegistry  = "registry"
)

// SourceDigest is the source's digest as the promotion read it: what the
// destination holds after it, or what the verify check found before.
func (r Result) SourceDigest() string {
	if r.Digest != "" {
		return r.Digest
	}
	for _, c := range r.Checks {
		if c.Name == "verify" {
			return c.Found
		}
	}
	return ""
}

// ReplicaState is a replica's state of the promoted destinations.
type ReplicaState struct {
	Region, ID string
	State      ReplicaStatus
}

// ReplicaStatus is where a replica stands, as the replicas output says it.
type ReplicaStatus string

const (
	ReplicaOK     ReplicaStatus = "ok"     // it holds every destination at its digest
	ReplicaBehind ReplicaStatus = "behind" // not yet
	ReplicaFailed ReplicaStatus = "failed" // its sync status says so, or it could not be read
)
