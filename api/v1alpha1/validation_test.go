package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

var (
	controlPlane *testenv.Env
	k8s          client.Client
)

func TestMain(m *testing.M) {
	var err error
	controlPlane, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s = controlPlane.Client
	code := m.Run()
	_ = controlPlane.Stop()
	os.Exit(code)
}

var seq int

func newExecution(mutate func(*runletv1.ExecutionSpec)) *runletv1.Execution {
	seq++
	e := &runletv1.Execution{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("exec-%d", seq), Namespace: "default"},
		Spec:       runletv1.ExecutionSpec{Language: "python", Code: "print('hi')"},
	}
	if mutate != nil {
		mutate(&e.Spec)
	}
	return e
}

func TestValidExecutionGetsItsDefaults(t *testing.T) {
	ctx := context.Background()
	e := newExecution(nil)
	require.NoError(t, k8s.Create(ctx, e))

	got := &runletv1.Execution{}
	require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(e), got))
	assert.EqualValues(t, 60, got.Spec.TimeoutSeconds)
	assert.Equal(t, runletv1.NetworkNone, got.Spec.Network)
	assert.Equal(t, "256Mi", got.Spec.Resources.Memory.String())
	assert.Equal(t, "1", got.Spec.Resources.CPU.String())
	assert.EqualValues(t, 256, got.Spec.Resources.Pids)
}

func TestMultiFileExecutionWithEveryFieldIsAccepted(t *testing.T) {
	ttl := int32(30)
	e := newExecution(func(s *runletv1.ExecutionSpec) {
		s.Files = []runletv1.File{{Path: "lib/util.py", Content: "X = 1"}}
		s.Args = []string{"--verbose"}
		s.Stdin = "input"
		s.Env = []runletv1.EnvVar{{Name: "A", Value: "1"},
			{Name: "TOKEN", SecretKeyRef: &runletv1.SecretKeySelector{Name: "s", Key: "k"}}}
		cpu, mem := resource.MustParse("500m"), resource.MustParse("64Mi")
		s.Resources = runletv1.Resources{CPU: &cpu, Memory: &mem, Pids: 64}
		s.TimeoutSeconds = 10
		s.Network = runletv1.NetworkBridge
		s.Workspace = &runletv1.Workspace{SubPath: "agent-run-1"}
		s.TTLSecondsAfterFinished = &ttl
	})
	require.NoError(t, k8s.Create(context.Background(), e))
}

func TestAPIServerRefusesInvalidExecutions(t *testing.T) {
	huge := strings.Repeat("x", runletv1.MaxCodeChars+1)
	cases := []struct {
		name    string
		mutate  func(*runletv1.ExecutionSpec)
		message string
	}{
		{"code over the cap", func(s *runletv1.ExecutionSpec) { s.Code = huge },
			"spec.code: Too long"},
		{"negative timeout", func(s *runletv1.ExecutionSpec) { s.TimeoutSeconds = -1 },
			"spec.timeoutSeconds: Invalid value: -1"},
		{"huge timeout", func(s *runletv1.ExecutionSpec) { s.TimeoutSeconds = 1 << 30 },
			"should be less than or equal to 86400"},
		{"file path with dot-dot", func(s *runletv1.ExecutionSpec) {
			s.Files = []runletv1.File{{Path: "a/../../etc/passwd", Content: "x"}}
		}, "path must not contain '..'"},
		{"file path that is dot-dot", func(s *runletv1.ExecutionSpec) {
			s.Files = []runletv1.File{{Path: "..", Content: "x"}}
		}, "path must not contain '..'"},
		{"absolute file path", func(s *runletv1.ExecutionSpec) {
			s.Files = []runletv1.File{{Path: "/etc/passwd", Content: "x"}}
		}, "spec.files[0].path: Invalid value"},
		{"too many files", func(s *runletv1.ExecutionSpec) {
			for i := 0; i <= runletv1.MaxFiles; i++ {
				s.Files = append(s.Files, runletv1.File{Path: fmt.Sprintf("f%d", i), Content: "x"})
			}
		}, "spec.files: Too many"},
		{"memory below the floor", func(s *runletv1.ExecutionSpec) {
			q := resource.MustParse("1Ki")
			s.Resources.Memory = &q
		}, "memory must be between 6Mi and 64Gi"},
		{"too many pids", func(s *runletv1.ExecutionSpec) { s.Resources.Pids = 1 << 20 },
			"spec.resources.pids"},
		{"unknown network", func(s *runletv1.ExecutionSpec) { s.Network = "Host" },
			"spec.network: Unsupported value"},
		{"bad env name", func(s *runletv1.ExecutionSpec) {
			s.Env = []runletv1.EnvVar{{Name: "1BAD", Value: "x"}}
		}, "spec.env[0].name"},
		{"env with value and secret", func(s *runletv1.ExecutionSpec) {
			s.Env = []runletv1.EnvVar{{Name: "A", Value: "x",
				SecretKeyRef: &runletv1.SecretKeySelector{Name: "s", Key: "k"}}}
		}, "value and secretKeyRef cannot both be set"},
		{"workspace sub-path escaping", func(s *runletv1.ExecutionSpec) {
			s.Workspace = &runletv1.Workspace{SubPath: "../other-namespace"}
		}, "spec.workspace.subPath: Invalid value"},
		{"nested workspace sub-path", func(s *runletv1.ExecutionSpec) {
			s.Workspace = &runletv1.Workspace{SubPath: "agent/run-1"}
		}, "spec.workspace.subPath: Invalid value"},
		{"dot workspace sub-path", func(s *runletv1.ExecutionSpec) {
			s.Workspace = &runletv1.Workspace{SubPath: "."}
		}, "spec.workspace.subPath: Invalid value"},
		{"file path that is a directory", func(s *runletv1.ExecutionSpec) {
			s.Files = []runletv1.File{{Path: "lib/", Content: "x"}}
		}, "spec.files[0].path: Invalid value"},
		{"file path through dot", func(s *runletv1.ExecutionSpec) {
			s.Files = []runletv1.File{{Path: "./main.py", Content: "x"}}
		}, "path must not contain '.' as a directory"},
		{"file path with a NUL", func(s *runletv1.ExecutionSpec) {
			s.Files = []runletv1.File{{Path: "a\x00b", Content: "x"}}
		}, "spec.files[0].path"},
		{"nothing to run", func(s *runletv1.ExecutionSpec) { s.Language = "" },
			"one of language, image or build is required"},
		{"a language without code", func(s *runletv1.ExecutionSpec) { s.Code = "" },
			"a language needs code to run"},
		{"build with both sources", func(s *runletv1.ExecutionSpec) {
			s.Build = &runletv1.Build{Dockerfile: "FROM x", ContextPath: "ctx"}
		}, "exactly one of dockerfile or contextPath is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := k8s.Create(context.Background(), newExecution(tc.mutate))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.message)
		})
	}
}

func TestAPIServerRefusesABadQuantity(t *testing.T) {
	e := newExecution(nil)
	u := map[string]any{
		"apiVersion": "runlet.dev/v1alpha1", "kind": "Execution",
		"metadata": map[string]any{"name": e.Name, "namespace": "default"},
		"spec": map[string]any{"language": "python", "code": "print(1)",
			"resources": map[string]any{"memory": "lots"}},
	}
	err := createUnstructured(u)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "spec.resources.memory")
}

func TestSpecIsImmutableExceptCancel(t *testing.T) {
	ctx := context.Background()
	e := newExecution(nil)
	require.NoError(t, k8s.Create(ctx, e))

	changes := map[string]func(*runletv1.ExecutionSpec){
		"code":      func(s *runletv1.ExecutionSpec) { s.Code = "print('changed')" },
		"language":  func(s *runletv1.ExecutionSpec) { s.Language = "node" },
		"timeout":   func(s *runletv1.ExecutionSpec) { s.TimeoutSeconds = 5 },
		"add stdin": func(s *runletv1.ExecutionSpec) { s.Stdin = "new" },
		"add files": func(s *runletv1.ExecutionSpec) {
			s.Files = []runletv1.File{{Path: "x.py", Content: "x"}}
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			got := &runletv1.Execution{}
			require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(e), got))
			change(&got.Spec)
			err := k8s.Update(ctx, got)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "immutable")
		})
	}

	t.Run("cancel", func(t *testing.T) {
		got := &runletv1.Execution{}
		require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(e), got))
		got.Spec.Cancel = true
		require.NoError(t, k8s.Update(ctx, got))
		require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(e), got))
		assert.True(t, got.Spec.Cancel)

		got.Spec.Cancel = false
		err := k8s.Update(ctx, got)
		require.Error(t, err, "a cancel cannot be taken back")
		assert.Contains(t, err.Error(), "cancel cannot be unset once it is true")
	})
}

func TestALanguageRunsFilesOrACommandWithoutCode(t *testing.T) {
	ctx := context.Background()
	files := newExecution(func(s *runletv1.ExecutionSpec) {
		s.Code = ""
		s.Files = []runletv1.File{{Path: "main.py", Content: "print(1)"}}
	})
	require.NoError(t, k8s.Create(ctx, files))
	command := newExecution(func(s *runletv1.ExecutionSpec) {
		s.Code = ""
		s.Command = []string{"python3", "-c", "print(1)"}
	})
	require.NoError(t, k8s.Create(ctx, command))
}

func TestStatusPhaseNeverMovesBackwards(t *testing.T) {
	ctx := context.Background()
	e := newExecution(nil)
	require.NoError(t, k8s.Create(ctx, e))
	setPhase := func(phase runletv1.Phase) error {
		got := &runletv1.Execution{}
		require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(e), got))
		patch := client.MergeFrom(got.DeepCopy())
		got.Status.Phase = phase
		return k8s.Status().Patch(ctx, got, patch)
	}

	require.NoError(t, setPhase(runletv1.PhasePending))
	require.NoError(t, setPhase(runletv1.PhaseRunning))
	err := setPhase(runletv1.PhasePending)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "phase cannot move back from Running to Pending")

	require.NoError(t, setPhase(runletv1.PhaseSucceeded))
	for _, phase := range []runletv1.Phase{runletv1.PhasePending, runletv1.PhaseRunning,
		runletv1.PhaseFailed} {
		err := setPhase(phase)
		require.Error(t, err, phase)
		assert.Contains(t, err.Error(), "a finished Execution's phase cannot change")
	}
}
