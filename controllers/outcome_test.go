package controllers

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
)

func TestEndingForExit(t *testing.T) {
	cases := []struct {
		name      string
		state     docker.State
		cancelled bool
		deadline  bool
		phase     runletv1.Phase
		reason    runletv1.Reason
		signal    string
	}{
		{"zero exit completes", docker.State{ExitCode: 0}, false, false,
			runletv1.PhaseSucceeded, runletv1.ReasonCompleted, ""},
		{"non-zero exit is an error", docker.State{ExitCode: 3}, false, false,
			runletv1.PhaseFailed, runletv1.ReasonError, ""},
		{"oom flag means OOMKilled", docker.State{ExitCode: 137, OOMKilled: true}, false, false,
			runletv1.PhaseFailed, runletv1.ReasonOOMKilled, ""},
		{"137 alone is a signal, not OOM", docker.State{ExitCode: 137}, false, false,
			runletv1.PhaseFailed, runletv1.ReasonSignaled, "SIGKILL"},
		{"segfault is signaled", docker.State{ExitCode: 139}, false, false,
			runletv1.PhaseFailed, runletv1.ReasonSignaled, "SIGSEGV"},
		{"exit 255 names no signal, so it is an error", docker.State{ExitCode: 255}, false, false,
			runletv1.PhaseFailed, runletv1.ReasonError, ""},
		{"exit 200 names no signal, so it is an error", docker.State{ExitCode: 200}, false, false,
			runletv1.PhaseFailed, runletv1.ReasonError, ""},
		{"our kill after the deadline", docker.State{ExitCode: 143, KilledByRuntime: true}, false, true,
			runletv1.PhaseFailed, runletv1.ReasonDeadlineExceeded, ""},
		{"exit 0 at the deadline still completes", docker.State{ExitCode: 0}, false, true,
			runletv1.PhaseSucceeded, runletv1.ReasonCompleted, ""},
		{"cancel wins over everything", docker.State{ExitCode: 137, OOMKilled: true}, true, true,
			runletv1.PhaseFailed, runletv1.ReasonCancelled, ""},
		{"our kill without a reason is an error, not a signal",
			docker.State{ExitCode: 137, KilledByRuntime: true}, false, false,
			runletv1.PhaseFailed, runletv1.ReasonError, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := endingForExit(tc.state, tc.cancelled, tc.deadline, 5)
			assert.Equal(t, tc.phase, got.phase)
			assert.Equal(t, tc.reason, got.reason)
			assert.Equal(t, tc.signal, got.signal)
			assert.NotEmpty(t, got.message)
		})
	}
}

func TestUntilOOMReportedWaitsOnlyForUnexplainedKills(t *testing.T) {
	finished := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		state docker.State
		now   time.Time
		want  time.Duration
	}{
		{"fresh SIGKILL exit waits", docker.State{ExitCode: 137, FinishedAt: finished},
			finished.Add(500 * time.Millisecond), 1500 * time.Millisecond},
		{"old SIGKILL exit does not", docker.State{ExitCode: 137, FinishedAt: finished},
			finished.Add(3 * time.Second), 0},
		{"known OOM does not", docker.State{ExitCode: 137, OOMKilled: true, FinishedAt: finished},
			finished, 0},
		{"our own kill does not", docker.State{ExitCode: 137, KilledByRuntime: true, FinishedAt: finished},
			finished, 0},
		{"other exits do not", docker.State{ExitCode: 1, FinishedAt: finished}, finished, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, untilOOMReported(tc.state, tc.now))
		})
	}
}

func TestRedactErrorHidesSecretsAndKeepsTheChain(t *testing.T) {
	base := fmt.Errorf("start: %w: env %q is bad", docker.ErrStartFailed, "T=TOP\x00SECRET")
	err := redactError(base, []string{"TOP\x00SECRET"})
	assert.Equal(t, `start: container start failed: env "T=***" is bad`, err.Error())
	assert.ErrorIs(t, err, docker.ErrStartFailed)
	assert.Equal(t, base, redactError(base, nil))
}
