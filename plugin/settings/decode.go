package settings

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The typed settings. Each decodes itself from its variable for
// go-envconfig (its DecoderCtx) and keeps what was wrong with the value
// instead of failing: go-envconfig stops at the first error, and a run
// must name every offending setting at once. Load then reports each
// problem, naming the variable as the user wrote it.

// Bool is a true/false setting (strconv.ParseBool's spellings).
type Bool struct {
	Value bool
	raw   string
	bad   bool
}

func (b *Bool) EnvDecode(_ context.Context, v string) error {
	var err error
	b.raw = v
	b.Value, err = strconv.ParseBool(v)
	b.bad = err != nil
	return nil
}

func (b Bool) problem() string {
	if b.bad {
		return fmt.Sprintf("%q is not true or false", b.raw)
	}
	return ""
}

// Duration is a Go duration (90s, 2m, 1h30m) or a bare number of seconds.
type Duration struct {
	Value time.Duration
	raw   string
	bad   bool
}

func (d *Duration) EnvDecode(_ context.Context, v string) error {
	d.raw = v
	if n, err := strconv.Atoi(v); err == nil {
		// A number too large for a Duration (about 292 years) is refused,
		// not wrapped.
		d.Value, d.bad = time.Duration(n)*time.Second, n < 0 || n > int(math.MaxInt64/time.Second)
		return nil
	}
	var err error
	d.Value, err = time.ParseDuration(v)
	d.bad = err != nil || d.Value < 0
	return nil
}

// Count is a whole number.
type Count struct {
	Value int
	raw   string
	bad   bool
}

func (c *Count) EnvDecode(_ context.Context, v string) error {
	var err error
	c.raw = v
	c.Value, err = strconv.Atoi(v)
	c.bad = err != nil
	return nil
}

// List is a list: a JSON array of strings, or items separated by commas or
// newlines (Drone and Woodpecker join YAML lists with commas; GitHub inputs
// are strings, often multi-line). Blanks are trimmed, empties dropped,
// order and repeats kept.
type List struct {
	Items []string
	raw   string
	why   string
}

func (l *List) EnvDecode(_ context.Context, v string) error {
	l.raw = v
	var items []string
	if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") {
		if err := json.Unmarshal([]byte(t), &items); err != nil {
			l.why = fmt.Sprintf("not a JSON array of strings: %v", err)
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
		l.why = fmt.Sprintf("%q lists nothing", v)
	}
	return nil
}

func (l List) problem() string { return l.why }

// set reports whether the list was given at all.
func (l List) set() bool { return l.raw != "" }
