// Package clients drives runlet from outside, as its users do: the kubectl plugin, the
// example backends in Go and Python, and the sample Executions. They run as separate
// programs against a real kube-apiserver and etcd, with a manager in this process that
// runs the programs on the host's Docker daemon.
package clients

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

// commandTimeout bounds every program a test starts, so that a hang fails the test.
const commandTimeout = 3 * time.Minute

var (
	env        *testenv.Env
	kubeconfig string
	// workDir holds the kubeconfig and the programs the tests build.
	workDir string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()

	workDir, err = os.MkdirTemp("", "runlet-clients-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(workDir) }()
	if kubeconfig, err = env.WriteKubeconfig(workDir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// newNamespace creates a namespace of the test's own and starts a manager that looks
// after it alone: the Docker daemon is shared with other test binaries, whose managers look
// after their own namespaces. When the test ends, its Executions are deleted and the
// manager removes their containers and files before it stops.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "clients-"}}
	require.NoError(t, env.Client.Create(context.Background(), ns))

	stop, err := testenv.StartManager(env, testenv.ManagerOptions{
		WorkspaceRoot: t.TempDir(),
		Namespaces:    []string{ns.Name},
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		defer stop()
		if err := deleteExecutions(ns.Name); err != nil {
			t.Errorf("clean up executions: %v", err)
		}
	})
	return ns.Name
}

// newNamespaceWithoutManager creates a namespace that no runlet manager looks after, as
// when runlet is installed for other namespaces only. Nothing puts a finalizer on its
// Executions, so deleting them when the test ends removes them at once.
func newNamespaceWithoutManager(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "clients-unmanaged-"}}
	require.NoError(t, env.Client.Create(context.Background(), ns))
	t.Cleanup(func() {
		if err := deleteExecutions(ns.Name); err != nil {
			t.Errorf("clean up executions: %v", err)
		}
	})
	return ns.Name
}

// deleteExecutions deletes the Executions in ns and waits until they are gone, which
// means the manager's finalizer has removed their containers and files.
func deleteExecutions(ns string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := env.Client.DeleteAllOf(ctx, &runletv1.Execution{}, client.InNamespace(ns))
	if err != nil {
		return err
	}
	for {
		var list runletv1.ExecutionList
		if err := env.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return err
		}
		if len(list.Items) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d executions are still there: %w", len(list.Items), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// buildProgram builds a main package of the repository, once per test binary, and
// returns the executable's path.
func buildProgram(t *testing.T, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := built[pkg]; ok {
		return bin
	}
	// ./examples/go becomes examples-go, so that no executable is named like a tool; the
	// repository's own main package is the manager.
	name := strings.ReplaceAll(strings.TrimPrefix(pkg, "./"), "/", "-")
	if pkg == "." {
		name = "manager"
	}
	bin := filepath.Join(workDir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = testenv.RepoRoot()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s:\n%s", pkg, out)
	built[pkg] = bin
	return bin
}

// result is what a finished program left.
type result struct {
	stdout, stderr string
	exitCode       int
}

// runProgram runs name with args and KUBECONFIG pointing at the test's control plane,
// feeding it stdin, and returns its output and exit code.
func runProgram(t *testing.T, stdin string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Dir = testenv.RepoRoot()
	var stdout, stderr bytes.Buffer
	cmd.Stdin = bytes.NewBufferString(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()

	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		require.NoError(t, err, "run %s", name)
	}
	require.NoError(t, ctx.Err(), "%s did not end within %s; stderr:\n%s", name, commandTimeout,
		stderr.String())
	return result{stdout: stdout.String(), stderr: stderr.String(),
		exitCode: cmd.ProcessState.ExitCode()}
}

// waitFinished polls an Execution until it has finished.
func waitFinished(t *testing.T, key client.ObjectKey) *runletv1.Execution {
	t.Helper()
	exec := &runletv1.Execution{}
	require.Eventually(t, func() bool {
		err := env.Client.Get(context.Background(), key, exec)
		return err == nil && exec.Status.Phase.IsFinished()
	}, 2*time.Minute, 100*time.Millisecond, "%s did not finish", key)
	return exec
}
