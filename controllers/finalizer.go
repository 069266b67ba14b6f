package controllers

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// ensureFinalizer adds the cleanup finalizer before anything is created for the
// Execution. The optimistic lock keeps the patch from dropping another finalizer added
// meanwhile.
func (r *ExecutionReconciler) ensureFinalizer(ctx context.Context, exec *runletv1.Execution) error {
	if controllerutil.ContainsFinalizer(exec, finalizer) {
		return nil
	}
	before := exec.DeepCopy()
	controllerutil.AddFinalizer(exec, finalizer)
	patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	if err := r.Patch(ctx, exec, patch); err != nil {
		return fmt.Errorf("add finalizer: %w", err)
	}
	return nil
}

// finalize removes what the Execution left on the daemon and the workspace, then lets the
// object go.
func (r *ExecutionReconciler) finalize(ctx context.Context, exec *runletv1.Execution) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(exec, finalizer) {
		return ctrl.Result{}, nil
	}
	if err := r.Runtime.Remove(ctx, containerName(exec)); err != nil {
		return ctrl.Result{}, fmt.Errorf("remove container: %w", err)
	}
	if err := r.removeBuild(ctx, exec); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.Layout.Remove(string(exec.UID)); err != nil {
		// Files a program made in directories of its own may not be removable by the
		// manager's user. They must not keep the object from going away; they are logged
		// for the operator instead.
		ctrl.LoggerFrom(ctx).Error(err, "could not remove all of the execution's files",
			"path", r.Layout.ExecutionDir(string(exec.UID)))
	}
	r.Admission.Release(exec.UID)
	r.attached.Delete(exec.UID)

	before := exec.DeepCopy()
	controllerutil.RemoveFinalizer(exec, finalizer)
	patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	if err := r.Patch(ctx, exec, patch); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(fmt.Errorf("remove finalizer: %w", err))
	}
	ctrl.LoggerFrom(ctx).Info("cleaned up")
	return ctrl.Result{}, nil
}
