package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/types"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

const getExamples = `  # How did run-x7k2p end?
  kubectl runlet get run-x7k2p

  # The whole object, as the API server holds it.
  kubectl get execution run-x7k2p -o yaml`

func newGetCommand(s streams, kube *kubeFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Show an Execution's phase, reason, exit code, times and output sizes",
		Long: `Show one Execution: its phase and reason, the exit code (and the signal, when one
ended the program), the controller's message, when it was created, started and completed,
and how many bytes the program wrote to each stream. 'kubectl runlet logs' prints the
output itself.`,
		Example: getExamples,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, namespace, err := kube.connect()
			if err != nil {
				return err
			}
			exec := &runletv1.Execution{}
			key := types.NamespacedName{Namespace: namespace, Name: args[0]}
			if err := c.Get(cmd.Context(), key, exec); err != nil {
				return fmt.Errorf("get execution: %w", err)
			}
			_, err = fmt.Fprint(s.Out, describe(exec))
			return err
		},
	}
}
