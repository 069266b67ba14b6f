package controllers_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
	"github.com/runlet-dev/runlet/internal/workspace"
)

func TestStartUpSweepRemovesWhatExecutionsDeletedMeanwhileLeft(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	opts := testenv.ManagerOptions{WorkspaceRoot: t.TempDir()}

	stop := startManagerIn(t, ns, opts)
	doomed := create(t, execution(ns, "doomed", runletv1.ExecutionSpec{Language: "bash",
		Code: "sleep 120"}))
	kept := create(t, execution(ns, "kept", runletv1.ExecutionSpec{Language: "bash",
		Code: "sleep 8; echo kept"}))
	doomedRunning := waitFor(t, doomed, 60*time.Second, running)
	waitFor(t, kept, 60*time.Second, running)
	stop()

	// With no manager running, the Execution goes without its finalizer's cleanup, as when
	// someone removes the finalizer by hand.
	ctx := context.Background()
	latest := get(t, doomed)
	patch := client.MergeFrom(latest.DeepCopy())
	controllerutil.RemoveFinalizer(latest, "runlet.dev/cleanup")
	require.NoError(t, k8s.Patch(ctx, latest, patch))
	require.NoError(t, k8s.Delete(ctx, latest))
	waitGone(t, doomed, 10*time.Second)
	executionDir := workspace.Layout{Root: opts.WorkspaceRoot}.ExecutionDir(string(doomedRunning.UID))
	require.True(t, containerExists(t, doomedRunning), "the container outlived its Execution")
	require.DirExists(t, executionDir)

	t.Cleanup(startManagerIn(t, ns, opts))
	cleanUpExecutions(t, ns)
	require.Eventually(t, func() bool { return !containerExists(t, doomedRunning) },
		30*time.Second, 200*time.Millisecond, "the sweep removes the orphaned container")
	require.Eventually(t, func() bool { return !dirExists(executionDir) },
		10*time.Second, 100*time.Millisecond, "the sweep removes the orphaned directory")

	got := waitFor(t, kept, 60*time.Second, finished)
	assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason, "a live Execution is left alone")
	assert.Equal(t, "kept\n", got.Status.Stdout)
}

func dirExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}
