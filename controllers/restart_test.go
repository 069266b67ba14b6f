package controllers_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

func TestRestartedManagerAdoptsTheRunningContainer(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	opts := testenv.ManagerOptions{WorkspaceRoot: t.TempDir()}
	follow, creations := followContainers(t, ns, "create")

	stop := startManagerIn(t, ns, opts)
	e := create(t, execution(ns, "survivor", runletv1.ExecutionSpec{Language: "bash",
		Code: `echo "start $RANDOM"; sleep 20; echo end`}))
	first := waitFor(t, e, 60*time.Second, running)
	time.Sleep(5 * time.Second)
	stop()

	t.Cleanup(startManagerIn(t, ns, opts))
	got := waitFor(t, e, 60*time.Second, finished)

	assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason)
	assert.Regexp(t, regexp.MustCompile(`^start \d+\nend\n$`), got.Status.Stdout)
	assert.Equal(t, first.Status.StartTime, got.Status.StartTime, "startTime is unchanged")
	assert.Equal(t, first.Status.ContainerID, got.Status.ContainerID)

	require.NoError(t, follow.Process.Kill())
	_ = follow.Wait()
	assert.Equal(t, []string{"create survivor"},
		strings.Split(strings.TrimSpace(creations.String()), "\n"), "exactly one container was ever created")
}
