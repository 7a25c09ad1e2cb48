package settings

import (
	"fmt"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/settings/decode"
	"github.com/tcr-promote/tcr-promote/plugin/spelling"
)

// parser collects every problem in the settings so that one run reports
// them all.
type parser struct {
	l        *spelling.Lookuper
	problems []string
	warnings []string
}

// The most a run tells of its settings' problems: a file with a
// thousand bad lines, or a value of megabytes echoed back, would flood
// the log and the error output.
const (
	maxProblems    = 20
	maxProblemText = 1000
)

func (p *parser) fail(format string, args ...any) {
	p.problems = append(p.problems, shorten(fmt.Sprintf(format, args...), maxProblemText))
}

// warn records what the settings allow but should not; the parser's
// caller adds them to the Config.
func (p *parser) warn(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
}

func (p *parser) failed() bool { return len(p.problems) > 0 }

func (p *parser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	told := p.problems
	if len(told) > maxProblems {
		told = append(told[:maxProblems:maxProblems], fmt.Sprintf("and %d more", len(p.problems)-maxProblems))
	}
	e := failure.Usagef("invalid settings: %s", strings.Join(told, "; "))
	e.Problems = told
	return e
}

// required fails when v is empty, naming the setting's variables and the
// setting that may stand for it (its or: tag), if any.
func (p *parser) required(key, v string) string {
	if v != "" {
		return v
	}
	n := spelling.Names(key)
	msg := fmt.Sprintf("%s is required (set %s, %s or %s)", strings.ToLower(key), spelling.Flag(key), n[0], n[1])
	for _, s := range all() {
		if s.Env == key && s.Or != "" {
			msg += ", or give " + s.Or
		}
	}
	p.fail("%s", msg)
	return v
}

func (p *parser) match(key, v string, valid func(string) bool, what string) string {
	if v != "" && !valid(v) {
		p.fail("%s: %q is not %s", p.l.Key(key), v, what)
	}
	return v
}

func (p *parser) bool(key string, b decode.Bool) bool {
	if why := b.Problem(); why != "" {
		p.fail("%s: %s", p.l.Key(key), why)
	}
	return b.Value
}

func (p *parser) duration(key string, d decode.Duration) time.Duration {
	if d.Bad || d.Value == 0 {
		p.fail("%s: %q is not a positive duration such as 90s or 2m", p.l.Key(key), d.Raw)
	}
	return d.Value
}

// wait is a duration that may be 0.
func (p *parser) wait(key string, d decode.Duration) time.Duration {
	if d.Bad {
		p.fail("%s: %q is not a duration such as 10s, or 0", p.l.Key(key), d.Raw)
	}
	return d.Value
}

func (p *parser) count(key string, c decode.Count, lo, hi int) int {
	if c.Bad || c.Value < lo || c.Value > hi {
		p.fail("%s: %q is not a whole number from %d to %d", p.l.Key(key), c.Raw, lo, hi)
	}
	return c.Value
}

// list returns a list setting's items, each checked by valid; nil when it
// is not set.
func (p *parser) list(key string, l decode.List, valid func(string) bool, what string) []string {
	if !l.Set() {
		return nil
	}
	if why := l.Problem(); why != "" {
		p.fail("%s: %s", p.l.Key(key), why)
	}
	for _, it := range l.Items {
		p.match(key, it, valid, what)
	}
	return l.Items
}
