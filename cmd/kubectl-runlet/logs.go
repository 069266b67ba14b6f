package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

const logsHelp = `Print the output an Execution recorded: status.stdout on stdout, then
status.stderr on stderr. The controller records output when the program ends, so an
Execution that has not finished has none yet: --wait waits for it (with a watch) first.

The status keeps the first and last part of each stream (16 KiB by default); when a stream
was longer, a note on stderr says so and names the complete log file on the workspace
volume (status.logPath).`

const logsExamples = `  # Print what run-x7k2p wrote.
  kubectl runlet logs run-x7k2p

  # Wait until it finishes, print its output and exit with its exit code.
  kubectl runlet logs run-x7k2p --wait --exit-code`

func newLogsCommand(s streams, kube *kubeFlags) *cobra.Command {
	var wait, exitCode bool
	cmd := &cobra.Command{
		Use:     "logs NAME",
		Short:   "Print an Execution's recorded stdout and stderr",
		Long:    logsHelp,
		Example: logsExamples,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, namespace, err := kube.connect()
			if err != nil {
				return err
			}
			key := types.NamespacedName{Namespace: namespace, Name: args[0]}
			exec := &runletv1.Execution{}
			if wait {
				exec, err = waitFinished(cmd.Context(), c, key, func(*runletv1.Execution) {})
			} else {
				err = c.Get(cmd.Context(), key, exec)
			}
			if err != nil {
				return fmt.Errorf("get execution: %w", err)
			}
			if !exec.Status.Phase.IsFinished() {
				return fmt.Errorf("%s has not finished, so it has no output yet; "+
					"--wait waits for it", phaseLine(exec))
			}

			printOutput(exec, s.Out, s.ErrOut)
			if !exitCode {
				return nil
			}
			if !explainsItself(exec) {
				fmt.Fprintln(s.ErrOut, endLine(exec))
			}
			if code := exitCodeFor(exec); code != 0 {
				return exitStatus{code: code}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "Wait for the Execution to finish first")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false,
		"Exit with the program's exit code, as 'run' does")
	return cmd
}
