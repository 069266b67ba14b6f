package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

func TestWaitErrorPointsAtGetOnlyWhileTheExecutionExists(t *testing.T) {
	gone := apierrors.NewNotFound(runletv1.GroupVersion.WithResource("executions").GroupResource(),
		"run-x7k2p")
	for _, tc := range []struct {
		name      string
		err       error
		wantPoint bool
	}{
		{"deleted while watched", errDeleted, false},
		{"gone when read again", fmt.Errorf("get execution run-x7k2p: %w", gone), false},
		{"the API server could not be reached", errors.New("connection refused"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := waitError("run-x7k2p", tc.err)
			assert.ErrorIs(t, err, tc.err)
			if tc.wantPoint {
				assert.ErrorContains(t, err, "(see kubectl runlet get run-x7k2p)")
			} else {
				assert.NotContains(t, err.Error(), "kubectl runlet get")
			}
		})
	}
}

func TestCancelledLinePromisesTheCancelledEndOnlyWhenRunletHasTheExecution(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status runletv1.ExecutionStatus
		want   string
	}{
		{"never picked up", runletv1.ExecutionStatus{},
			"run-x7k2p: asked to cancel, but nothing has picked it up yet: " +
				"is a runlet manager running for namespace team-a?"},
		{"running", runletv1.ExecutionStatus{Phase: runletv1.PhaseRunning},
			"run-x7k2p: cancelled; it ends Failed (Cancelled)"},
		{"queued", runletv1.ExecutionStatus{Phase: runletv1.PhasePending,
			Reason: runletv1.ReasonQueued}, "run-x7k2p: cancelled; it ends Failed (Cancelled)"},
		{"ended first", runletv1.ExecutionStatus{Phase: runletv1.PhaseSucceeded,
			Reason: runletv1.ReasonCompleted},
			"run-x7k2p: Succeeded (Completed); it had ended before it could be cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, cancelledLine(named(tc.status)))
		})
	}
}
