package controllers

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
	"github.com/runlet-dev/runlet/internal/workspace"
)

// build builds the spec.build image, tagged from the Execution's UID.
func (r *ExecutionReconciler) build(ctx context.Context, exec *runletv1.Execution) (string, error) {
	plan := docker.BuildPlan{
		Tag:        buildTag(exec),
		Dockerfile: exec.Spec.Build.Dockerfile,
		Labels:     map[string]string{docker.LabelExecutionUID: string(exec.UID)},
		LogBytes:   r.OutputBytes,
		Limits:     limitsFor(exec.Spec.Resources),
	}
	if contextPath := exec.Spec.Build.ContextPath; contextPath != "" {
		dir, err := r.Layout.CopyBuildContext(exec.Namespace, string(exec.UID), contextPath)
		switch {
		case errors.Is(err, workspace.ErrNoBuildContext):
			return "", invalidSpec("build.contextPath is unusable: %v.", err)
		case errors.Is(err, workspace.ErrOutside), errors.Is(err, workspace.ErrUnwritable):
			return "", invalidSpec("build.contextPath %q cannot be read: it leads outside "+
				"the namespace's workspace, or holds a file that cannot be copied.", contextPath)
		}
		if err != nil {
			return "", err
		}
		plan.ContextDir = dir
	}
	// The build gets timeoutSeconds of its own, so that no build holds a slot for ever;
	// the program's deadline counts from its own start.
	buildCtx, cancel := context.WithTimeout(ctx, timeoutOf(exec.Spec))
	defer cancel()
	result, err := r.Runtime.Build(buildCtx, plan)
	if err != nil && errors.Is(buildCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return "", errBuildTimedOut
	}
	if err != nil {
		return "", err
	}
	return result.Image, nil
}

// errBuildTimedOut is a build stopped at the Execution's timeout.
var errBuildTimedOut = errors.New("build timed out")

// stoppedDuringBuild reads the Execution again from the API server after its build: a
// build takes long, and a cancel or a deletion that came meanwhile must keep the program
// from starting. The cache could still show the older object.
func (r *ExecutionReconciler) stoppedDuringBuild(ctx context.Context, p *pass) (bool, error) {
	latest := &runletv1.Execution{}
	err := r.APIReader.Get(ctx, keyOf(p.exec), latest)
	switch {
	case apierrors.IsNotFound(err):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("read execution after its build: %w", err)
	case latest.UID != p.exec.UID || !latest.DeletionTimestamp.IsZero():
		// The deletion's own pass removes the image and the files.
		return true, nil
	case latest.Spec.Cancel:
		// The status describes the generation that asked for the cancel.
		p.exec.Generation = latest.Generation
		r.fail(p, runletv1.ReasonCancelled,
			"The Execution was cancelled while its image was being built.")
		return true, nil
	}
	return false, nil
}

// buildTag names the image built for an Execution's spec.build.
func buildTag(exec *runletv1.Execution) string {
	return "runlet-build/" + string(exec.UID) + ":latest"
}

// removeBuild deletes the image built for the Execution, if it asked for one.
func (r *ExecutionReconciler) removeBuild(ctx context.Context, exec *runletv1.Execution) error {
	if exec.Spec.Build == nil {
		return nil
	}
	if err := r.Runtime.RemoveImage(ctx, buildTag(exec)); err != nil {
		return fmt.Errorf("remove built image: %w", err)
	}
	return nil
}
