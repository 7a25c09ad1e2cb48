package plugin

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promote"
)

// report logs one line for a success, or the failure with what to do next.
func report(log *cilog.Logger, registry string, res promote.Result, batch bool) {
	what := fmt.Sprintf("%s → %s in %s", res.Source, res.Destination, registry)
	if res.Source == (imageref.Ref{}) {
		what = "before any promotion" // settings or credentials
	}
	if res.Err == nil {
		verb := map[promote.Status]string{promote.StatusPromoted: "promoted", promote.StatusDryRun: "dry run ok:", promote.StatusAlreadyThere: "already promoted"}[res.Status]
		var detail []string
		if res.Digest != "" {
			detail = append(detail, res.Digest)
		}
		if res.RequestID != "" {
			detail = append(detail, "RequestId "+res.RequestID)
		} else {
			detail = append(detail, "nothing copied")
		}
		log.Infof("%s %s (%s)", verb, what, strings.Join(detail, ", "))
		return
	}
	class := failure.ClassOf(res.Err)
	e, _ := errors.AsType[*failure.Error](res.Err)
	if class == failure.ClassUsage {
		log.Errorf("%s (exit %d)", res.Err, failure.ExitCode(res.Err))
		log.Annotate("tcr-promote: invalid settings", res.Err.Error())
		return
	}
	exit := fmt.Sprintf(" (exit %d)", failure.ExitCode(res.Err))
	if batch {
		exit = "" // the batch's exit code is decided at the end
	}
	log.Errorf("failed %s: %s%s", what, class, exit)
	if e != nil {
		log.Errorf("  %s: %s", cmpOrNone(e.Code), e.Message)
		log.Errorf("  RequestId: %s", cmp.Or(e.RequestID, "none (no answer from the API)"))
	} else {
		log.Errorf("  %s", res.Err)
	}
	switch {
	case res.Copied:
		// The failure came after the copy: say plainly what changed.
		log.Errorf("  the registry was changed: DuplicateImage wrote %s (RequestId %s)", res.Destination, cmp.Or(res.RequestID, "unknown"))
	case res.MaybeCopied:
		log.Errorf("  the registry may have been changed: DuplicateImage was sent to write %s, and what became of it is unknown; a re-run reads it first", res.Destination)
	}
	log.Errorf("  next: %s", failure.Next(res.Err))
	log.Annotate("tcr-promote: "+class.String(), fmt.Sprintf("%s: %s", what, res.Err))
}

func cmpOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
