// Command kubectl-runlet is a kubectl plugin for runlet: `kubectl runlet run` creates an
// Execution, waits for it and prints what the program wrote, and `get` and `logs` show an
// Execution that already exists.
package main

import (
	"os"

	"golang.org/x/term"
)

func main() {
	streams := streams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		// Phase lines are meant for a person watching, so by default they appear only
		// when stderr is a terminal and never mix with a program's captured stderr.
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
	os.Exit(execute(os.Args[1:], streams))
}
