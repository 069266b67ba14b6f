package controllers

import (
	"fmt"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
)

// ending is how an Execution finished, decided from what the daemon reported and from
// what runlet itself did to the container.
type ending struct {
	phase   runletv1.Phase
	reason  runletv1.Reason
	message string
	signal  string
}

// endingForExit decides the phase and reason of an exited container. Our own stops come
// first (cancel, then deadline), because the exit code of a stopped program says only that
// it was stopped. Out-of-memory is taken from the daemon's flag alone: an exit code of 137
// also follows any SIGKILL.
func endingForExit(state docker.State, cancelled, deadlinePassed bool, timeout int32) ending {
	switch {
	case cancelled:
		return ending{runletv1.PhaseFailed, runletv1.ReasonCancelled,
			"The Execution was cancelled and its program stopped.", ""}
	case state.OOMKilled:
		return ending{runletv1.PhaseFailed, runletv1.ReasonOOMKilled,
			"The program was killed for exceeding its memory limit.", ""}
	case deadlinePassed && (state.KilledByRuntime || state.ExitCode != 0):
		return ending{runletv1.PhaseFailed, runletv1.ReasonDeadlineExceeded,
			fmt.Sprintf("The program ran longer than its %ds timeout and was stopped.", timeout), ""}
	case state.ExitCode == 0:
		return ending{runletv1.PhaseSucceeded, runletv1.ReasonCompleted,
			"The program exited with code 0.", ""}
	case state.ExitCode > 128 && !state.KilledByRuntime && docker.SignalName(state.ExitCode) != "":
		// Only a code that names a signal is one: exit(255) is a program's own choice.
		signal := docker.SignalName(state.ExitCode)
		return ending{runletv1.PhaseFailed, runletv1.ReasonSignaled,
			fmt.Sprintf("The program was ended by %s.", signal), signal}
	default:
		return ending{runletv1.PhaseFailed, runletv1.ReasonError,
			fmt.Sprintf("The program exited with code %d.", state.ExitCode), ""}
	}
}
