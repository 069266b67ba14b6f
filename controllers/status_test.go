package controllers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/api/meta"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

func TestPhaseNeverMovesBackwards(t *testing.T) {
	const (
		none      = runletv1.Phase("")
		pending   = runletv1.PhasePending
		running   = runletv1.PhaseRunning
		succeeded = runletv1.PhaseSucceeded
		failed    = runletv1.PhaseFailed
	)
	cases := []struct {
		from, to, want runletv1.Phase
	}{
		{none, pending, pending},
		{pending, pending, pending},
		{pending, running, running},
		{none, failed, failed},
		{pending, failed, failed},
		{running, succeeded, succeeded},
		{running, pending, running},
		{succeeded, running, succeeded},
		{succeeded, failed, succeeded},
		{failed, succeeded, failed},
		{failed, pending, failed},
	}
	for _, c := range cases {
		p := newPass(&runletv1.Execution{Status: runletv1.ExecutionStatus{Phase: c.from}})
		p.setPhase(c.to, runletv1.ReasonCompleted, "moved")
		assert.Equal(t, c.want, p.exec.Status.Phase, "%q to %q", c.from, c.to)
		assert.Equal(t, c.to.IsFinished() && !c.from.IsFinished(), p.finished,
			"%q to %q finishes the Execution only when it was not finished before", c.from, c.to)
	}
}

func TestAFinishedExecutionKeepsItsReasonAndMessage(t *testing.T) {
	p := newPass(&runletv1.Execution{Status: runletv1.ExecutionStatus{
		Phase: runletv1.PhaseFailed, Reason: runletv1.ReasonOOMKilled, Message: "out of memory"}})
	p.setPhase(runletv1.PhaseFailed, runletv1.ReasonContainerLost, "lost")
	assert.Equal(t, runletv1.ReasonOOMKilled, p.exec.Status.Reason)
	assert.Equal(t, "out of memory", p.exec.Status.Message)
	assert.False(t, p.changed())
}

func TestConditionsFollowThePhase(t *testing.T) {
	p := newPass(&runletv1.Execution{})
	p.exec.Generation = 1
	p.setPhase(runletv1.PhasePending, runletv1.ReasonQueued, "waiting")
	assert.True(t, meta.IsStatusConditionFalse(p.exec.Status.Conditions, runletv1.ConditionStarted))
	assert.True(t, meta.IsStatusConditionFalse(p.exec.Status.Conditions, runletv1.ConditionFinished))

	p.exec.Status.StartTime = ptrNow()
	p.setPhase(runletv1.PhaseRunning, runletv1.ReasonStarted, "running")
	assert.True(t, meta.IsStatusConditionTrue(p.exec.Status.Conditions, runletv1.ConditionStarted))
	assert.True(t, meta.IsStatusConditionFalse(p.exec.Status.Conditions, runletv1.ConditionFinished))

	p.setPhase(runletv1.PhaseSucceeded, runletv1.ReasonCompleted, "done")
	finished := meta.FindStatusCondition(p.exec.Status.Conditions, runletv1.ConditionFinished)
	assert.Equal(t, "True", string(finished.Status))
	assert.Equal(t, string(runletv1.ReasonCompleted), finished.Reason)
	assert.EqualValues(t, 1, finished.ObservedGeneration)
	assert.EqualValues(t, 1, p.exec.Status.ObservedGeneration)
}
