package controllers_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
	"github.com/runlet-dev/runlet/internal/testenv"
)

var (
	env    *testenv.Env
	k8s    client.Client
	daemon docker.Runtime
)

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s = env.Client
	daemon, err = docker.New("", docker.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

// startManager runs a manager that looks after its own fresh namespace only, so tests
// with different settings can run side by side on one control plane and daemon.
func startManager(t *testing.T, opts testenv.ManagerOptions) string {
	t.Helper()
	ns := newNamespace(t)
	if opts.WorkspaceRoot == "" {
		opts.WorkspaceRoot = t.TempDir()
	}
	t.Cleanup(startManagerIn(t, ns, opts))
	cleanUpExecutions(t, ns)
	return ns
}

// cleanUpExecutions deletes the namespace's Executions when the test ends, and waits until
// they are gone, which means the manager removed their containers, images and files before
// it stops. Cleanups run last first, so it must be called after the manager's stop was
// registered.
func cleanUpExecutions(t *testing.T, ns string) {
	t.Helper()
	t.Cleanup(func() {
		ctx := context.Background()
		if err := k8s.DeleteAllOf(ctx, &runletv1.Execution{}, client.InNamespace(ns)); err != nil {
			t.Errorf("delete executions of %s: %v", ns, err)
			return
		}
		deadline := time.Now().Add(time.Minute)
		for {
			var list runletv1.ExecutionList
			err := k8s.List(ctx, &list, client.InNamespace(ns))
			if err == nil && len(list.Items) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("executions of %s still there a minute after their deletion: %v",
					ns, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "runlet-test-"}}
	require.NoError(t, k8s.Create(context.Background(), ns))
	return ns.Name
}

// startManagerIn starts a manager for namespace ns and returns its stop function.
func startManagerIn(t *testing.T, ns string, opts testenv.ManagerOptions) func() {
	t.Helper()
	opts.Namespaces = []string{ns}
	stop, err := testenv.StartManager(env, opts)
	require.NoError(t, err)
	return stop
}

func execution(ns, name string, spec runletv1.ExecutionSpec) *runletv1.Execution {
	return &runletv1.Execution{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
}

func create(t *testing.T, e *runletv1.Execution) *runletv1.Execution {
	t.Helper()
	require.NoError(t, k8s.Create(context.Background(), e))
	return e
}

func get(t *testing.T, e *runletv1.Execution) *runletv1.Execution {
	t.Helper()
	got := &runletv1.Execution{}
	require.NoError(t, k8s.Get(context.Background(), client.ObjectKeyFromObject(e), got))
	return got
}

// waitFor polls the Execution until cond holds, and returns it.
func waitFor(t *testing.T, e *runletv1.Execution, within time.Duration,
	cond func(*runletv1.Execution) bool) *runletv1.Execution {
	t.Helper()
	var last *runletv1.Execution
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		got := &runletv1.Execution{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(e), got); err == nil {
			last = got
			if cond(got) {
				return got
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.FailNowf(t, "condition not met", "%s/%s after %s; last status: %+v",
		e.Namespace, e.Name, within, statusOf(last))
	return nil
}

func statusOf(e *runletv1.Execution) any {
	if e == nil {
		return nil
	}
	return e.Status
}

func finished(e *runletv1.Execution) bool { return e.Status.Phase.IsFinished() }

func running(e *runletv1.Execution) bool { return e.Status.Phase == runletv1.PhaseRunning }

// waitGone waits until the Execution no longer exists.
func waitGone(t *testing.T, e *runletv1.Execution, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(e), &runletv1.Execution{})
		return err != nil && client.IgnoreNotFound(err) == nil
	}, within, 100*time.Millisecond, "%s/%s still exists", e.Namespace, e.Name)
}

// containerExists asks the daemon whether the Execution's container is there.
func containerExists(t *testing.T, e *runletv1.Execution) bool {
	t.Helper()
	_, err := daemon.Inspect(context.Background(), "runlet-"+string(e.UID))
	if err == nil {
		return true
	}
	require.ErrorIs(t, err, docker.ErrNotFound)
	return false
}
