package controllers_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

func TestCapQueuesTheRestAndStartsThemInCreationOrder(t *testing.T) {
	t.Parallel()
	ns := startManager(t, testenv.ManagerOptions{MaxRunning: 2})
	follow, timeline := followContainers(t, ns, "start", "die")

	var execs []*runletv1.Execution
	for i := range 6 {
		execs = append(execs, create(t, execution(ns, fmt.Sprintf("job-%d", i),
			runletv1.ExecutionSpec{Language: "bash", Code: "sleep 1"})))
	}
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
	for pair := range 3 {
		want := []string{fmt.Sprintf("job-%d", 2*pair), fmt.Sprintf("job-%d", 2*pair+1)}
		assert.ElementsMatch(t, want, started[2*pair:2*pair+2],
			"the %d. pair to start was created before the ones after it", pair+1)
	}
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
