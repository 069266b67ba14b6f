package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

func finished(phase runletv1.Phase, reason runletv1.Reason, code *int32) *runletv1.Execution {
	return &runletv1.Execution{Status: runletv1.ExecutionStatus{
		Phase: phase, Reason: reason, ExitCode: code}}
}

func code(c int32) *int32 { return &c }

func TestExitCodeForPassesOnTheProgramsCodeOnlyWhenItEndedOnItsOwn(t *testing.T) {
	for _, tc := range []struct {
		name string
		exec *runletv1.Execution
		want int
	}{
		{"success is zero",
			finished(runletv1.PhaseSucceeded, runletv1.ReasonCompleted, code(0)), 0},
		{"non-zero exit is passed on",
			finished(runletv1.PhaseFailed, runletv1.ReasonError, code(3)), 3},
		{"a signal's code is passed on as a shell would show it",
			finished(runletv1.PhaseFailed, runletv1.ReasonSignaled, code(139)), 139},
		{"out of memory gives the kill's code",
			finished(runletv1.PhaseFailed, runletv1.ReasonOOMKilled, code(137)), 137},
		{"a timeout is 1 although the stopped program had a code",
			finished(runletv1.PhaseFailed, runletv1.ReasonDeadlineExceeded, code(143)), 1},
		{"a cancellation is 1",
			finished(runletv1.PhaseFailed, runletv1.ReasonCancelled, code(137)), 1},
		{"a lost container is 1",
			finished(runletv1.PhaseFailed, runletv1.ReasonContainerLost, nil), 1},
		{"an invalid spec has no code and is 1",
			finished(runletv1.PhaseFailed, runletv1.ReasonInvalidSpec, nil), 1},
		{"a missing image is 1",
			finished(runletv1.PhaseFailed, runletv1.ReasonImageUnavailable, nil), 1},
		{"a failure never reports zero",
			finished(runletv1.PhaseFailed, runletv1.ReasonError, code(0)), 1},
		{"a code beyond one byte is 1",
			finished(runletv1.PhaseFailed, runletv1.ReasonError, code(300)), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, exitCodeFor(tc.exec))
		})
	}
}
