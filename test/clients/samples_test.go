package clients

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

// The annotations a sample states its expected ending with, for this test and for demos.
const (
	expectAnnotation         = "runlet.dev/expect"
	expectExitCodeAnnotation = "runlet.dev/expect-exit-code"
	expectStdoutAnnotation   = "runlet.dev/expect-stdout"
)

func TestSamplesEndAsTheirAnnotationsSay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "samples",
		"runlet_v1alpha1_execution_*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	ns := newNamespace(t)

	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			sample := readSample(t, file)
			want := sample.Annotations[expectAnnotation]
			require.NotEmpty(t, want, "the sample says how it ends in %s", expectAnnotation)

			sample.Namespace = ns
			require.NoError(t, env.Client.Create(context.Background(), sample))
			got := waitFinished(t, client.ObjectKeyFromObject(sample))

			st := got.Status
			assert.Equal(t, want, fmt.Sprintf("%s/%s", st.Phase, st.Reason), st.Message)
			if code, ok := sample.Annotations[expectExitCodeAnnotation]; ok {
				require.NotNil(t, st.ExitCode)
				assert.Equal(t, code, fmt.Sprint(*st.ExitCode))
			}
			if out, ok := sample.Annotations[expectStdoutAnnotation]; ok {
				assert.Contains(t, st.Stdout, out)
			}
		})
	}
}

// readSample decodes a sample strictly, so that a misspelt field fails here rather than
// being dropped by the API server.
func readSample(t *testing.T, file string) *runletv1.Execution {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	sample := &runletv1.Execution{}
	require.NoError(t, yaml.UnmarshalStrict(data, sample))
	require.Equal(t, "Execution", sample.Kind)
	require.Equal(t, runletv1.GroupVersion.String(), sample.APIVersion)
	require.True(t, strings.HasPrefix(filepath.Base(file), "runlet_v1alpha1_execution_"))
	return sample
}
