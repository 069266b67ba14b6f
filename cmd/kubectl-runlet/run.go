package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

const runHelp = `Create an Execution from code and flags, wait for it to finish, print what the
program wrote and exit with its exit code.

The code comes from a file (-f FILE, or -f - for standard input) or from --code; it may
be left out (or empty) only with --image. The language names one of the presets the
cluster's runlet is configured with (python, node, bash, ...); with -f it is guessed from
the file extension when -l is not given. With --image and no language, the words after --
are the container's command line; with a language they are arguments passed to the
program.

While it waits, the plugin prints each phase change on stderr, such as
"run-x7k2p: Pending (Queued)", when stderr is a terminal (see --progress). It follows the
Execution with a watch. When the Execution still has no phase after 10 seconds, a line on
stderr says that runlet has not picked it up (no runlet manager may look after the
namespace), and the wait goes on. Then it prints status.stdout on stdout and status.stderr
on stderr, each as the controller recorded it (stdout first, so the two are not
interleaved as the program wrote them); a stream longer than the controller keeps is cut
in the middle, and a note on stderr says where the whole of it lies.

The exit status is the program's exit code. When the Execution failed without one that
means anything (it ran past --timeout, was cancelled, or could not start: an unknown
language, a missing image, an invalid spec), the status is 1 and a line on stderr gives the
phase, reason and message. Ctrl-C while waiting cancels the Execution (sets spec.cancel)
and exits 130. kubectl-runlet's own failures (a bad flag, a rejected spec, an unreachable
API server) exit 125.

The Execution is kept after the run, so that 'kubectl runlet get' and 'kubectl runlet logs'
can show it again and 'kubectl get executions' lists it; --keep=false deletes it once its
output is printed, and --ttl has the controller delete it later. --wait=false only creates
it and prints its name.`

const runExamples = `  # Run a Python file and print its output; the exit status is the program's.
  kubectl runlet run -l python -f hello.py

  # The language follows from the extension; pass arguments after --.
  kubectl runlet run -f report.py -- --verbose input.csv

  # Code on the command line, with standard input and an environment variable.
  kubectl runlet run -l python --env GREETING=hello --stdin world \
      --code 'import os, sys; print(os.environ["GREETING"], sys.stdin.read())'

  # Feed a file to the program's standard input, with tighter limits.
  kubectl runlet run -l node -f count.js --stdin-file data.txt --timeout 10 --memory 64Mi --cpu 500m

  # A module beside the main file, for a multi-file program.
  kubectl runlet run -l python -f main.py --add-file lib/helpers.py:helpers.py

  # Any image, without a language: the words after -- are its command line.
  kubectl runlet run --image busybox:1.37 -- sh -c 'uname -a; id'

  # Code from a pipe.
  echo 'echo "$((6 * 7))"' | kubectl runlet run -l bash -f -

  # Start it and come back later.
  name=$(kubectl runlet run -l python -f train.py --timeout 3600 --wait=false)
  kubectl runlet logs "$name" --wait`

// runFlags are the flags of `run` that do not shape the Execution.
type runFlags struct {
	wait     bool
	keep     bool
	progress string
	// pickupNoticeAfter is how long to wait for a phase before saying that no runlet
	// controller has picked the Execution up.
	pickupNoticeAfter time.Duration
}

func newRunCommand(s streams, kube *kubeFlags) *cobra.Command {
	var o runOptions
	var f runFlags
	cmd := &cobra.Command{
		Use:     "run [-l LANGUAGE] (-f FILE | --code CODE | --image IMAGE) [flags] [-- ARGS...]",
		Short:   "Run code as an Execution, wait for it and print its output",
		Long:    runHelp,
		Example: runExamples,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 0 && len(args) > 0 {
				return fmt.Errorf("unexpected argument %q: arguments for the program go after --",
					args[0])
			}
			o.args = args
			o.codeSet = cmd.Flags().Changed("code")
			o.stdinSet = cmd.Flags().Changed("stdin")
			return runExecution(cmd.Context(), s, kube, o, f)
		},
	}

	fl := cmd.Flags()
	fl.StringVarP(&o.language, "language", "l", "",
		"Language preset that runs the code (python, node, bash, ...)")
	fl.StringVarP(&o.file, "file", "f", "", "File holding the code; - reads it from standard input")
	fl.StringVar(&o.code, "code", "", "The code itself")
	fl.StringVar(&o.stdin, "stdin", "", "Text fed to the program's standard input")
	fl.StringVar(&o.stdinFile, "stdin-file", "",
		"File fed to the program's standard input; - passes this command's standard input")
	fl.StringVar(&o.image, "image", "", "Image to run instead of the language preset's")
	fl.Int32Var(&o.timeout, "timeout", 0,
		"Seconds the program may run before it is stopped; 0 means the default, 60")
	fl.StringVar(&o.memory, "memory", "", "Memory limit as a quantity (e.g. 64Mi); default 256Mi")
	fl.StringVar(&o.cpu, "cpu", "", "CPU limit in cores as a quantity (e.g. 500m); default 1")
	fl.StringArrayVarP(&o.env, "env", "e", nil, "Environment variable NAME=VALUE; repeatable")
	fl.StringArrayVar(&o.addFiles, "add-file", nil,
		"Local file SRC[:DEST] written beside the code (DEST defaults to SRC's name); repeatable")
	fl.StringVar(&o.network, "network", "", "None (default: loopback only) or Bridge")
	fl.StringVar(&o.workspace, "workspace", "",
		"Run in this sub-path of the namespace's persistent workspace")
	fl.Int32Var(&o.ttl, "ttl", -1,
		"Seconds after it finishes until the controller deletes the Execution; -1 keeps it")
	fl.StringVar(&o.name, "name", "", "Name of the Execution; default a generated run-xxxxx")
	fl.BoolVar(&f.wait, "wait", true,
		"Wait for the Execution to finish; false prints its name and returns at once")
	fl.BoolVar(&f.keep, "keep", true,
		"Keep the Execution after the run; false deletes it once its output is printed")
	fl.StringVar(&f.progress, "progress", "auto",
		"Phase lines on stderr while waiting: auto (when stderr is a terminal), always or never")
	fl.DurationVar(&f.pickupNoticeAfter, "pickup-notice-after", defaultPickupNoticeAfter,
		"How long runlet may take to pick the Execution up before a line says it has not; 0: never")
	// Tests shorten it; a user has no reason to.
	_ = fl.MarkHidden("pickup-notice-after")
	return cmd
}

func runExecution(ctx context.Context, s streams, kube *kubeFlags, o runOptions, f runFlags) error {
	showProgress, err := progressWanted(f.progress, s.ErrIsTerminal)
	if err != nil {
		return err
	}
	if !f.wait && !f.keep {
		return errors.New("--keep=false deletes the Execution after its output is printed, " +
			"which needs --wait; use --ttl to have it deleted later")
	}
	exec, err := buildExecution(o, inputs{open: openFile, stdin: s.In})
	if err != nil {
		return err
	}
	c, namespace, err := kube.connect()
	if err != nil {
		return err
	}
	exec.Namespace = namespace
	if err := c.Create(ctx, exec); err != nil {
		return fmt.Errorf("create execution: %w", err)
	}
	if !f.wait {
		fmt.Fprintln(s.Out, exec.Name)
		return nil
	}

	key := types.NamespacedName{Namespace: exec.Namespace, Name: exec.Name}
	p := &progress{out: s.ErrOut, on: showProgress}
	pickup := startPickupNotice(s.ErrOut, key, f.pickupNoticeAfter)
	done, sig, err := waitInterruptible(ctx, c, key, pickup.watching(p.seen))
	pickup.stop()
	if sig != nil {
		return interrupted(s, c, key, f.keep, sig)
	}
	if err != nil {
		return waitError(key.Name, err)
	}

	printOutput(done, s.Out, s.ErrOut)
	if showProgress || !explainsItself(done) {
		fmt.Fprintln(s.ErrOut, endLine(done))
	}
	if !f.keep {
		deleteExecution(s, c, key)
	}
	if code := exitCodeFor(done); code != 0 {
		return exitStatus{code: code}
	}
	return nil
}

func progressWanted(mode string, errIsTerminal bool) (bool, error) {
	switch mode {
	case "auto":
		return errIsTerminal, nil
	case "always":
		return true, nil
	case "never":
		return false, nil
	}
	return false, fmt.Errorf("--progress %q: want auto, always or never", mode)
}

// waitError says what ended the wait for an Execution, and points at 'kubectl runlet get'
// only while there is still an Execution to show.
func waitError(name string, err error) error {
	if errors.Is(err, errDeleted) || apierrors.IsNotFound(err) {
		return fmt.Errorf("wait for %s: %w", name, err)
	}
	return fmt.Errorf("wait for %s: %w (see kubectl runlet get %s)", name, err, name)
}

// waitInterruptible waits for the Execution to finish and stops waiting at SIGINT or
// SIGTERM, returning the signal. The handler is removed before it returns, so that a
// second Ctrl-C during the cancellation ends the plugin at once.
func waitInterruptible(ctx context.Context, c client.WithWatch, key types.NamespacedName,
	seen func(*runletv1.Execution)) (*runletv1.Execution, os.Signal, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)

	var (
		mu     sync.Mutex
		caught os.Signal
	)
	go func() {
		select {
		case sig := <-signals:
			mu.Lock()
			caught = sig
			mu.Unlock()
			cancel()
		case <-ctx.Done():
		}
	}()

	done, err := waitFinished(ctx, c, key, seen)
	mu.Lock()
	defer mu.Unlock()
	if caught != nil && done == nil {
		return nil, caught, nil
	}
	return done, nil, err
}

// interrupted cancels the Execution the user stopped waiting for, and deletes it unless
// it is to be kept.
func interrupted(s streams, c client.Client, key types.NamespacedName, keep bool,
	sig os.Signal) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	exec := &runletv1.Execution{}
	exec.Namespace, exec.Name = key.Namespace, key.Name
	cancelPatch := client.RawPatch(types.MergePatchType, []byte(`{"spec":{"cancel":true}}`))
	err := c.Patch(ctx, exec, cancelPatch)
	switch {
	case apierrors.IsNotFound(err):
		fmt.Fprintf(s.ErrOut, "%s: interrupted; the Execution was deleted already\n", key.Name)
	case err != nil:
		return fmt.Errorf("cancel %s: %w; its program may go on running", key.Name, err)
	case keep:
		fmt.Fprintln(s.ErrOut, cancelledLine(exec))
	default:
		deleteExecution(s, c, key)
		fmt.Fprintf(s.ErrOut, "%s: cancelled and deleted\n", key.Name)
	}

	code := exitInterrupted
	if sig == syscall.SIGTERM {
		code = 128 + int(syscall.SIGTERM)
	}
	return exitStatus{code: code}
}

// cancelledLine says what becomes of an Execution that was just asked to cancel, as the
// API server returned it: only a runlet controller that has picked it up will end it.
func cancelledLine(exec *runletv1.Execution) string {
	switch st := exec.Status; {
	case st.Phase == "":
		return fmt.Sprintf("%s: asked to cancel, but nothing has picked it up yet: is a runlet "+
			"manager running for namespace %s?", exec.Name, exec.Namespace)
	case st.Phase.IsFinished():
		return phaseLine(exec) + "; it had ended before it could be cancelled"
	}
	return exec.Name + ": cancelled; it ends Failed (Cancelled)"
}

// deleteExecution deletes a finished or cancelled Execution; the controller's finalizer
// removes its container and files. A failure is reported but does not change the exit
// status, which is the program's.
func deleteExecution(s streams, c client.Client, key types.NamespacedName) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	exec := &runletv1.Execution{}
	exec.Namespace, exec.Name = key.Namespace, key.Name
	err := c.Delete(ctx, exec, client.PropagationPolicy("Background"))
	if err != nil && !apierrors.IsNotFound(err) {
		fmt.Fprintf(s.ErrOut, "%s: not deleted: %v\n", key.Name, err)
	}
}

func openFile(name string) (io.ReadCloser, error) {
	return os.Open(name)
}
