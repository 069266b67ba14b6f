package docker

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// SignalName names the signal that a container's exit code reports, such as "SIGKILL" for
// 137, or returns "" when the code does not stand for a signal. A process killed by signal
// n exits with 128+n, by the convention of shells and docker-init; a program that calls
// exit(137) itself cannot be told apart, so the name is a reading of the code, not proof.
func SignalName(exitCode int) string {
	if exitCode <= 128 {
		return ""
	}
	return unix.SignalName(syscall.Signal(exitCode - 128))
}
