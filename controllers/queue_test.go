package controllers_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
	"github.com/runlet-dev/runlet/internal/testenv"
)

func TestCapQueuesTheRestAndStartsThemInCreationOrder(t *testing.T) {
	t.Parallel()
	ns := startManager(t, testenv.ManagerOptions{MaxRunning: 2})

	// Each program runs long enough for the pairs that the cap lets through to start in
	// different seconds, the resolution of status.startTime.
	var execs []*runletv1.Execution
	for i := range 6 {
		execs = append(execs, create(t, execution(ns, fmt.Sprintf("job-%d", i),
			runletv1.ExecutionSpec{Language: "bash", Code: "sleep 2"})))
	}

	var most atomic.Int32
	stopWatching := watchRunningContainers(t, ns, &most)
	var done []*runletv1.Execution
	for _, e := range execs {
		got := waitFor(t, e, 90*time.Second, finished)
		assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason, e.Name)
		done = append(done, got)
	}
	stopWatching()

	assert.LessOrEqual(t, most.Load(), int32(2), "never more than 2 containers run")
	assert.Equal(t, int32(2), most.Load(), "the cap is used")
	for pair := 1; pair < 3; pair++ {
		for _, earlier := range done[:2*pair] {
			for _, later := range done[2*pair : 2*pair+2] {
				assert.True(t, earlier.Status.StartTime.Before(later.Status.StartTime),
					"%s (created earlier) starts before %s", earlier.Name, later.Name)
			}
		}
	}
}

// watchRunningContainers records the most containers of namespace ns seen running at once.
func watchRunningContainers(t *testing.T, ns string, most *atomic.Int32) func() {
	t.Helper()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			list, err := daemon.List(context.Background())
			if err != nil {
				continue
			}
			var n int32
			for _, c := range list {
				if c.Labels[docker.LabelNamespace] == ns && c.State == "running" {
					n++
				}
			}
			if n > most.Load() {
				most.Store(n)
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}
