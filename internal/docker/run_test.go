package docker

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProgramExitCodePassesThrough(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "exit 42")

	state, _ := run(t, c, plan)

	assert.True(t, state.Exited)
	assert.Equal(t, 42, state.ExitCode)
	assert.False(t, state.OOMKilled)
	assert.False(t, state.KilledByRuntime)
	assert.Empty(t, SignalName(state.ExitCode))
	assert.False(t, state.StartedAt.IsZero())
	assert.False(t, state.FinishedAt.Before(state.StartedAt))
}

func TestStdoutAndStderrAreSeparatedWithoutStreamHeaders(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c",
		`echo out-1; echo err-1 >&2; echo out-2; printf 'é%.0s' $(seq 1 5000)`)

	state, out := run(t, c, plan)

	require.Equal(t, 0, state.ExitCode)
	want := "out-1\nout-2\n" + strings.Repeat("é", 5000)
	assert.Equal(t, want, out.Stdout.Kept)
	assert.EqualValues(t, len(want), out.Stdout.Bytes)
	assert.False(t, out.Stdout.Truncated)
	assert.Equal(t, "err-1\n", out.Stderr.Kept)
	assert.Equal(t, want, readFile(t, out.Stdout.Path))
	assert.Equal(t, "err-1\n", readFile(t, out.Stderr.Path))
	assert.Equal(t, filepath.Join(plan.Output.Dir, StdoutFile), out.Stdout.Path)
}

func TestNodeOutputIsCapturedExactly(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, nodeImage, "node", "-e", `console.log("out-1"); console.error("err-1");
console.log("out-2"); console.log("x".repeat(40000));`)

	state, out := run(t, c, plan)

	require.Equal(t, 0, state.ExitCode)
	want := "out-1\nout-2\n" + strings.Repeat("x", 40000) + "\n"
	require.Len(t, want, 40013)
	assert.Equal(t, want, out.Stdout.Kept)
	assert.EqualValues(t, 40013, out.Stdout.Bytes)
	assert.False(t, out.Stdout.Truncated)
	assert.Equal(t, "err-1\n", out.Stderr.Kept)
	assert.EqualValues(t, 6, out.Stderr.Bytes)
	assert.Equal(t, want, readFile(t, out.Stdout.Path))
	assert.Equal(t, "err-1\n", readFile(t, out.Stderr.Path))
}

func TestLongOutputKeepsHeadAndTailAndTheFileHoldsAll(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, pythonImage, "python3", "-c", "for i in range(1, 300001): print(i)")

	state, out := run(t, c, plan)

	require.Equal(t, 0, state.ExitCode)
	var want strings.Builder
	for i := 1; i <= 300000; i++ {
		want.WriteString(strconv.Itoa(i) + "\n")
	}
	assert.EqualValues(t, 1988895, out.Stdout.Bytes)
	assert.True(t, out.Stdout.Truncated)
	assert.LessOrEqual(t, len(out.Stdout.Kept), testKeepBytes)
	assert.True(t, strings.HasPrefix(out.Stdout.Kept, "1\n2\n3\n"))
	assert.True(t, strings.HasSuffix(out.Stdout.Kept, "299999\n300000\n"))
	assert.Contains(t, out.Stdout.Kept, " bytes omitted] ...\n")

	info, err := os.Stat(out.Stdout.Path)
	require.NoError(t, err)
	assert.EqualValues(t, 1988895, info.Size())
	// Compared as a bool: a 2 MB diff would drown the report.
	assert.True(t, readFile(t, out.Stdout.Path) == want.String(), "the file holds every line")
}

func TestEnvironmentReachesTheProgramAndSecretsAreRedacted(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", `echo "greeting=$GREETING token=$TOKEN"`)
	plan.Env = []EnvVar{
		{Name: "GREETING", Value: "hello world"},
		{Name: "TOKEN", Value: "s3cr3t-t0ken", Secret: true},
	}

	_, out := run(t, c, plan)

	assert.Equal(t, "greeting=hello world token=***\n", out.Stdout.Kept)
	assert.Equal(t, "greeting=hello world token=s3cr3t-t0ken\n", readFile(t, out.Stdout.Path),
		"the complete file keeps what the program wrote")
}

func TestOutputRedactsTheSecretsTheCallerNames(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", `echo "a=alpha-key b=beta-key"`)
	plan.Output.Redact = []string{"alpha-key"}

	_, err := c.Start(context.Background(), plan)
	require.NoError(t, err)
	waitFinished(t, c, plan.Name)
	spec := plan.Output
	spec.Redact = []string{"beta-key"}
	out := waitOutput(t, c, plan.Name, spec)

	assert.Equal(t, "a=*** b=***\n", out.Stdout.Kept)
}

func TestStdinReachesTheProgramFollowedByEOF(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "cat")
	plan.Stdin = ptr("line one\nline two\n")

	state, out := run(t, c, plan)

	assert.Equal(t, 0, state.ExitCode)
	assert.Equal(t, "line one\nline two\n", out.Stdout.Kept)
}

func TestProgramWithoutStdinReadsEOFAtOnce(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "cat; echo cat-ended")

	state, out := run(t, c, plan)

	assert.Equal(t, 0, state.ExitCode)
	assert.Equal(t, "cat-ended\n", out.Stdout.Kept)
}

func TestStdinLargerThanThePipeBufferIsDelivered(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "sleep 1; wc -c")
	plan.Stdin = ptr(strings.Repeat("0123456789abcdef", 1<<16))

	state, out := run(t, c, plan)

	assert.Equal(t, 0, state.ExitCode)
	assert.Equal(t, "1048576", strings.TrimSpace(out.Stdout.Kept))
}

func TestProgramThatIgnoresStdinStillEnds(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "true")
	plan.Stdin = ptr(strings.Repeat("x", 4<<20))

	state, _ := run(t, c, plan)

	assert.Equal(t, 0, state.ExitCode)
}

func TestHostDirIsMountedAtTheWorkDir(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	hostDir := t.TempDir()
	script := []byte("echo from-script; pwd\n")
	require.NoError(t, os.WriteFile(filepath.Join(hostDir, "main.sh"), script, 0o644))
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "sh main.sh && echo written > result.txt")
	plan.HostDir = hostDir
	plan.WorkDir = "/workspace"

	state, out := run(t, c, plan)

	require.Equal(t, 0, state.ExitCode, out.Stderr.Kept)
	assert.Equal(t, "from-script\n/workspace\n", out.Stdout.Kept)
	assert.Equal(t, "written\n", readFile(t, filepath.Join(hostDir, "result.txt")))
}

func TestUnknownCommandExitsWith127AndSaysWhy(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "/no/such/program")

	state, out := run(t, c, plan)

	assert.Equal(t, 127, state.ExitCode)
	assert.Contains(t, out.Stderr.Kept, "/no/such/program")
}

func TestUnknownUserFailsTheStartWithTheDaemonsReason(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "true")
	plan.User = "no-such-user"

	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	state, err := c.Start(ctx, plan)

	require.ErrorIs(t, err, ErrStartFailed)
	assert.Contains(t, state.Error, "no-such-user")
	assert.False(t, state.Running)

	_, err = c.Start(ctx, plan)
	assert.ErrorIs(t, err, ErrStartFailed, "a second start fails the same way")
}

func TestCaptureOutlivesTheContextOfStart(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "sleep 1; echo late")

	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.Start(ctx, plan)
	cancel()
	require.NoError(t, err)

	waitFinished(t, c, plan.Name)
	out := waitOutput(t, c, plan.Name, plan.Output)
	assert.Equal(t, "late\n", out.Stdout.Kept)
}

func TestUserFromThePlanRunsTheProgram(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "id", "-u")
	plan.User = "1234:1234"

	_, out := run(t, c, plan)

	assert.Equal(t, "1234\n", out.Stdout.Kept)
}

func TestOutputIsNotDoneWhileTheProgramRuns(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sleep", "2")

	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	_, err := c.Start(ctx, plan)
	require.NoError(t, err)

	_, done, err := c.Output(ctx, plan.Name, plan.Output)
	require.NoError(t, err)
	assert.False(t, done)

	waitFinished(t, c, plan.Name)
	waitOutput(t, c, plan.Name, plan.Output)
}
