// Package testenv builds the step's environment in tests: a map of
// variables, changed per case, handed to the settings as their lookuper
// instead of the process's own environment (t.Setenv would forbid
// parallel tests).
package testenv

import "maps"

// With returns vars with changes applied; an empty value unsets the
// variable. vars is not changed.
func With(vars, changes map[string]string) map[string]string {
	out := maps.Clone(vars)
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}
