package controllers

import (
	"context"
	"errors"
	"fmt"

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
	result, err := r.Runtime.Build(ctx, plan)
	if err != nil {
		return "", err
	}
	return result.Image, nil
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
