package controllers_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

func TestCapQueuesTheRestAndStartsThemInCreationOrder(t *testing.T) {
	t.Parallel()
	registry := prometheus.NewRegistry()
	ns := startManager(t, testenv.ManagerOptions{MaxRunning: 2, Metrics: registry})
	follow, timeline := followContainers(t, ns, "start", "die")

	// The sleeps make the slots free one at a time after the first pair, 1.5 s apart
	// (at 2, 3.5, 5 and 6.5 s), so that each later start has its own place in the order.
	var execs []*runletv1.Execution
	for i := range 6 {
		code := "sleep 3"
		switch i {
		case 0:
			code = "sleep 2"
		case 1:
			code = "sleep 3.5"
		}
		execs = append(execs, create(t, execution(ns, fmt.Sprintf("job-%d", i),
			runletv1.ExecutionSpec{Language: "bash", Code: code})))
	}
	last := waitFor(t, execs[5], 30*time.Second, func(e *runletv1.Execution) bool {
		return e.Status.Reason == runletv1.ReasonQueued
	})
	assert.Equal(t, runletv1.PhasePending, last.Status.Phase, "the ones over the cap wait")
	assert.Equal(t, 2.0, metricValue(t, registry, "runlet_executions_running", nil))
	queued := metricValue(t, registry, "runlet_executions_queued", nil)
	assert.True(t, queued >= 1 && queued <= 4, "queued gauge %v while job-5 waits", queued)
	for _, e := range execs {
		got := waitFor(t, e, 90*time.Second, finished)
		assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason, e.Name)
	}
	time.Sleep(time.Second)
	require.NoError(t, follow.Process.Kill())
	_ = follow.Wait()

	// Replay the daemon's own start and die events to see how many ran at once and in
	// which order they started.
	running, most := 0, 0
	var started []string
	for _, line := range strings.Split(strings.TrimSpace(timeline.String()), "\n") {
		action, name, _ := strings.Cut(line, " ")
		switch action {
		case "start":
			running++
			started = append(started, name)
		case "die":
			running--
		}
		most = max(most, running)
	}
	t.Logf("daemon events:\n%s", timeline.String())
	assert.Equal(t, 2, most, "never more than 2 containers run, and the cap is used")
	require.Len(t, started, 6)
	assert.ElementsMatch(t, []string{"job-0", "job-1"}, started[:2], "the first two start at once")
	assert.Equal(t, []string{"job-2", "job-3", "job-4", "job-5"}, started[2:],
		"the rest start in creation order as slots free")
}

// followContainers follows the daemon's container events of namespace ns live, as
// "action name" lines. The daemon keeps only its last few hundred events for later
// queries, so a test starts following before it creates anything.
func followContainers(t *testing.T, ns string, actions ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	var timeline bytes.Buffer
	args := []string{"events", "--filter", "type=container",
		"--filter", "label=runlet.dev/namespace=" + ns,
		"--format", `{{.Action}} {{index .Actor.Attributes "runlet.dev/name"}}`}
	for _, a := range actions {
		args = append(args, "--filter", "event="+a)
	}
	follow := exec.Command("docker", args...)
	follow.Stdout = &timeline
	require.NoError(t, follow.Start())
	// The stream is open once the command has connected; give it a moment.
	time.Sleep(500 * time.Millisecond)
	return follow, &timeline
}
