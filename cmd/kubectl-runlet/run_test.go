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
