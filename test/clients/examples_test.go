package clients

import (
	"os/exec"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGoExamplePrintsWhatItsProgramWrote(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	bin := buildProgram(t, "./examples/go")

	got := runProgram(t, "", bin, "--namespace", ns, "--name", "Ada")

	require.Equal(t, 0, got.exitCode, got.stderr)
	assert.Regexp(t, regexp.MustCompile(`^Hello, Ada, from Python 3\.\d+ on runlet\n$`), got.stdout)
	assert.Contains(t, got.stderr, "created execution "+ns+"/example-go-")
}

func TestPythonExamplePrintsWhatItsProgramWrote(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	python := pythonWithKubernetesClient(t)

	got := runProgram(t, "", python, "examples/python/run_execution.py",
		"--namespace", ns, "4", "8", "15", "16", "23", "42")

	require.Equal(t, 0, got.exitCode, got.stderr)
	assert.Equal(t, "mean of 6 numbers: 18\n", got.stdout)
	assert.Contains(t, got.stderr, "created execution "+ns+"/example-python-")
}

// pythonWithKubernetesClient finds a Python 3 that imports the kubernetes package, which
// hack/test-deps.sh installs as Debian's python3-kubernetes. A python3 earlier on PATH
// (a virtualenv, say) may lack it, so Debian's own interpreter is tried as well.
func pythonWithKubernetesClient(t *testing.T) string {
	t.Helper()
	for _, candidate := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(candidate, "-c", "import kubernetes").Run() == nil {
			return candidate
		}
	}
	t.Fatal("no python3 imports the kubernetes client; install it with hack/test-deps.sh")
	return ""
}
