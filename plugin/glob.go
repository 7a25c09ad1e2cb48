package plugin

import (
	"path"
	"strings"
)

// globMatch reports whether name matches a Harbor doublestar pattern, as
// TCR's tag immutability rules use them: "*" and "?" within one path
// segment, "**" as a whole segment for any number of segments, "[…]"
// classes and "{a,b}" alternatives. An empty pattern matches everything.
// A malformed pattern matches nothing.
func globMatch(pattern, name string) bool {
	if pattern == "" {
		return true
	}
	for _, alt := range expandBraces(pattern) {
		if matchSegments(strings.Split(alt, "/"), strings.Split(name, "/")) {
			return true
		}
	}
	return false
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for skip := 0; skip <= len(name); skip++ {
				if matchSegments(pat[1:], name[skip:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], name[0]); err != nil || !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// expandBraces turns "v{1,2}.*" into "v1.*" and "v2.*", nested braces too.
func expandBraces(p string) []string {
	open := strings.IndexByte(p, '{')
	if open < 0 {
		return []string{p}
	}
	depth, start := 0, open+1
	var alts []string
	for i := open; i < len(p); i++ {
		switch p[i] {
		case '{':
			depth++
		case ',':
			if depth == 1 {
				alts, start = append(alts, p[start:i]), i+1
			}
		case '}':
			if depth--; depth == 0 {
				alts = append(alts, p[start:i])
				var out []string
				for _, a := range alts {
					out = append(out, expandBraces(p[:open]+a+p[i+1:])...)
				}
				return out
			}
		}
	}
	return []string{p} // unbalanced: literal
}
