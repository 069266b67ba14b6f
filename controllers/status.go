package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// pass is one reconcile of one Execution: the object as read, the object as it will be
// written, and what to announce once the write succeeded.
type pass struct {
	before *runletv1.Execution
	exec   *runletv1.Execution
	events []announcement
	// finished is set when this pass moved the Execution to Succeeded or Failed.
	finished bool
}

type announcement struct {
	eventType string
	reason    string
	note      string
}

func newPass(exec *runletv1.Execution) *pass {
	return &pass{before: exec.DeepCopy(), exec: exec}
}

// phaseRank orders phases so that a phase never moves backwards.
var phaseRank = map[runletv1.Phase]int{
	"":                      0,
	runletv1.PhasePending:   1,
	runletv1.PhaseRunning:   2,
	runletv1.PhaseSucceeded: 3,
	runletv1.PhaseFailed:    3,
}

// setPhase moves the Execution to phase with reason and message. A move backwards, or out
// of a finished phase, is ignored: the status only ever tells a story forwards.
func (p *pass) setPhase(phase runletv1.Phase, reason runletv1.Reason, message string) {
	st := &p.exec.Status
	if st.Phase.IsFinished() || phaseRank[phase] < phaseRank[st.Phase] {
		return
	}
	st.Phase, st.Reason, st.Message = phase, reason, message
	st.ObservedGeneration = p.exec.Generation
	setConditions(st, p.exec.Generation)
	if phase.IsFinished() {
		p.finished = true
	}
}

// setConditions derives the Started and Finished conditions from phase and reason.
func setConditions(st *runletv1.ExecutionStatus, generation int64) {
	started := metav1.ConditionFalse
	if st.StartTime != nil {
		started = metav1.ConditionTrue
	}
	finished := metav1.ConditionFalse
	if st.Phase.IsFinished() {
		finished = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: runletv1.ConditionStarted, Status: started, ObservedGeneration: generation,
		Reason: string(st.Reason), Message: st.Message,
	})
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: runletv1.ConditionFinished, Status: finished, ObservedGeneration: generation,
		Reason: string(st.Reason), Message: st.Message,
	})
}

// announce queues a Kubernetes Event to send once the status write succeeded, so that no
// Event tells of a change the object does not show.
func (p *pass) announce(eventType, reason, note string) {
	p.events = append(p.events, announcement{eventType, reason, note})
}

// changed reports whether the status differs from what was read.
func (p *pass) changed() bool {
	return !equality.Semantic.DeepEqual(p.before.Status, p.exec.Status)
}

// writeStatus patches the status subresource when it changed. A merge patch without an
// optimistic lock is safe because the leader-elected manager is the only writer of status,
// and the patch carries only the fields that changed.
func writeStatus(ctx context.Context, c client.Client, p *pass) error {
	if !p.changed() {
		return nil
	}
	if err := c.Status().Patch(ctx, p.exec, client.MergeFrom(p.before)); err != nil {
		return fmt.Errorf("patch status: %w", err)
	}
	return nil
}
