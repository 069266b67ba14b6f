package controllers_test

import (
	"os"
	"path/filepath"
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
		Code: `echo "start $RANDOM"; sleep 20; head -c 3000000 /dev/zero | tr '\0' x; echo; echo end`}))
	first := waitFor(t, e, 60*time.Second, running)
	time.Sleep(5 * time.Second)
	stop()

	t.Cleanup(startManagerIn(t, ns, opts))
	cleanUpExecutions(t, ns)
	got := waitFor(t, e, 60*time.Second, finished)

	assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason)
	// The 3 MB written after the restart are more than the daemon's log keeps, so they are
	// whole only because the new manager captures the container live again.
	assert.Regexp(t, regexp.MustCompile(`^start \d+\nx{100}`), got.Status.Stdout)
	assert.True(t, strings.HasSuffix(got.Status.Stdout, "x\nend\n"), "stdout ends with end")
	log, err := os.ReadFile(filepath.Join(got.Status.LogPath, "stdout.log"))
	require.NoError(t, err)
	firstLine, _, _ := strings.Cut(string(log), "\n")
	assert.Equal(t, 1, strings.Count(string(log), "start "), "one start line")
	assert.EqualValues(t, len(firstLine)+1+3000000+1+len("end\n"), got.Status.StdoutBytes)
	assert.EqualValues(t, got.Status.StdoutBytes, len(log))
	assert.Equal(t, first.Status.StartTime, got.Status.StartTime, "startTime is unchanged")
	assert.Equal(t, first.Status.ContainerID, got.Status.ContainerID)

	require.NoError(t, follow.Process.Kill())
	_ = follow.Wait()
	assert.Equal(t, []string{"create survivor"},
		strings.Split(strings.TrimSpace(creations.String()), "\n"), "exactly one container was ever created")
}
