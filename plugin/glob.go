package plugin

import (
	"cmp"

	"github.com/bmatcuk/doublestar/v4"
)

// globMatch reports whether name matches a tag immutability rule's
// pattern: Harbor's doublestar globs, matched with doublestar itself
// ("*" and "?" within one path segment, "**" across segments, "[…]"
// classes, "{a,b}" alternatives). An empty pattern matches everything; a
// malformed one matches nothing.
func globMatch(pattern, name string) bool {
	ok, err := doublestar.Match(cmp.Or(pattern, "**"), name)
	return ok && err == nil
}
