package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// streams are the plugin's standard streams.
type streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrIsTerminal says whether ErrOut is a terminal, which turns phase lines on by default.
	ErrIsTerminal bool
}

const rootHelp = `Run code on a Kubernetes cluster that runs runlet, and read how it ended.

Each run is an Execution object (group runlet.dev): the code, its language and its limits
go in, and the controller records the phase, the reason, the exit code and the output.
'kubectl get executions' lists them; this plugin creates one and waits for it.

Exit status of 'run' (and 'logs --exit-code'):
  the program's own exit code    when it ran and ended (0 when it succeeded);
  1                              when it ended without a usable exit code: stopped at its
                                 timeout, cancelled, or never started (an unknown language,
                                 a missing image); the reason is printed on stderr;
  130                            when you pressed Ctrl-C while waiting (the Execution is
                                 cancelled);
  125                            when kubectl-runlet itself failed: a bad flag, a rejected
                                 spec, an API server that could not be reached.
Other commands exit 0, or 125 on an error.`

// execute runs the command line and returns the process's exit status.
func execute(args []string, s streams) int {
	root := newRootCommand(s)
	root.SetArgs(args)
	err := root.Execute()

	var status exitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &status):
		return status.code
	default:
		fmt.Fprintf(s.ErrOut, "Error: %v\n", err)
		return exitToolError
	}
}

func newRootCommand(s streams) *cobra.Command {
	kube := &kubeFlags{}
	root := &cobra.Command{
		Use:   "kubectl-runlet",
		Short: "Run code as runlet Executions and read their results",
		Long:  rootHelp,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl runlet",
		},
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	// Completion of a plugin needs a kubectl_complete-runlet script beside it; until one
	// ships, the generated command would only promise what does not work.
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nSee '%s --help'.", err, cmd.CommandPath())
	})
	kube.bind(root)

	root.AddCommand(newRunCommand(s, kube), newGetCommand(s, kube), newLogsCommand(s, kube))
	return root
}

// kubeFlags are the kubectl connection flags the plugin accepts; anything else comes
// from the kubeconfig. client-go's clientcmd reads them the way kubectl does.
type kubeFlags struct {
	loading   clientcmd.ClientConfigLoadingRules
	overrides clientcmd.ConfigOverrides
}

func (k *kubeFlags) bind(root *cobra.Command) {
	k.loading = *clientcmd.NewDefaultClientConfigLoadingRules()
	flags := root.PersistentFlags()
	flags.StringVar(&k.loading.ExplicitPath, clientcmd.RecommendedConfigPathFlag, "",
		"Path to the kubeconfig file; default $KUBECONFIG or ~/.kube/config")
	names := clientcmd.RecommendedConfigOverrideFlags("")
	names.CurrentContext.BindStringFlag(flags, &k.overrides.CurrentContext)
	names.ContextOverrideFlags.Namespace.BindStringFlag(flags, &k.overrides.Context.Namespace)
	names.ContextOverrideFlags.ClusterName.BindStringFlag(flags, &k.overrides.Context.Cluster)
	names.ContextOverrideFlags.AuthInfoName.BindStringFlag(flags, &k.overrides.Context.AuthInfo)
	names.Timeout.BindStringFlag(flags, &k.overrides.Timeout)
}

// connect returns a client for Executions and the namespace to work in.
func (k *kubeFlags) connect() (client.WithWatch, string, error) {
	cfg := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(&k.loading, &k.overrides)
	namespace, _, err := cfg.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("read kubeconfig: %w", err)
	}
	rest, err := cfg.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("read kubeconfig: %w", err)
	}
	rest.UserAgent = "kubectl-runlet"

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	if err := runletv1.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	c, err := client.NewWithWatch(rest, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", fmt.Errorf("create client: %w", err)
	}
	return c, namespace, nil
}
