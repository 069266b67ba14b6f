package controllers_test

import (
	"os/exec"
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
	since := time.Now().Add(-time.Second)

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

	out, err := exec.Command("docker", "events", "--since", since.Format(time.RFC3339Nano),
		"--until", time.Now().Format(time.RFC3339Nano),
		"--filter", "type=container", "--filter", "event=create",
		"--filter", "label=runlet.dev/execution-uid="+string(got.UID),
		"--format", "{{.ID}}").Output()
	require.NoError(t, err)
	assert.Len(t, strings.Fields(string(out)), 1, "exactly one container was ever created")
}
