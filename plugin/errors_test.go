package plugin_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tcr-promote/tcr-promote/plugin"
)

func TestClassOfCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code  string
		class plugin.Class
		exit  int
	}{
		{"FailedOperation", plugin.ClassUnexpected, 1},
		{"FailedOperation.EmptyCoreBody", plugin.ClassUnexpected, 1},
		{"FailedOperation.OperationCancel", plugin.ClassUnexpected, 1},
		{"SomethingNew", plugin.ClassUnexpected, 1},
		{"ClientError.ParseJsonError", plugin.ClassUnexpected, 1},
		{"InvalidParameter", plugin.ClassInvalid, 65},
		{"InvalidParameter.ErrorTcrInvalidParameter", plugin.ClassInvalid, 65},
		{"InvalidParameterValue", plugin.ClassInvalid, 65},
		{"MissingParameter", plugin.ClassInvalid, 65},
		{"UnknownParameter", plugin.ClassInvalid, 65},
		{"ResourceNotFound", plugin.ClassNotFound, 66},
		{"ResourceNotFound.TcrResourceNotFound", plugin.ClassNotFound, 66},
		{"UnsupportedOperation", plugin.ClassUnavailable, 69},
		{"ResourceUnavailable.Instance", plugin.ClassUnavailable, 69},
		{"ActionOffline", plugin.ClassUnavailable, 69},
		{"InvalidAction", plugin.ClassUnavailable, 69},
		{"FailedOperation.PreconditionFailed", plugin.ClassConflict, 73},
		{"InternalError.ErrorTcrResourceConflict", plugin.ClassConflict, 73},
		{"ResourceInUse", plugin.ClassConflict, 73},
		{"ResourceInUse.Tag", plugin.ClassConflict, 73},
		{"RequestLimitExceeded", plugin.ClassTemporary, 75},
		{"RequestLimitExceeded.UinLimitExceeded", plugin.ClassTemporary, 75},
		{"InternalError", plugin.ClassTemporary, 75},
		{"InternalError.DbError", plugin.ClassTemporary, 75},
		{"InternalError.ErrorTcrInternal", plugin.ClassTemporary, 75},
		{"ClientError.NetworkError", plugin.ClassTemporary, 75},
		{"ClientError.Timeout", plugin.ClassTemporary, 75},
		{"AuthFailure", plugin.ClassPermission, 77},
		{"AuthFailure.SignatureFailure", plugin.ClassPermission, 77},
		{"AuthFailure.UnauthorizedOperation", plugin.ClassPermission, 77},
		{"UnauthorizedOperation", plugin.ClassPermission, 77},
		{"OperationDenied.Something", plugin.ClassPermission, 77},
		{"InvalidParameterX", plugin.ClassUnexpected, 1}, // a prefix is not a parent
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			if got := plugin.ClassOfCode(tt.code); got != tt.class {
				t.Errorf("ClassOfCode(%q) = %s, want %s", tt.code, got, tt.class)
			}
			err := fmt.Errorf("wrapped: %w", &plugin.Error{Class: plugin.ClassOfCode(tt.code), Code: tt.code})
			if got := plugin.ExitCode(err); got != tt.exit {
				t.Errorf("ExitCode = %d, want %d", got, tt.exit)
			}
		})
	}
}

func TestExitCodeEdges(t *testing.T) {
	t.Parallel()
	if got := plugin.ExitCode(nil); got != 0 {
		t.Errorf("ExitCode(nil) = %d, want 0", got)
	}
	if got := plugin.ExitCode(errors.New("plain")); got != 1 {
		t.Errorf("ExitCode(plain error) = %d, want 1", got)
	}
	for c := plugin.ClassOK; c <= plugin.ClassPermission; c++ {
		if got := plugin.ExitCode(&plugin.Error{Class: c}); got == 78 {
			t.Errorf("class %s exits 78, which makes Drone skip the pipeline", c)
		}
	}
}
