package main

import (
	"fmt"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// Exit statuses of the plugin itself, beside the program's own exit code.
const (
	// exitNoExitCode ends a run whose Execution failed without an exit code that says
	// anything about the program.
	exitNoExitCode = 1
	// exitInterrupted ends a run the user interrupted with Ctrl-C, as a shell would.
	exitInterrupted = 130
	// exitToolError ends a run that kubectl-runlet itself could not carry out. It is the
	// status `docker run` uses for its own failures, so scripts that know one know both.
	exitToolError = 125
)

// exitStatus is an error that only carries the process's exit status: what was to be
// said has been printed already.
type exitStatus struct {
	code int
}

func (e exitStatus) Error() string {
	return fmt.Sprintf("exit status %d", e.code)
}

// exitCodeFor decides the plugin's exit status from a finished Execution: the program's
// own exit code when it ran to an end of its own, and exitNoExitCode when runlet stopped
// it or it never ran. A stopped program's code (143 after SIGTERM, say) tells only that it
// was stopped, and the reason printed beside it says more.
func exitCodeFor(exec *runletv1.Execution) int {
	st := exec.Status
	switch st.Reason {
	case runletv1.ReasonDeadlineExceeded, runletv1.ReasonCancelled, runletv1.ReasonContainerLost:
		return exitNoExitCode
	}
	if st.ExitCode == nil {
		if st.Phase == runletv1.PhaseSucceeded {
			return 0
		}
		return exitNoExitCode
	}

	code := int(*st.ExitCode)
	switch {
	case code < 0 || code > 255:
		// A process status holds one byte; anything else cannot be passed on faithfully.
		return exitNoExitCode
	case code == 0 && st.Phase == runletv1.PhaseFailed:
		// Never report success for a failed Execution.
		return exitNoExitCode
	}
	return code
}
