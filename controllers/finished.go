package controllers

import (
	"context"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// afterFinish tidies up behind a finished Execution whose ending is already stored: it
// removes the container, frees the slot, and deletes the object once its TTL ran out. It
// never writes the status, so a finished Execution stays as it was recorded.
func (r *ExecutionReconciler) afterFinish(ctx context.Context, p *pass) (ctrl.Result, error) {
	if !p.before.Status.Phase.IsFinished() {
		return ctrl.Result{}, nil
	}
	if err := r.Runtime.Remove(ctx, containerName(p.exec)); err != nil {
		return ctrl.Result{}, fmt.Errorf("remove container: %w", err)
	}
	if err := r.removeBuild(ctx, p.exec); err != nil {
		return ctrl.Result{}, err
	}
	r.Admission.Release(p.exec.UID)
	r.attached.Delete(p.exec.UID)

	ttl := p.exec.Spec.TTLSecondsAfterFinished
	completed := p.exec.Status.CompletionTime
	if ttl == nil || completed == nil {
		return ctrl.Result{}, nil
	}
	expiry := completed.Add(time.Duration(*ttl) * time.Second)
	if wait := time.Until(expiry); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	if err := r.Delete(ctx, p.exec, client.Preconditions{UID: &p.exec.UID}); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(fmt.Errorf("delete expired execution: %w", err))
	}
	ctrl.LoggerFrom(ctx).Info("deleted after ttl", "ttlSeconds", *ttl)
	return ctrl.Result{}, nil
}
