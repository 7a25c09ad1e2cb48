package settings

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/spelling"
)

// ParseFlags reads the command line's settings: every setting is a flag,
// --source-image value or --source-image=value, and a true/false one
// alone means true (--dry-run). It returns them by the setting's key, for
// LoadWith. An argument that is no setting's flag is a usage error,
// naming the nearest one.
func ParseFlags(args []string) (map[string]string, error) {
	byFlag := map[string]Setting{}
	for _, s := range all() {
		byFlag[s.Flag()] = s
	}
	flags := map[string]string{}
	var problems []string
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		s, ok := byFlag[name]
		switch {
		case !ok:
			msg := fmt.Sprintf("unknown argument %q", shorten(args[i], 80))
			if key, near := spelling.Nearest(strings.TrimLeft(name, "-"), settingKeys()); near && strings.HasPrefix(name, "-") {
				msg += fmt.Sprintf(": did you mean %s?", spelling.Flag(key))
			}
			problems = append(problems, msg)
			continue
		case hasValue:
		case s.Bool && (i+1 == len(args) || !isBool(args[i+1])):
			value = "true"
		case i+1 < len(args):
			i++
			value = args[i]
		default:
			problems = append(problems, fmt.Sprintf("%s needs a value", name))
			continue
		}
		flags[s.Env] = value
	}
	if len(problems) > 0 {
		return nil, failure.Usagef("invalid arguments: %s (see --help)", strings.Join(problems, "; "))
	}
	return flags, nil
}

// isBool reports whether s is a true/false value as Bool reads one.
func isBool(s string) bool {
	_, err := strconv.ParseBool(s)
	return err == nil
}

// LoadWith is Load with the command line's flags (ParseFlags), which win
// over the environment.
func LoadWith(env envconfig.Lookuper, flags map[string]string) (*Config, error) {
	return load(env, flags)
}
