// Package immutable is TCR's tag immutability rules as the emulator
// enforces them: a namespace's rule selects repositories and tags by
// Harbor's doublestar globs (matched or excluded), and DuplicateImage may
// not overwrite an existing tag it selects, even with Override. The globs
// are translated here with the standard library alone, independently of
// the doublestar library the step matches them with.
package immutable

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Rule is a namespace's tag immutability rule (one per namespace).
// Patterns are Harbor's doublestar globs; the repository pattern is
// matched against the repository's name within the namespace.
type Rule struct {
	Namespace            string
	RepositoryPattern    string
	TagPattern           string
	RepositoryDecoration string // repoMatches (default) or repoExcludes
	TagDecoration        string // matches (default) or excludes
	Disabled             bool
}

// Compiled is a rule with its patterns compiled, and the ID TCR gave it.
type Compiled struct {
	Rule
	ID         int64
	repo, tags *regexp.Regexp
}

// Compile compiles r's patterns.
func Compile(r Rule, id int64) (*Compiled, error) {
	repo, err := globRegexp(r.RepositoryPattern)
	if err != nil {
		return nil, err
	}
	tags, err := globRegexp(r.TagPattern)
	if err != nil {
		return nil, err
	}
	return &Compiled{Rule: r, ID: id, repo: repo, tags: tags}, nil
}

// Covers reports whether the rule protects repo:tag of its namespace.
func (c *Compiled) Covers(repo, tag string) bool {
	return c != nil && !c.Disabled &&
		c.repo.MatchString(repo) == (c.RepositoryDecoration != "repoExcludes") &&
		c.tags.MatchString(tag) == (c.TagDecoration != "excludes")
}

// Info is one entry of DescribeImmutableTagRules' Rules.
type Info struct {
	RepositoryPattern    string `json:"RepositoryPattern"`
	TagPattern           string `json:"TagPattern"`
	RepositoryDecoration string `json:"RepositoryDecoration"`
	TagDecoration        string `json:"TagDecoration"`
	Disabled             bool   `json:"Disabled"`
	RuleId               int64  `json:"RuleId"`
	NsName               string `json:"NsName"`
}

// Describe is DescribeImmutableTagRules' answer for an instance of these
// namespaces and rules (by namespace): each rule, and the namespaces
// without one, in name order.
func Describe(namespaces []string, rules map[string]*Compiled) map[string]any {
	infos := []Info{}
	emptyNs := []string{}
	for _, ns := range namespaces {
		ru := rules[ns]
		if ru == nil {
			emptyNs = append(emptyNs, ns)
			continue
		}
		infos = append(infos, Info{
			RepositoryPattern: ru.RepositoryPattern, TagPattern: ru.TagPattern,
			RepositoryDecoration: cmp.Or(ru.RepositoryDecoration, "repoMatches"), TagDecoration: cmp.Or(ru.TagDecoration, "matches"),
			Disabled: ru.Disabled, RuleId: ru.ID, NsName: ns,
		})
	}
	slices.SortFunc(infos, func(a, b Info) int { return strings.Compare(a.NsName, b.NsName) })
	slices.Sort(emptyNs)
	return map[string]any{"Rules": infos, "EmptyNs": emptyNs, "Total": len(infos)}
}

// globRegexp translates a doublestar glob into a regular expression: "*"
// and "?" stay within a path segment, a "**" segment spans any number of
// them, "{a,b}" is an alternation. An empty pattern matches everything.
func globRegexp(glob string) (*regexp.Regexp, error) {
	if glob == "" {
		return regexp.Compile(`.*`)
	}
	var b strings.Builder
	b.WriteString("^")
	depth := 0
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch {
		case glob[i:] == "/**":
			b.WriteString(`(?:/.*)?`) // "a/**" is a and everything under it
			i += 2
		case strings.HasPrefix(glob[i:], "**") && (i == 0 || glob[i-1] == '/'):
			i++
			if i+1 < len(glob) && glob[i+1] == '/' {
				b.WriteString(`(?:[^/]*/)*`) // "**/": any number of whole segments
				i++
			} else {
				b.WriteString(`.*`)
			}
		case c == '*':
			b.WriteString(`[^/]*`)
		case c == '?':
			b.WriteString(`[^/]`)
		case c == '{':
			b.WriteString(`(?:`)
			depth++
		case c == '}' && depth > 0:
			b.WriteString(`)`)
			depth--
		case c == ',' && depth > 0:
			b.WriteString(`|`)
		case c == '[':
			end := strings.IndexByte(glob[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("glob %q: unclosed [", glob)
			}
			class := glob[i+1 : i+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
