package clients

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

// TestManagerBinaryRunsAnExecutionAndStopsCleanlyOnSIGTERM starts the manager as its own
// process, the way a pod does, with leader election on: it becomes ready, takes the lease,
// runs an Execution, serves its metrics, logs JSON, and on SIGTERM exits 0 and gives the
// lease up.
func TestManagerBinaryRunsAnExecutionAndStopsCleanlyOnSIGTERM(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "manager-"}}
	require.NoError(t, env.Client.Create(ctx, ns))

	dir := t.TempDir()
	languages, err := yaml.Marshal(testenv.LocalLanguages())
	require.NoError(t, err)
	languagesFile := filepath.Join(dir, "languages.yaml")
	require.NoError(t, os.WriteFile(languagesFile, languages, 0o644))

	metricsAddr, probeAddr := freeAddress(t), freeAddress(t)
	manager := exec.Command(buildProgram(t, "."),
		"--namespaces", ns.Name, "--workspace-root", filepath.Join(dir, "workspaces"),
		"--languages", languagesFile, "--leader-elect", "--leader-election-namespace", ns.Name,
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr)
	manager.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	var logs bytes.Buffer
	manager.Stdout, manager.Stderr = &logs, &logs
	require.NoError(t, manager.Start())
	exited := make(chan error, 1)
	go func() { exited <- manager.Wait() }()
	t.Cleanup(func() {
		if manager.ProcessState == nil {
			_ = manager.Process.Kill()
			<-exited
		}
	})

	require.Eventually(t, func() bool { return testenv.HTTPStatus("http://"+probeAddr+"/readyz") == 200 },
		30*time.Second, 200*time.Millisecond, "the manager gets ready; logs:\n%s", &logs)

	e := &runletv1.Execution{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "hello"},
		Spec: runletv1.ExecutionSpec{Language: "python", Code: `print("hello from a pod")`}}
	require.NoError(t, env.Client.Create(ctx, e))
	got := waitFinished(t, client.ObjectKeyFromObject(e))
	assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason, got.Status.Message)
	assert.Equal(t, "hello from a pod\n", got.Status.Stdout)

	lease := &coordinationv1.Lease{}
	leaseKey := client.ObjectKey{Namespace: ns.Name, Name: "runlet-manager.runlet.dev"}
	require.NoError(t, env.Client.Get(ctx, leaseKey, lease))
	require.NotNil(t, lease.Spec.HolderIdentity)
	assert.NotEmpty(t, *lease.Spec.HolderIdentity, "the manager holds the lease")

	metrics := httpBody(t, "http://"+metricsAddr+"/metrics")
	assert.Contains(t, metrics,
		`runlet_executions_total{language="python",phase="Succeeded",reason="Completed"} 1`)

	// Deleted before the manager stops, so that its finalizer leaves nothing on the daemon.
	require.NoError(t, deleteExecutions(ns.Name))
	require.NoError(t, manager.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "the manager exits 0 on SIGTERM; logs:\n%s", &logs)
	case <-time.After(30 * time.Second):
		require.FailNow(t, "the manager did not stop within 30 s of SIGTERM", "logs:\n%s", &logs)
	}
	require.NoError(t, env.Client.Get(ctx, leaseKey, lease))
	assert.True(t, lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "",
		"the lease is given up on the way out")

	lines := 0
	scanner := bufio.NewScanner(&logs)
	for scanner.Scan() {
		var entry map[string]any
		require.NoError(t, json.Unmarshal(scanner.Bytes(), &entry), "a log line is JSON: %s",
			scanner.Text())
		assert.NotEmpty(t, entry["msg"], "a log line has a message: %s", scanner.Text())
		lines++
	}
	assert.Positive(t, lines)
	assert.NotContains(t, logs.String(), "hello from a pod", "no program output in the logs")
}

// freeAddress returns a loopback address with a port nobody listens on now.
func freeAddress(t *testing.T) string {
	t.Helper()
	addr, err := testenv.FreeAddress()
	require.NoError(t, err)
	return addr
}

func httpBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	return strings.TrimSpace(string(body))
}
