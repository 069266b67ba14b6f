package controllers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

func executionIn(phase runletv1.Phase) *runletv1.Execution {
	return &runletv1.Execution{
		ObjectMeta: metav1.ObjectMeta{UID: "uid-1"},
		Status:     runletv1.ExecutionStatus{Phase: phase},
	}
}

func TestACacheReadOlderThanTheLastStatusWriteIsBehind(t *testing.T) {
	var w writtenPhases
	w.remember("uid-1", runletv1.PhaseRunning, "")

	assert.True(t, w.behind(executionIn("")))
	assert.True(t, w.behind(executionIn(runletv1.PhasePending)))
	assert.False(t, w.behind(executionIn(runletv1.PhaseRunning)), "the cache caught up")
	assert.False(t, w.behind(executionIn("")), "caught up once, the Execution is forgotten")
}

func TestAnExecutionNeverWrittenIsNeverBehind(t *testing.T) {
	var w writtenPhases
	assert.False(t, w.behind(executionIn("")))
}

func TestAForgottenExecutionIsNotBehind(t *testing.T) {
	var w writtenPhases
	w.remember("uid-1", runletv1.PhaseSucceeded, "")
	w.forget("uid-1")
	assert.False(t, w.behind(executionIn(runletv1.PhaseRunning)))
}
