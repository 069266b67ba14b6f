package controllers_test

import (
	"bytes"
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
	// The daemon keeps only its last few hundred events for later queries, so the creations
	// are followed live from before the Execution exists.
	var creations bytes.Buffer
	follow := exec.Command("docker", "events", "--filter", "type=container",
		"--filter", "event=create", "--filter", "label=runlet.dev/namespace="+ns,
		"--format", "{{.ID}}")
	follow.Stdout = &creations
	require.NoError(t, follow.Start())
	time.Sleep(500 * time.Millisecond)

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
	assert.Len(t, strings.Fields(creations.String()), 1, "exactly one container was ever created")
}
