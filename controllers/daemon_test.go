package controllers_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

func TestExecutionsWaitWhileTheDaemonIsAwayAndRunOnceItIsBack(t *testing.T) {
	t.Parallel()
	// A short directory: a unix socket path must stay under about 100 bytes.
	dir, err := os.MkdirTemp("", "gate")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	gate, err := testenv.NewDaemonGate(dir)
	require.NoError(t, err)
	t.Cleanup(gate.Close)

	probes := freeAddress(t)
	ns := startManager(t, testenv.ManagerOptions{DockerHost: gate.Host, HealthProbeAddress: probes})
	e := create(t, execution(ns, "waiting", runletv1.ExecutionSpec{Language: "bash",
		Code: "echo back"}))

	got := waitFor(t, e, 30*time.Second, func(e *runletv1.Execution) bool {
		return e.Status.Reason == runletv1.ReasonDaemonUnavailable
	})
	assert.Equal(t, runletv1.PhasePending, got.Status.Phase)
	assert.Empty(t, got.Status.ContainerID)
	assert.Contains(t, got.Status.Message, "Docker daemon")
	require.Eventually(t, func() bool { return readiness(probes) == http.StatusInternalServerError },
		10*time.Second, 100*time.Millisecond, "not ready while the daemon does not answer")
	assert.Equal(t, http.StatusOK, health(probes), "alive all the same")

	gate.Open()
	got = waitFor(t, e, 60*time.Second, finished)
	assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason, got.Status.Message)
	assert.Equal(t, "back\n", got.Status.Stdout)
	assert.Equal(t, http.StatusOK, readiness(probes), "ready once the daemon answers")
}

// freeAddress returns a loopback address with a port nobody listens on now.
func freeAddress(t *testing.T) string {
	t.Helper()
	addr, err := testenv.FreeAddress()
	require.NoError(t, err)
	return addr
}

func readiness(addr string) int { return testenv.HTTPStatus("http://" + addr + "/readyz") }

func health(addr string) int { return testenv.HTTPStatus("http://" + addr + "/healthz") }
