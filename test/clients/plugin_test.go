package clients

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

// plugin runs the kubectl-runlet subcommand args[0] in namespace ns.
func plugin(t *testing.T, ns, stdin string, args ...string) result {
	t.Helper()
	bin := buildProgram(t, "./cmd/kubectl-runlet")
	withNamespace := append([]string{args[0], "--namespace", ns}, args[1:]...)
	return runProgram(t, stdin, bin, withNamespace...)
}

// onlyExecution returns the one Execution in ns.
func onlyExecution(t *testing.T, ns string) *runletv1.Execution {
	t.Helper()
	var list runletv1.ExecutionList
	require.NoError(t, env.Client.List(context.Background(), &list, client.InNamespace(ns)))
	require.Len(t, list.Items, 1)
	return &list.Items[0]
}

// backgroundPlugin is a plugin run that a test follows while it goes on.
type backgroundPlugin struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	// stderr is read line by line as the plugin writes it; it must be read to its end
	// before wait.
	stderr *bufio.Scanner
}

// startPlugin starts the plugin with args in namespace ns, bounded by commandTimeout.
func startPlugin(t *testing.T, ns string, args ...string) *backgroundPlugin {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	t.Cleanup(cancel)
	run := &backgroundPlugin{}
	run.cmd = exec.CommandContext(ctx, buildProgram(t, "./cmd/kubectl-runlet"),
		append(args, "--namespace", ns)...)
	run.cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	run.cmd.Stdout = &run.stdout
	stderr, err := run.cmd.StderrPipe()
	require.NoError(t, err)
	run.stderr = bufio.NewScanner(stderr)
	require.NoError(t, run.cmd.Start())
	return run
}

// wait reads the rest of stderr, waits for the plugin to end and returns its exit code and
// the stderr lines read here.
func (run *backgroundPlugin) wait() (exitCode int, rest []string) {
	for run.stderr.Scan() {
		rest = append(rest, run.stderr.Text())
	}
	_ = run.cmd.Wait()
	return run.cmd.ProcessState.ExitCode(), rest
}

func TestPluginRunPrintsTheOutputAndExitsWithTheProgramsCode(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)

	got := plugin(t, ns, "", "run", "-l", "python",
		"--code", `import sys; print("hi"); print("oops", file=sys.stderr); sys.exit(3)`)

	assert.Equal(t, "hi\n", got.stdout)
	assert.Equal(t, "oops\n", got.stderr, "no phase lines when stderr is not a terminal")
	assert.Equal(t, 3, got.exitCode)

	kept := onlyExecution(t, ns)
	assert.True(t, strings.HasPrefix(kept.Name, "run-"), kept.Name)
	assert.Equal(t, runletv1.ReasonError, kept.Status.Reason)
	assert.Equal(t, "kubectl-runlet", kept.Labels["app.kubernetes.io/created-by"])
}

func TestPluginRunGuessesTheLanguageAndPassesFilesStdinEnvAndArgs(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	dir := t.TempDir()
	main := filepath.Join(dir, "main.py")
	require.NoError(t, os.WriteFile(main, []byte(
		"import os, sys\nfrom helper import shout\n"+
			"print(shout(sys.stdin.read().strip()), os.environ['MOOD'], sys.argv[1:])\n"), 0o644))
	helper := filepath.Join(dir, "helper.py")
	require.NoError(t, os.WriteFile(helper, []byte(
		"def shout(s):\n    return s.upper()\n"), 0o644))

	got := plugin(t, ns, "from the pipe\n", "run", "-f", main, "--add-file", helper,
		"--stdin-file", "-", "--env", "MOOD=calm", "--progress", "always", "--memory", "64Mi",
		"--", "one", "two")

	assert.Equal(t, "FROM THE PIPE calm ['one', 'two']\n", got.stdout)
	assert.Equal(t, 0, got.exitCode, got.stderr)
	kept := onlyExecution(t, ns)
	assert.Contains(t, got.stderr, kept.Name+": Succeeded (Completed)\n",
		"--progress always ends with the phase line")
	assert.Equal(t, "python", kept.Spec.Language)
	assert.Equal(t, "64Mi", kept.Spec.Resources.Memory.String())
}

func TestPluginRunExplainsATimeoutOnStderrAndExitsOne(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)

	got := plugin(t, ns, "", "run", "-l", "bash", "--timeout", "1",
		"--code", "echo started; sleep 60")

	assert.Equal(t, 1, got.exitCode)
	assert.Equal(t, "started\n", got.stdout)
	assert.Contains(t, got.stderr, ": Failed (DeadlineExceeded): ")
}

func TestPluginRunExplainsAnUnknownLanguageAndExitsOne(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)

	got := plugin(t, ns, "", "run", "-l", "cobol", "--code", "DISPLAY 'HI'.")

	assert.Equal(t, 1, got.exitCode)
	assert.Empty(t, got.stdout)
	assert.Contains(t, got.stderr, ": Failed (InvalidSpec): ")
}

func TestPluginRunExits125WhenTheAPIServerRejectsTheSpec(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)

	got := plugin(t, ns, "", "run", "-l", "python", "--code", "print(1)", "--memory", "1Mi")

	assert.Equal(t, 125, got.exitCode)
	assert.Contains(t, got.stderr, "memory must be between 6Mi and 64Gi")
	var list runletv1.ExecutionList
	require.NoError(t, env.Client.List(context.Background(), &list, client.InNamespace(ns)))
	assert.Empty(t, list.Items)
}

func TestPluginRunRefusesALanguageWithoutCodeButRunsAnImageWithout(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)

	for _, args := range [][]string{{"-l", "python"}, {"-l", "python", "--code", ""}} {
		refused := plugin(t, ns, "", append([]string{"run"}, args...)...)
		assert.Equal(t, 125, refused.exitCode, "run %q", args)
		assert.Contains(t, refused.stderr, "--image IMAGE", "run %q", args)
	}
	var list runletv1.ExecutionList
	require.NoError(t, env.Client.List(context.Background(), &list, client.InNamespace(ns)))
	assert.Zero(t, len(list.Items), "nothing is created for a run refused up front")

	got := plugin(t, ns, "", "run", "--image", testenv.BusyboxImage, "--", "echo", "no code")
	assert.Equal(t, 0, got.exitCode, got.stderr)
	assert.Equal(t, "no code\n", got.stdout)
}

func TestPluginRunCountsTheCodeCapInCharactersAsTheAPIServerDoes(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	// A comment of two-byte characters fills the file up to the cap: twice as many bytes as
	// characters.
	head := "print('fits')\n# "
	full := head + strings.Repeat("é", runletv1.MaxCodeChars-utf8.RuneCountInString(head))
	dir := t.TempDir()
	fits, over := filepath.Join(dir, "fits.py"), filepath.Join(dir, "over.py")
	require.NoError(t, os.WriteFile(fits, []byte(full), 0o644))
	require.NoError(t, os.WriteFile(over, []byte(full+"é"), 0o644))

	got := plugin(t, ns, "", "run", "-f", fits)
	assert.Equal(t, 0, got.exitCode, got.stderr)
	assert.Equal(t, "fits\n", got.stdout)
	assert.True(t, onlyExecution(t, ns).Spec.Code == full, "the code reached the API whole")

	refused := plugin(t, ns, "", "run", "-f", over)
	assert.Equal(t, 125, refused.exitCode)
	assert.Contains(t, refused.stderr, "longer than 262144 characters")
	onlyExecution(t, ns) // the first run's: the refused one created none

	// The API server draws the line at the same character.
	tooLong := &runletv1.Execution{}
	tooLong.Namespace, tooLong.GenerateName = ns, "over-"
	tooLong.Spec.Language, tooLong.Spec.Code = "python", full+"é"
	err := env.Client.Create(context.Background(), tooLong)
	assert.True(t, apierrors.IsInvalid(err), "create: %v", err)
	assert.ErrorContains(t, err, "spec.code: Too long")
}

func TestPluginRunWithoutKeepDeletesTheExecution(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)

	got := plugin(t, ns, "", "run", "-l", "python", "--code", "print('bye')", "--name", "once",
		"--keep=false")

	assert.Equal(t, "bye\n", got.stdout)
	assert.Equal(t, 0, got.exitCode)
	require.Eventually(t, func() bool {
		err := env.Client.Get(context.Background(),
			client.ObjectKey{Namespace: ns, Name: "once"}, &runletv1.Execution{})
		return apierrors.IsNotFound(err)
	}, time.Minute, 100*time.Millisecond, "the Execution is gone once its finalizer ran")
}

func TestPluginGetAndLogsShowAnExecutionStartedWithoutWaiting(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)

	started := plugin(t, ns, "", "run", "-l", "node", "--wait=false",
		"--code", `console.log("out"); console.error("err"); process.exit(4)`)
	require.Equal(t, 0, started.exitCode, started.stderr)
	name := strings.TrimSpace(started.stdout)
	require.True(t, strings.HasPrefix(name, "run-"), started.stdout)

	logs := plugin(t, ns, "", "logs", name, "--wait", "--exit-code")
	assert.Equal(t, "out\n", logs.stdout)
	assert.Equal(t, "err\n", logs.stderr)
	assert.Equal(t, 4, logs.exitCode)

	get := plugin(t, ns, "", "get", name)
	assert.Equal(t, 0, get.exitCode, get.stderr)
	for _, want := range []string{"Name:      " + name, "Phase:     Failed", "Reason:    Error",
		"Exit code: 4", "Stdout:    4 bytes", "Stderr:    4 bytes", "Duration:"} {
		assert.Contains(t, get.stdout, want)
	}

	missing := plugin(t, ns, "", "get", "no-such-run")
	assert.Equal(t, 125, missing.exitCode)
	assert.Contains(t, missing.stderr, "not found")
}

func TestPluginCtrlCCancelsTheExecutionAndExits130(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	run := startPlugin(t, ns, "run", "-l", "python", "--progress", "always",
		"--code", "import time\nprint('working', flush=True)\ntime.sleep(120)")

	// Interrupt once the program runs, as a person who gave up waiting would.
	var seen []string
	for run.stderr.Scan() {
		seen = append(seen, run.stderr.Text())
		if strings.HasSuffix(run.stderr.Text(), ": Running (Started)") {
			break
		}
	}
	require.NotEmpty(t, seen)
	require.True(t, strings.HasSuffix(seen[len(seen)-1], ": Running (Started)"),
		"stderr so far: %q", seen)
	require.NoError(t, run.cmd.Process.Signal(os.Interrupt))
	exitCode, rest := run.wait()
	seen = append(seen, rest...)

	assert.Equal(t, 130, exitCode, "stderr: %q", seen)
	assert.Contains(t, seen[len(seen)-1], "cancelled")
	assert.Empty(t, run.stdout.String(), "nothing recorded is printed after an interrupt")
	got := waitFinished(t, client.ObjectKeyFromObject(onlyExecution(t, ns)))
	assert.Equal(t, runletv1.ReasonCancelled, got.Status.Reason)
	assert.True(t, got.Spec.Cancel)
}

func TestPluginRunSaysTheExecutionWasDeletedWithoutPointingAtIt(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	run := startPlugin(t, ns, "run", "-l", "bash", "--code", "sleep 120")

	// Delete it while its program runs, as a person cleaning up (or a TTL) would.
	ctx := context.Background()
	var running runletv1.ExecutionList
	require.Eventually(t, func() bool {
		err := env.Client.List(ctx, &running, client.InNamespace(ns))
		return err == nil && len(running.Items) == 1 &&
			running.Items[0].Status.Phase == runletv1.PhaseRunning
	}, time.Minute, 100*time.Millisecond, "the program never ran")
	name := running.Items[0].Name
	require.NoError(t, env.Client.Delete(ctx, &running.Items[0]))
	exitCode, stderr := run.wait()

	assert.Equal(t, 125, exitCode, "stderr: %q", stderr)
	assert.Equal(t, []string{"Error: wait for " + name + ": the Execution was deleted before it finished"},
		stderr, "no pointer at an object that is gone")
	assert.Empty(t, run.stdout.String())
}

func TestPluginRunSaysWhenNoRunletPicksTheExecutionUpAndPromisesNoCancelledEnd(t *testing.T) {
	t.Parallel()
	ns := newNamespaceWithoutManager(t)
	run := startPlugin(t, ns, "run", "-l", "python", "--code", "print(1)",
		"--pickup-notice-after", "1s")

	// stderr is no terminal, so the notice is the only thing said while the plugin waits.
	require.True(t, run.stderr.Scan(), "the plugin said nothing while it waited")
	name := onlyExecution(t, ns).Name
	assert.Equal(t, "runlet has not picked up "+name+" after 1s: is a runlet manager running "+
		"for namespace "+ns+"?", run.stderr.Text())

	require.NoError(t, run.cmd.Process.Signal(os.Interrupt), "the plugin goes on waiting")
	exitCode, rest := run.wait()

	assert.Equal(t, 130, exitCode, "stderr after the notice: %q", rest)
	assert.Equal(t, []string{name + ": asked to cancel, but nothing has picked it up yet: " +
		"is a runlet manager running for namespace " + ns + "?"}, rest)
	assert.Empty(t, run.stdout.String())
	left := onlyExecution(t, ns)
	assert.True(t, left.Spec.Cancel, "the cancel is asked for, for when a manager comes")
	assert.Empty(t, left.Status.Phase)
}
