package docker

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// managedNamed returns the managed containers that carry name.
func managedNamed(t *testing.T, c *Client, name string) []Summary {
	t.Helper()
	all, err := c.List(context.Background())
	require.NoError(t, err)
	var found []Summary
	for _, s := range all {
		if s.Name == name {
			found = append(found, s)
		}
	}
	return found
}

func TestStartingThePlanTwiceRunsOneContainer(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "echo once; sleep 1")
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()

	first, err := c.Start(ctx, plan)
	require.NoError(t, err)
	second, err := c.Start(ctx, plan)
	require.NoError(t, err)

	assert.Equal(t, first.ID, second.ID)
	assert.True(t, second.Running)
	require.Len(t, managedNamed(t, c, plan.Name), 1)

	waitFinished(t, c, plan.Name)
	third, err := c.Start(ctx, plan)
	require.NoError(t, err)
	assert.Equal(t, first.ID, third.ID)
	assert.True(t, third.Exited, "a finished container is not started again")
	out := waitOutput(t, c, plan.Name, plan.Output)
	assert.Equal(t, "once\n", out.Stdout.Kept)
}

func TestRacingStartsFromTwoProcessesShareOneContainer(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	other := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "echo raced; sleep 1")
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()

	var wg sync.WaitGroup
	states := make([]State, 4)
	errs := make([]error, 4)
	for i := range states {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := c
			if i%2 == 1 {
				client = other
			}
			states[i], errs[i] = client.Start(ctx, plan)
		}()
	}
	wg.Wait()

	for i := range states {
		require.NoError(t, errs[i])
		assert.Equal(t, states[0].ID, states[i].ID)
	}
	require.Len(t, managedNamed(t, c, plan.Name), 1)
	waitFinished(t, c, plan.Name)
	assert.Equal(t, "raced\n", waitOutput(t, c, plan.Name, plan.Output).Stdout.Kept)
}

func TestKillEndsANodeProgramWithinTheGraceAndRemoveLeavesNothing(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, nodeImage, "node", "-e", "setInterval(() => {}, 1000);")
	const runFor, grace = 3 * time.Second, 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()

	_, err := c.Start(ctx, plan)
	require.NoError(t, err)
	time.Sleep(runFor)
	state, err := c.Inspect(ctx, plan.Name)
	require.NoError(t, err)
	require.True(t, state.Running, "the program runs until it is killed")

	require.NoError(t, c.Kill(ctx, plan.Name, grace))
	state = waitFinished(t, c, plan.Name)

	assert.True(t, state.KilledByRuntime)
	assert.False(t, state.OOMKilled)
	ran := state.FinishedAt.Sub(state.StartedAt)
	t.Logf("ran %s, exit code %d", ran, state.ExitCode)
	assert.Less(t, ran, runFor+grace)
	// node sets no SIGTERM handler, and docker-init passes the signal on, so SIGTERM
	// ends it before the grace is over and SIGKILL is never sent.
	assert.Equal(t, 128+int(syscall.SIGTERM), state.ExitCode)
	assert.Equal(t, "SIGTERM", SignalName(state.ExitCode))

	require.NoError(t, c.Remove(ctx, plan.Name))
	assert.Empty(t, managedNamed(t, c, plan.Name))
	_, err = c.Inspect(ctx, plan.Name)
	assert.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, c.Remove(ctx, plan.Name), "removing twice is fine")
}

func TestKillSendsSIGKILLWhenTheProgramIgnoresSIGTERM(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done")
	const grace = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()

	_, err := c.Start(ctx, plan)
	require.NoError(t, err)
	time.Sleep(500 * time.Millisecond)
	began := time.Now()
	require.NoError(t, c.Kill(ctx, plan.Name, grace))
	took := time.Since(began)
	state := waitFinished(t, c, plan.Name)

	assert.GreaterOrEqual(t, took, grace, "SIGTERM was ignored, so the grace ran out")
	assert.Equal(t, 137, state.ExitCode)
	assert.Equal(t, "SIGKILL", SignalName(state.ExitCode))
	assert.True(t, state.KilledByRuntime)
	assert.False(t, state.OOMKilled, "137 alone never means OOM")
	assert.Equal(t, "ready\n", waitOutput(t, c, plan.Name, plan.Output).Stdout.Kept)
}

func TestKillOfAFinishedContainerLeavesItsOutcomeAlone(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "exit 3")

	run(t, c, plan)
	require.NoError(t, c.Kill(context.Background(), plan.Name, time.Second))
	state, err := c.Inspect(context.Background(), plan.Name)

	require.NoError(t, err)
	assert.Equal(t, 3, state.ExitCode)
	assert.False(t, state.KilledByRuntime)
}

func TestOperationsOnAMissingContainer(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	ctx := context.Background()
	name := uniqueName(t)

	_, err := c.Inspect(ctx, name)
	assert.ErrorIs(t, err, ErrNotFound)
	_, _, err = c.Output(ctx, name, OutputSpec{})
	assert.ErrorIs(t, err, ErrNotFound)
	assert.NoError(t, c.Kill(ctx, name, time.Second))
	assert.NoError(t, c.Remove(ctx, name))
}

func TestANameIsNeverTakenForAnIDPrefix(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "true")
	state, _ := run(t, c, plan)

	_, err := c.Inspect(context.Background(), state.ID[:12])
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestRestartedManagerAdoptsARunningContainerAndResumesItsOutput(t *testing.T) {
	t.Parallel()
	before := newTestClient(t)
	plan := newPlan(t, before, busyboxImage, "sh", "-c", "echo before; sleep 2; echo after")
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	first, err := before.Start(ctx, plan)
	require.NoError(t, err)
	time.Sleep(500 * time.Millisecond)

	// A new Client stands for the manager after a restart: it knows nothing of the
	// container but its plan.
	after := newTestClient(t)
	adopted, err := after.Start(ctx, plan)
	require.NoError(t, err)
	assert.Equal(t, first.ID, adopted.ID)
	assert.True(t, adopted.Running)

	waitFinished(t, after, plan.Name)
	out := waitOutput(t, after, plan.Name, plan.Output)
	assert.Equal(t, "before\nafter\n", out.Stdout.Kept)
	assert.Equal(t, "before\nafter\n", readFile(t, out.Stdout.Path))
	require.Len(t, managedNamed(t, after, plan.Name), 1)
}

func TestRestartedManagerReadsOutputBackFromTheDaemon(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 5")
	run(t, c, plan)

	restarted := newTestClient(t)
	spec := OutputSpec{Dir: t.TempDir(), KeepBytes: testKeepBytes}
	out, done, err := restarted.Output(context.Background(), plan.Name, spec)

	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, "to-stdout\n", out.Stdout.Kept)
	assert.Equal(t, "to-stderr\n", out.Stderr.Kept)
	assert.Equal(t, "to-stdout\n", readFile(t, out.Stdout.Path))
	state, err := restarted.Inspect(context.Background(), plan.Name)
	require.NoError(t, err)
	assert.Equal(t, 5, state.ExitCode)
}

func TestListShowsManagedContainersOnly(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "true")
	run(t, c, plan)

	found := managedNamed(t, c, plan.Name)
	require.Len(t, found, 1)
	assert.Equal(t, "exited", found[0].State)
	assert.Equal(t, plan.Labels[LabelExecutionUID], found[0].Labels[LabelExecutionUID])

	all, err := c.List(context.Background())
	require.NoError(t, err)
	for _, s := range all {
		assert.Equal(t, ManagedByValue, s.Labels[LabelManagedBy])
	}
}
