package failure_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
)

// TestCodeTable walks every code TCR documents, the common codes and the
// client-side ones (testdata/error-codes.txt), and checks each one's class
// and exit code.
func TestCodeTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/error-codes.txt")
	if err != nil {
		t.Fatal(err)
	}
	exits := map[string]int{"unexpected": 1, "invalid": 65, "not_found": 66, "unavailable": 69, "conflict": 73, "temporary": 75, "permission": 77}
	n := 0
	for line := range strings.Lines(string(b)) {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		code, want := fields[0], fields[1]
		n++
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			class := failure.ClassOfCode(code)
			if class.String() != want {
				t.Errorf("ClassOfCode(%q) = %s, want %s", code, class, want)
			}
			err := fmt.Errorf("wrapped: %w", &failure.Error{Class: class, Code: code})
			if got := failure.ExitCode(err); got != exits[want] {
				t.Errorf("ExitCode = %d, want %d", got, exits[want])
			}
		})
	}
	if n < 81+30 {
		t.Errorf("%d codes walked: the file lost some", n)
	}
}

// TestUnknownCodes: a code the table does not know is unexpected and never
// retried, whatever family it looks like.
func TestUnknownCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code  string
		class failure.Class
	}{
		{"InternalError.SomethingNew", failure.ClassUnexpected},
		{"FailedOperation.SomethingNew", failure.ClassUnexpected},
		{"SomethingNew", failure.ClassUnexpected},
		{"OperationDenied.SomethingNew", failure.ClassUnexpected},
		{"InvalidParameterX", failure.ClassUnexpected}, // a prefix is not a parent
		{"AuthFailure.SomethingNew", failure.ClassPermission},
		{"ResourceNotFound.SomethingNew", failure.ClassNotFound},
		{"RequestLimitExceeded.SomethingNew", failure.ClassTemporary},
		{"", failure.ClassUnexpected},
	}
	for _, tt := range tests {
		if got := failure.ClassOfCode(tt.code); got != tt.class {
			t.Errorf("ClassOfCode(%q) = %s, want %s", tt.code, got, tt.class)
		}
		if tt.class == failure.ClassUnexpected && (&failure.Error{Class: failure.ClassOfCode(tt.code)}).Temporary() {
			t.Errorf("%q would be retried", tt.code)
		}
	}
}

func TestExitCodeEdges(t *testing.T) {
	t.Parallel()
	if got := failure.ExitCode(nil); got != 0 {
		t.Errorf("ExitCode(nil) = %d, want 0", got)
	}
	if got := failure.ExitCode(errors.New("plain")); got != 1 {
		t.Errorf("ExitCode(plain error) = %d, want 1", got)
	}
	for c := failure.ClassOK; c <= failure.ClassPermission; c++ {
		if got := failure.ExitCode(&failure.Error{Class: c}); got == 78 {
			t.Errorf("class %s exits 78, which makes Drone skip the pipeline", c)
		}
	}
}
