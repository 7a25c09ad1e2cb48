package outputs

import (
	"cmp"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// RecordType is the promotion record's predicate type.
const RecordType = "https://github.com/tcr-promote/tcr-promote/promotion/v1"

// Record is the promotion record (record_file): an in-toto predicate of
// what was promoted, checked and carried, by which CI run — for
// actions/attest (predicate-type, predicate-path) or cosign attest
// --type, with the promoted image as its subject.
type Record struct {
	Tool       recordTool        `json:"tool"`
	Registry   recordRegistry    `json:"registry"`
	Promotions []recordPromotion `json:"promotions"`
	Run        recordRun         `json:"run"`
	StartedOn  time.Time         `json:"startedOn"`
	FinishedOn time.Time         `json:"finishedOn"`
}

// recordRun is the CI run, as the runner describes it; what it does not
// say is left out.
type recordRun struct {
	System     string `json:"system,omitempty"`
	Repository string `json:"repository,omitempty"`
	ID         string `json:"id,omitempty"`
	URL        string `json:"url,omitempty"`
	Commit     string `json:"commit,omitempty"`
	Actor      string `json:"actor,omitempty"`
}

type recordTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	URI     string `json:"uri"`
}

type recordRegistry struct {
	Host     string `json:"host,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// recordPromotion is one source and where it went.
type recordPromotion struct {
	Source       recordSource        `json:"source"`
	Checks       []recordCheck       `json:"checks"`
	Destinations []recordDestination `json:"destinations"`
}

type recordSource struct {
	Host       string `json:"host,omitempty"`
	Repository string `json:"repository"`
	Tag        string `json:"tag,omitempty"`
	Digest     string `json:"digest,omitempty"`
}

type recordCheck struct {
	Name     string `json:"name"`
	Required string `json:"required"`
	Found    string `json:"found"`
	Passed   bool   `json:"passed"`
}

type recordDestination struct {
	Reference      string   `json:"reference"`
	Digest         string   `json:"digest,omitempty"`
	PreviousDigest string   `json:"previousDigest,omitempty"`
	Status         string   `json:"status"`
	RequestID      string   `json:"requestId,omitempty"`
	Accessories    []string `json:"accessories"`
	Platforms      []string `json:"platforms,omitempty"`
	Signed         bool     `json:"kmsSigned,omitempty"`
	Change         string   `json:"change,omitempty"`
	Where          string   `json:"where,omitempty"`
	// Replicas is each replica region's state of it (wait_replicas):
	// ok once that region serves the digest.
	Replicas   map[string]string `json:"replicas,omitempty"`
	ErrorCode  string            `json:"errorCode,omitempty"`
	ErrorClass string            `json:"errorClass,omitempty"`
}

// Invocation is what the record needs of this run of the step beyond
// the results: its version, times and registry.
type Invocation struct {
	Version           string
	Started, Finished time.Time
	Registry          string // the instance ID (or the Personal host)
	Host              string // the registry host, when known
}

// NewRecord builds the record of results, grouped by source in the order
// of the promotions.
func NewRecord(cfg *settings.Config, run Invocation, results []promotion.Result) Record {
	run.Host = cmp.Or(run.Host, cfg.RegistryDomain, cfg.RegistryHost)
	for _, res := range results {
		run.Host = cmp.Or(run.Host, hostOf(res.Image))
	}
	r := Record{
		Tool:     recordTool{Name: "tcr-promote", Version: run.Version, URI: "https://github.com/tcr-promote/tcr-promote"},
		Registry: recordRegistry{Host: run.Host, Instance: run.Registry},
		Run:      recordRun(cfg.CI.Pipeline), StartedOn: run.Started.UTC(), FinishedOn: run.Finished.UTC(),
	}
	index := map[imageref.Ref]int{}
	for _, res := range results {
		if res.Source == (imageref.Ref{}) {
			continue // settings or credentials failed: nothing was promoted
		}
		i, ok := index[res.Source]
		if !ok {
			i = len(r.Promotions)
			index[res.Source] = i
			src := recordSource{Host: run.Host, Repository: res.Source.Namespace + "/" + res.Source.Repo, Tag: res.Source.Tag, Digest: cmp.Or(res.Source.Digest, res.Digest)}
			checks := []recordCheck{}
			for _, c := range res.Checks {
				checks = append(checks, recordCheck(c))
			}
			r.Promotions = append(r.Promotions, recordPromotion{Source: src, Checks: checks})
		}
		dst := res.Destination
		dst.Host = run.Host
		d := recordDestination{Reference: dst.String(), Digest: res.Digest, PreviousDigest: res.PreviousDigest, Status: res.Status.String(),
			RequestID: res.RequestID, Accessories: append([]string{}, res.Accessories...), Platforms: res.Platforms, Signed: res.Signed != "",
			Change: res.Change.String(), Where: res.Where}
		for _, st := range res.Replicas {
			if d.Replicas == nil {
				d.Replicas = map[string]string{}
			}
			d.Replicas[st.Region] = string(st.State)
		}
		if res.Err != nil {
			d.ErrorClass = failure.ClassOf(res.Err).String()
			if e, ok := errors.AsType[*failure.Error](res.Err); ok {
				d.ErrorCode = e.Code
			}
		}
		r.Promotions[i].Destinations = append(r.Promotions[i].Destinations, d)
	}
	if r.Promotions == nil {
		r.Promotions = []recordPromotion{}
	}
	return r
}

// WriteRecord writes the record to record_file, whole and atomically.
func WriteRecord(cfg *settings.Config, run Invocation, results []promotion.Result) error {
	b, err := json.MarshalIndent(NewRecord(cfg, run, results), "", "  ")
	if err != nil {
		return err
	}
	return replaceFile(cfg.RecordFile, string(b)+"\n")
}

// hostOf is the registry host of an image output, "" if none.
func hostOf(image string) string {
	host, _, ok := strings.Cut(image, "/")
	if !ok {
		return ""
	}
	return host
}
