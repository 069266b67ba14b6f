package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

func named(status runletv1.ExecutionStatus) *runletv1.Execution {
	exec := &runletv1.Execution{Status: status}
	exec.Name, exec.Namespace = "run-x7k2p", "team-a"
	return exec
}

func TestPhaseLineNamesTheExecutionPhaseAndReason(t *testing.T) {
	assert.Equal(t, "run-x7k2p: Pending (Queued)", phaseLine(named(runletv1.ExecutionStatus{
		Phase: runletv1.PhasePending, Reason: runletv1.ReasonQueued})))
	assert.Equal(t, "run-x7k2p: created, waiting for the runlet controller",
		phaseLine(named(runletv1.ExecutionStatus{})))
}

func TestEndLineAddsTheMessageOnlyWhenTheProgramDidNotComplete(t *testing.T) {
	done := named(runletv1.ExecutionStatus{Phase: runletv1.PhaseSucceeded,
		Reason: runletv1.ReasonCompleted, Message: "The program exited with code 0."})
	assert.Equal(t, "run-x7k2p: Succeeded (Completed)", endLine(done))

	late := named(runletv1.ExecutionStatus{Phase: runletv1.PhaseFailed,
		Reason:  runletv1.ReasonDeadlineExceeded,
		Message: "The program ran longer than its 2s timeout and was stopped."})
	assert.Equal(t, "run-x7k2p: Failed (DeadlineExceeded): The program ran longer than its "+
		"2s timeout and was stopped.", endLine(late))
	assert.False(t, explainsItself(late))
	assert.True(t, explainsItself(done))
}

func TestProgressPrintsEachChangeOnceAndNothingWhenOff(t *testing.T) {
	var out bytes.Buffer
	p := &progress{out: &out, on: true}
	for _, st := range []runletv1.ExecutionStatus{
		{},
		{Phase: runletv1.PhasePending, Reason: runletv1.ReasonQueued},
		{Phase: runletv1.PhasePending, Reason: runletv1.ReasonQueued},
		{Phase: runletv1.PhaseRunning, Reason: runletv1.ReasonStarted},
		{Phase: runletv1.PhaseSucceeded, Reason: runletv1.ReasonCompleted},
	} {
		p.seen(named(st))
	}
	assert.Equal(t, "run-x7k2p: created, waiting for the runlet controller\n"+
		"run-x7k2p: Pending (Queued)\nrun-x7k2p: Running (Started)\n", out.String())

	out.Reset()
	off := &progress{out: &out}
	off.seen(named(runletv1.ExecutionStatus{Phase: runletv1.PhaseRunning}))
	assert.Empty(t, out.String())
}

func TestProgressWantedFollowsTheTerminalOnlyInAutoMode(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		terminal bool
		want     bool
	}{
		{"auto", true, true}, {"auto", false, false},
		{"always", false, true}, {"never", true, false},
	} {
		got, err := progressWanted(tc.mode, tc.terminal)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%s with terminal=%v", tc.mode, tc.terminal)
	}
	_, err := progressWanted("sometimes", true)
	assert.ErrorContains(t, err, "want auto, always or never")
}

func TestPrintOutputSplitsTheStreamsAndPointsAtTheLogOfATruncatedOne(t *testing.T) {
	exec := named(runletv1.ExecutionStatus{
		Phase: runletv1.PhaseSucceeded, Reason: runletv1.ReasonCompleted,
		Stdout: "start...end\n", StdoutBytes: 1 << 20, StdoutTruncated: true,
		Stderr: "warning\n", StderrBytes: 8,
		LogPath: "/workspaces/.runlet/0b5c/logs",
	})
	var out, errOut bytes.Buffer
	printOutput(exec, &out, &errOut)

	assert.Equal(t, "start...end\n", out.String())
	assert.Equal(t, "warning\nrun-x7k2p: stdout truncated: the status keeps the start and end, "+
		"12 of 1048576 bytes; all of it is in /workspaces/.runlet/0b5c/logs/stdout.log on the "+
		"workspace volume (status.logPath)\n", errOut.String())
}

func TestDescribeShowsWhatAFinishedExecutionRecorded(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	exec := named(runletv1.ExecutionStatus{
		Phase: runletv1.PhaseFailed, Reason: runletv1.ReasonError, ExitCode: code(3),
		Message:        "The program exited with code 3.",
		StartTime:      &metav1.Time{Time: start},
		CompletionTime: &metav1.Time{Time: start.Add(1500 * time.Millisecond)},
		Duration:       "1.5s", Stdout: "hi\n", StdoutBytes: 3, Stderr: "x", StderrBytes: 4096,
		StderrTruncated: true, LogPath: "/workspaces/.runlet/0b5c/logs",
		Image: "runlet.local/python:3.11-bookworm",
	})
	exec.Spec.Language = "python"

	text := describe(exec)
	for _, want := range []string{
		"Name:      run-x7k2p\n", "Namespace: team-a\n", "Language:  python\n",
		"Image:     runlet.local/python:3.11-bookworm\n", "Phase:     Failed\n",
		"Reason:    Error\n", "Exit code: 3\n", "Message:   The program exited with code 3.\n",
		"Started:   " + start.Local().Format(time.RFC3339) + "\n", "Duration:  1.5s\n",
		"Stdout:    3 bytes\n", "Stderr:    4096 bytes (1 kept in status)\n",
		"Log path:  /workspaces/.runlet/0b5c/logs\n",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "Signal:")
	assert.NotContains(t, text, "OOM killed:")
}

func TestDescribeSaysWhenTheControllerHasNotSeenTheExecution(t *testing.T) {
	text := describe(named(runletv1.ExecutionStatus{}))
	assert.Contains(t, text, "Phase:     (not yet seen by the runlet controller)\n")
	assert.NotContains(t, text, "Stdout:")
}
