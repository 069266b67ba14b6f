package controllers_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

func TestLifecycle(t *testing.T) {
	ns := startManager(t, testenv.ManagerOptions{})

	t.Run("hello worlds succeed with their stdout", func(t *testing.T) {
		t.Parallel()
		cases := map[string]struct {
			spec   runletv1.ExecutionSpec
			stdout string
		}{
			"python": {runletv1.ExecutionSpec{Language: "python", Code: `print("hello from python")`},
				"hello from python\n"},
			"node": {runletv1.ExecutionSpec{Language: "node", Code: `console.log("hello from node")`},
				"hello from node\n"},
			"bash": {runletv1.ExecutionSpec{Language: "bash", Code: `echo "hello from bash ${BASH_VERSINFO[0]}"`},
				"hello from bash 5\n"},
		}
		for lang, c := range cases {
			e := create(t, execution(ns, "hello-"+lang, c.spec))
			defer func() {
				got := waitFor(t, e, 60*time.Second, finished)
				assert.Equal(t, runletv1.PhaseSucceeded, got.Status.Phase, lang)
				assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason, lang)
				assert.Equal(t, c.stdout, got.Status.Stdout, lang)
				assert.Empty(t, got.Status.Stderr, lang)
				require.NotNil(t, got.Status.ExitCode)
				assert.EqualValues(t, 0, *got.Status.ExitCode)
				assert.NotEmpty(t, got.Status.ContainerID)
				assert.NotNil(t, got.Status.StartTime)
				assert.NotNil(t, got.Status.CompletionTime)
				assert.FileExists(t, got.Status.LogPath+"/stdout.log")
			}()
		}
	})

	t.Run("non-zero exit fails with its code", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "exit-3", runletv1.ExecutionSpec{Language: "python",
			Code: "import sys\nprint('bye', file=sys.stderr)\nsys.exit(3)"}))
		got := waitFor(t, e, 60*time.Second, finished)
		assert.Equal(t, runletv1.PhaseFailed, got.Status.Phase)
		assert.Equal(t, runletv1.ReasonError, got.Status.Reason)
		require.NotNil(t, got.Status.ExitCode)
		assert.EqualValues(t, 3, *got.Status.ExitCode)
		assert.Equal(t, "bye\n", got.Status.Stderr)
	})

	t.Run("memory hog is OOMKilled", func(t *testing.T) {
		t.Parallel()
		mem := resource.MustParse("32Mi")
		e := create(t, execution(ns, "hog", runletv1.ExecutionSpec{Language: "python",
			Code:      "data = b'x' * (256 << 20)\nprint(len(data))",
			Resources: runletv1.Resources{Memory: &mem}}))
		got := waitFor(t, e, 60*time.Second, finished)
		assert.Equal(t, runletv1.PhaseFailed, got.Status.Phase)
		assert.Equal(t, runletv1.ReasonOOMKilled, got.Status.Reason)
		assert.True(t, got.Status.OOMKilled)
	})

	t.Run("sleeper past its timeout ends DeadlineExceeded, after its whole time", func(t *testing.T) {
		t.Parallel()
		// The program prints how long it has run, in milliseconds, every 50 ms.
		e := create(t, execution(ns, "sleeper", runletv1.ExecutionSpec{Language: "bash",
			Code: "t0=$(date +%s%N); while :; do echo $(( ($(date +%s%N) - t0) / 1000000 )); " +
				"sleep 0.05; done", TimeoutSeconds: 3}))
		got := waitFor(t, e, 60*time.Second, finished)
		assert.Equal(t, runletv1.PhaseFailed, got.Status.Phase)
		assert.Equal(t, runletv1.ReasonDeadlineExceeded, got.Status.Reason)
		assert.False(t, got.Status.OOMKilled)

		lines := strings.Fields(got.Status.Stdout)
		require.NotEmpty(t, lines)
		ranMillis, err := strconv.Atoi(lines[len(lines)-1])
		require.NoError(t, err)
		assert.GreaterOrEqual(t, ranMillis, 2800, "the program gets its whole 3 s")
		ran, err := time.ParseDuration(got.Status.Duration)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, ran, 3*time.Second)
		assert.Less(t, ran, 3*time.Second+2*time.Second,
			"stopped at its deadline, within the 2 s grace")
	})

	t.Run("cancel stops a running execution", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "to-cancel", runletv1.ExecutionSpec{Language: "bash",
			Code: "echo started; sleep 60"}))
		got := waitFor(t, e, 60*time.Second, running)
		patch := client.MergeFrom(got.DeepCopy())
		got.Spec.Cancel = true
		require.NoError(t, k8s.Patch(context.Background(), got, patch))
		got = waitFor(t, e, 30*time.Second, finished)
		assert.Equal(t, runletv1.PhaseFailed, got.Status.Phase)
		assert.Equal(t, runletv1.ReasonCancelled, got.Status.Reason)
		require.Eventually(t, func() bool { return !containerExists(t, got) }, 10*time.Second,
			100*time.Millisecond, "the container is removed after the ending is recorded")
	})

	t.Run("deleting a running execution removes its container", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "to-delete", runletv1.ExecutionSpec{Language: "bash",
			Code: "sleep 60"}))
		got := waitFor(t, e, 60*time.Second, running)
		require.True(t, containerExists(t, got))
		require.NoError(t, k8s.Delete(context.Background(), got))
		waitGone(t, got, 30*time.Second)
		assert.False(t, containerExists(t, got))
		assert.NoDirExists(t, got.Status.LogPath)
	})

	t.Run("finished execution with a TTL disappears", func(t *testing.T) {
		t.Parallel()
		ttl := int32(3)
		e := create(t, execution(ns, "ttl", runletv1.ExecutionSpec{Language: "bash",
			Code: "echo bye", TTLSecondsAfterFinished: &ttl}))
		got := waitFor(t, e, 60*time.Second, finished)
		assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason)
		waitGone(t, e, 30*time.Second)
		// The API server's clock stamps the deletion; a few seconds of slack cover the
		// polling and the finalizer's cleanup.
		gone := time.Since(got.Status.CompletionTime.Time)
		assert.Less(t, gone, time.Duration(ttl)*time.Second+5*time.Second,
			"deleted soon after its TTL ran out")
	})

	t.Run("an Execution that never ran is deleted after its TTL too", func(t *testing.T) {
		t.Parallel()
		// completionTime keeps whole seconds, so a TTL of n seconds can end up to a second
		// sooner; 3 s leave the poll below time to see the ending.
		ttl := int32(3)
		e := create(t, execution(ns, "ttl-invalid", runletv1.ExecutionSpec{Language: "cobol",
			Code: "DISPLAY 'HI'.", TTLSecondsAfterFinished: &ttl}))
		got := waitFor(t, e, 30*time.Second, finished)
		assert.Equal(t, runletv1.ReasonInvalidSpec, got.Status.Reason)
		waitGone(t, e, 15*time.Second)
	})

	t.Run("unknown language is an invalid spec", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "cobol", runletv1.ExecutionSpec{Language: "cobol",
			Code: "DISPLAY 'HI'."}))
		got := waitFor(t, e, 30*time.Second, finished)
		assert.Equal(t, runletv1.PhaseFailed, got.Status.Phase)
		assert.Equal(t, runletv1.ReasonInvalidSpec, got.Status.Reason)
		assert.Contains(t, got.Status.Message, `"cobol"`)
		assert.Nil(t, got.Status.ExitCode)
	})

	t.Run("a secret that is not text is an invalid spec that does not show it", func(t *testing.T) {
		t.Parallel()
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "binary"},
			Data: map[string][]byte{"key": []byte("pw\xffsecret")}}
		require.NoError(t, k8s.Create(context.Background(), secret))
		e := create(t, execution(ns, "binary-secret", runletv1.ExecutionSpec{Language: "bash",
			Code: "echo $S", Env: []runletv1.EnvVar{{Name: "S",
				SecretKeyRef: &runletv1.SecretKeySelector{Name: "binary", Key: "key"}}}}))
		got := waitFor(t, e, 30*time.Second, finished)
		assert.Equal(t, runletv1.ReasonInvalidSpec, got.Status.Reason)
		assert.NotContains(t, got.Status.Message, "secret")
	})

	t.Run("unknown secret is an invalid spec", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "no-secret", runletv1.ExecutionSpec{Language: "bash",
			Code: "echo $TOKEN", Env: []runletv1.EnvVar{{Name: "TOKEN",
				SecretKeyRef: &runletv1.SecretKeySelector{Name: "missing", Key: "token"}}}}))
		got := waitFor(t, e, 30*time.Second, finished)
		assert.Equal(t, runletv1.ReasonInvalidSpec, got.Status.Reason)
		assert.Contains(t, got.Status.Message, `"missing"`)
	})

	t.Run("secret env reaches the program and is redacted from its output", func(t *testing.T) {
		t.Parallel()
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "token"},
			StringData: map[string]string{"token": "s3cr3t-value"}}
		require.NoError(t, k8s.Create(context.Background(), secret))
		e := create(t, execution(ns, "secret-env", runletv1.ExecutionSpec{Language: "bash",
			Code: `echo "token=$TOKEN plain=$PLAIN"; echo "${#TOKEN}"`,
			Env: []runletv1.EnvVar{{Name: "PLAIN", Value: "visible"}, {Name: "TOKEN",
				SecretKeyRef: &runletv1.SecretKeySelector{Name: "token", Key: "token"}}}}))
		got := waitFor(t, e, 60*time.Second, finished)
		assert.Equal(t, "token=*** plain=visible\n12\n", got.Status.Stdout)
	})

	t.Run("stdin, files and a workspace reach the program", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "multi-file", runletv1.ExecutionSpec{Language: "python",
			Code:  "import sys\nfrom lib.greet import greet\nprint(greet(sys.stdin.read().strip()))",
			Files: []runletv1.File{{Path: "lib/greet.py", Content: "def greet(n):\n    return 'hi ' + n\n"}},
			Stdin: "runlet\n", Workspace: &runletv1.Workspace{SubPath: "agent-1"}}))
		got := waitFor(t, e, 60*time.Second, finished)
		assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason, got.Status.Stderr)
		assert.Equal(t, "hi runlet\n", got.Status.Stdout)
	})
}

func TestFinishedExecutionIsNeverRewritten(t *testing.T) {
	t.Parallel()
	ns := startManager(t, testenv.ManagerOptions{})
	e := create(t, execution(ns, "still", runletv1.ExecutionSpec{Language: "bash", Code: "echo done"}))
	got := waitFor(t, e, 60*time.Second, finished)
	// Let the pass that removes the container run before taking the version to watch.
	time.Sleep(time.Second)
	version := get(t, e).ResourceVersion
	require.Equal(t, got.Status, get(t, e).Status)

	time.Sleep(30 * time.Second)
	assert.Equal(t, version, get(t, e).ResourceVersion)
}

func TestVanishedContainerEndsContainerLost(t *testing.T) {
	t.Parallel()
	ns := startManager(t, testenv.ManagerOptions{})
	e := create(t, execution(ns, "vanishing", runletv1.ExecutionSpec{Language: "bash",
		Code: "sleep 60"}))
	got := waitFor(t, e, 60*time.Second, running)
	require.NoError(t, daemon.Remove(context.Background(), "runlet-"+string(got.UID)))

	got = waitFor(t, e, 30*time.Second, finished)
	assert.Equal(t, runletv1.PhaseFailed, got.Status.Phase)
	assert.Equal(t, runletv1.ReasonContainerLost, got.Status.Reason)
}

func TestStartAndFinishAreAnnouncedAsEventsAndCounted(t *testing.T) {
	t.Parallel()
	registry := prometheus.NewRegistry()
	ns := startManager(t, testenv.ManagerOptions{Metrics: registry})
	e := create(t, execution(ns, "announced", runletv1.ExecutionSpec{Language: "bash",
		Code: "exit 4"}))
	got := waitFor(t, e, 60*time.Second, finished)

	require.Eventually(t, func() bool {
		var list eventsv1.EventList
		if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return false
		}
		reasons := map[string]bool{}
		for _, ev := range list.Items {
			if ev.Regarding.UID == got.UID {
				reasons[ev.Reason] = true
			}
		}
		return reasons["Started"] && reasons[string(runletv1.ReasonError)]
	}, 20*time.Second, 200*time.Millisecond, "a Started and an Error event are recorded")

	assert.Equal(t, 1.0, metricValue(t, registry, "runlet_executions_total",
		map[string]string{"language": "bash", "phase": "Failed", "reason": "Error"}))
	assert.Equal(t, 1.0, metricValue(t, registry, "runlet_execution_duration_seconds",
		map[string]string{"language": "bash", "phase": "Failed"}), "one duration observed")
	assert.Equal(t, 0.0, metricValue(t, registry, "runlet_executions_running", nil))
	assert.Equal(t, 0.0, metricValue(t, registry, "runlet_executions_queued", nil))
}

// metricValue reads one series of a registry's metric: a counter's or a gauge's value, or
// a histogram's count of observations.
func metricValue(t *testing.T, reg *prometheus.Registry, name string,
	labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	require.FailNow(t, "metric not found", "%s %v", name, labels)
	return 0
}

func TestImagesAndBuilds(t *testing.T) {
	t.Parallel()
	ns := startManager(t, testenv.ManagerOptions{})

	t.Run("a missing image ends ImageUnavailable", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "no-image", runletv1.ExecutionSpec{
			Image: "runlet.local/does-not-exist:1", Command: []string{"true"}}))
		got := waitFor(t, e, 90*time.Second, finished)
		assert.Equal(t, runletv1.ReasonImageUnavailable, got.Status.Reason)
		assert.NotEmpty(t, got.Status.Message)
	})

	t.Run("an inline Dockerfile is built and run", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "built", runletv1.ExecutionSpec{Build: &runletv1.Build{
			Dockerfile: "FROM " + testenv.BusyboxImage + "\nCMD [\"echo\", \"built\"]\n"}}))
		got := waitFor(t, e, 90*time.Second, finished)
		assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason, got.Status.Message)
		assert.Equal(t, "built\n", got.Status.Stdout)
		require.Eventually(t, func() bool {
			return exec.Command("docker", "image", "inspect", "runlet-build/"+string(got.UID)+":latest").Run() != nil
		}, 20*time.Second, 200*time.Millisecond, "the built image goes once the ending is recorded")
	})

	t.Run("a build context from the workspace is built from a copy, links left out", func(t *testing.T) {
		t.Parallel()
		seed := create(t, execution(ns, "seed-context", runletv1.ExecutionSpec{Language: "bash",
			Code:      "ln -s /etc escape",
			Workspace: &runletv1.Workspace{SubPath: "ctx"},
			Files: []runletv1.File{{Path: "Dockerfile", Content: "FROM " + testenv.BusyboxImage +
				"\nCOPY . /ctx\nCMD [\"ls\", \"/ctx\"]\n"}}}))
		require.Equal(t, runletv1.ReasonCompleted, waitFor(t, seed, 60*time.Second, finished).Status.Reason)

		e := create(t, execution(ns, "from-context", runletv1.ExecutionSpec{
			Build: &runletv1.Build{ContextPath: "ctx"}}))
		got := waitFor(t, e, 90*time.Second, finished)
		assert.Equal(t, runletv1.ReasonCompleted, got.Status.Reason, got.Status.Message)
		assert.Equal(t, "Dockerfile\nmain.sh\n", got.Status.Stdout, "the link is not in the context")
	})

	t.Run("a build context that is not there is an invalid spec", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "no-context", runletv1.ExecutionSpec{
			Build: &runletv1.Build{ContextPath: "nothere"}}))
		got := waitFor(t, e, 30*time.Second, finished)
		assert.Equal(t, runletv1.ReasonInvalidSpec, got.Status.Reason)
		assert.Equal(t, `build.contextPath is unusable: "nothere" is not a directory of the `+
			`namespace's workspace.`, got.Status.Message)
	})

	t.Run("a build past the timeout ends DeadlineExceeded", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "slow-build", runletv1.ExecutionSpec{TimeoutSeconds: 3,
			Build: &runletv1.Build{Dockerfile: "FROM " + testenv.BusyboxImage + "\nRUN sleep 60\n"}}))
		got := waitFor(t, e, 30*time.Second, finished)
		assert.Equal(t, runletv1.ReasonDeadlineExceeded, got.Status.Reason)
		assert.Equal(t, "The image build ran longer than the 3s timeout and was stopped.",
			got.Status.Message)
		assert.Empty(t, got.Status.ContainerID)
	})

	t.Run("a build is Building, and a cancel during it keeps the program from running", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "cancelled-build", runletv1.ExecutionSpec{
			Build: &runletv1.Build{Dockerfile: "FROM " + testenv.BusyboxImage +
				"\nRUN sleep 4\nCMD [\"echo\", \"ran\"]\n"}}))
		got := waitFor(t, e, 30*time.Second, func(e *runletv1.Execution) bool {
			return e.Status.Reason == runletv1.ReasonBuilding
		})
		assert.Equal(t, runletv1.PhasePending, got.Status.Phase)
		patch := client.MergeFrom(got.DeepCopy())
		got.Spec.Cancel = true
		require.NoError(t, k8s.Patch(context.Background(), got, patch))

		got = waitFor(t, e, 60*time.Second, finished)
		assert.Equal(t, runletv1.ReasonCancelled, got.Status.Reason)
		assert.Empty(t, got.Status.ContainerID, "the program never started")
		assert.Equal(t, got.Generation, got.Status.ObservedGeneration,
			"the status describes the generation that asked for the cancel")
		assert.Empty(t, got.Status.Stdout)
		assert.False(t, containerExists(t, got))
	})

	t.Run("a build step over the memory limit fails the build", func(t *testing.T) {
		t.Parallel()
		mem := resource.MustParse("64Mi")
		e := create(t, execution(ns, "hungry-build", runletv1.ExecutionSpec{
			Resources: runletv1.Resources{Memory: &mem},
			Build: &runletv1.Build{Dockerfile: "FROM " + testenv.PythonImage +
				"\nRUN python3 -c \"b = b'x' * (512 << 20); print(len(b))\"\n"}}))
		got := waitFor(t, e, 90*time.Second, finished)
		assert.Equal(t, runletv1.ReasonBuildFailed, got.Status.Reason, got.Status.Message)
	})

	t.Run("a failing build ends BuildFailed with its log", func(t *testing.T) {
		t.Parallel()
		e := create(t, execution(ns, "broken-build", runletv1.ExecutionSpec{Build: &runletv1.Build{
			Dockerfile: "FROM " + testenv.BusyboxImage + "\nRUN echo building && exit 7\n"}}))
		got := waitFor(t, e, 90*time.Second, finished)
		assert.Equal(t, runletv1.ReasonBuildFailed, got.Status.Reason)
		assert.Contains(t, got.Status.Stderr, "building")
	})
}
