// Package decode is the typed settings: each decodes itself from its
// variable for go-envconfig (its DecoderCtx) and keeps what was wrong with
// the value instead of failing — go-envconfig stops at the first error,
// and a run must name every offending setting at once. The settings then
// report each problem, naming the variable as the user wrote it.
package decode

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Bool is a true/false setting (strconv.ParseBool's spellings).
type Bool struct {
	Value bool
	Raw   string // the text given
	Bad   bool   // it is not one
}

func (b *Bool) EnvDecode(_ context.Context, v string) error {
	var err error
	b.Raw = v
	b.Value, err = strconv.ParseBool(v)
	b.Bad = err != nil
	return nil
}

// Problem says what is wrong with the value, "" if nothing.
func (b Bool) Problem() string {
	if b.Bad {
		return fmt.Sprintf("%q is not true or false", b.Raw)
	}
	return ""
}

// Duration is a Go duration (90s, 2m, 1h30m) or a bare number of seconds.
type Duration struct {
	Value time.Duration
	Raw   string // the text given
	Bad   bool   // it is not one
}

func (d *Duration) EnvDecode(_ context.Context, v string) error {
	d.Raw = v
	if n, err := strconv.Atoi(v); err == nil {
		// A number too large for a Duration (about 292 years) is refused,
		// not wrapped.
		d.Value, d.Bad = time.Duration(n)*time.Second, n < 0 || n > int(math.MaxInt64/time.Second)
		return nil
	}
	var err error
	d.Value, err = time.ParseDuration(v)
	d.Bad = err != nil || d.Value < 0
	return nil
}

// Count is a whole number.
type Count struct {
	Value int
	Raw   string // the text given
	Bad   bool   // it is not one
}

func (c *Count) EnvDecode(_ context.Context, v string) error {
	var err error
	c.Raw = v
	c.Value, err = strconv.Atoi(v)
	c.Bad = err != nil
	return nil
}

// List is a list: a JSON array of strings, or items separated by commas or
// newlines (Drone and Woodpecker join YAML lists with commas; GitHub inputs
// are strings, often multi-line). Blanks are trimmed, empties dropped,
// order and repeats kept.
type List struct {
	Items []string
	Raw   string // the text given
	Why   string // what is wrong with it, "" if nothing
}

func (l *List) EnvDecode(_ context.Context, v string) error {
	l.Raw = v
	var items []string
	if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") {
		if err := json.Unmarshal([]byte(t), &items); err != nil {
			l.Why = fmt.Sprintf("not a JSON array of strings: %v", err)
			return nil
		}
	} else {
		items = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	}
	// Repeats are kept: where one matters (a tag, a repository, a
	// destination) the setting refuses it, as the promotion file does.
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			l.Items = append(l.Items, it)
		}
	}
	if len(l.Items) == 0 {
		l.Why = fmt.Sprintf("%q lists nothing", v)
	}
	return nil
}

// Problem says what is wrong with the list, "" if nothing.
func (l List) Problem() string { return l.Why }

// Set reports whether the list was given at all.
func (l List) Set() bool { return l.Raw != "" }
