package v1alpha1_test

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// kubectlTimeout bounds one kubectl run, so that a hang fails the test.
const kubectlTimeout = 30 * time.Second

// openAPIWait bounds the wait for the API server to publish the CRD's schema, which it does
// a moment after the CRD is established.
const openAPIWait = time.Minute

func TestKubectlGetShowsThePrinterColumns(t *testing.T) {
	ctx := context.Background()
	kubeconfig := writeKubeconfig(t)
	ns := newNamespace(t)
	e := newExecution(func(s *runletv1.ExecutionSpec) {
		s.Language = "node"
		s.Code = "console.log(1)"
	})
	e.Namespace = ns
	require.NoError(t, k8s.Create(ctx, e))

	header, rows := kubectlTable(t, kubeconfig, "get", "executions", "--namespace", ns)
	assert.Equal(t, []string{"NAME", "PHASE", "REASON", "EXIT", "LANGUAGE", "DURATION", "AGE"},
		header)
	require.Len(t, rows, 1)
	assert.Regexp(t, `^[0-9]+s$`, rows[0]["AGE"])
	assert.Equal(t, map[string]string{
		"NAME": e.Name, "PHASE": "", "REASON": "", "EXIT": "",
		"LANGUAGE": "node", "DURATION": "", "AGE": rows[0]["AGE"],
	}, rows[0], "a new Execution shows its language and no outcome yet")

	e.Status = runletv1.ExecutionStatus{
		Phase:    runletv1.PhaseFailed,
		Reason:   runletv1.ReasonError,
		ExitCode: ptr.To[int32](3),
		Duration: "1.52s",
	}
	require.NoError(t, k8s.Status().Update(ctx, e))

	_, rows = kubectlTable(t, kubeconfig, "get", "executions", "--namespace", ns)
	require.Len(t, rows, 1)
	assert.Equal(t, map[string]string{
		"NAME": e.Name, "PHASE": "Failed", "REASON": "Error", "EXIT": "3",
		"LANGUAGE": "node", "DURATION": "1.52s", "AGE": rows[0]["AGE"],
	}, rows[0], "the status set through the status subresource shows in its columns")
}

func TestKubectlExplainShowsTheFieldDocs(t *testing.T) {
	kubeconfig := writeKubeconfig(t)

	spec := explainOnceServed(t, kubeconfig, "execution.spec")
	for _, name := range jsonNames(reflect.TypeFor[runletv1.ExecutionSpec]()) {
		assert.Regexp(t, `(?m)^\s+`+regexp.QuoteMeta(name)+`\s+<`, spec,
			"kubectl explain execution.spec does not list %s", name)
	}
	docs := specFieldDocs(t)
	for name, doc := range docs {
		assert.Contains(t, oneLine(spec), doc, "the doc of spec.%s is missing", name)
	}

	timeout := oneLine(kubectl(t, kubeconfig, "explain", "execution.spec.timeoutSeconds"))
	assert.Contains(t, timeout, "FIELD: timeoutSeconds <integer>")
	assert.Contains(t, timeout, docs["timeoutSeconds"])
	assert.Contains(t, timeout, fmt.Sprintf("Default %d, from 1 to %d.",
		runletv1.DefaultTimeoutSeconds, runletv1.MaxTimeoutSeconds))
}

// writeKubeconfig writes a kubeconfig for the control plane into a directory of the test.
func writeKubeconfig(t *testing.T) string {
	t.Helper()
	path, err := controlPlane.WriteKubeconfig(t.TempDir())
	require.NoError(t, err)
	return path
}

// newNamespace creates a namespace of the test's own, so that kubectl lists only the
// test's Executions.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "kubectl-"}}
	require.NoError(t, k8s.Create(context.Background(), ns))
	return ns.Name
}

// kubectl runs the real kubectl against the control plane and returns its standard output.
func kubectl(t *testing.T, kubeconfig string, args ...string) string {
	t.Helper()
	out, err := runKubectl(t, kubeconfig, args...)
	require.NoError(t, err)
	return out
}

// runKubectl runs kubectl and returns its standard output, or an error that holds its
// standard error. It fails the test when kubectl is not installed. Each run gets an empty
// cache directory, so that no run reads discovery or schemas that an earlier control plane
// on the same port, or an earlier run, left behind.
func runKubectl(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl is needed on PATH to check what users see")

	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	base := []string{"--kubeconfig", kubeconfig, "--cache-dir", t.TempDir()}
	cmd := exec.CommandContext(ctx, path, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s",
			strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// explainOnceServed runs kubectl explain until it succeeds: the API server publishes a new
// CRD's schema a moment after the CRD is established.
func explainOnceServed(t *testing.T, kubeconfig, field string) string {
	t.Helper()
	deadline := time.Now().Add(openAPIWait)
	for tries := 1; ; tries++ {
		out, err := runKubectl(t, kubeconfig, "explain", field)
		if err == nil {
			t.Logf("kubectl explain %s succeeded on try %d", field, tries)
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubectl explain %s did not succeed within %s: %v", field, openAPIWait, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// kubectlTable runs kubectl and splits its table into the header and one map per row, keyed
// by column name. Cells are cut where the header's names start, as kubectl aligns them, so
// that an empty cell stays empty instead of shifting the cells after it.
func kubectlTable(t *testing.T, kubeconfig string, args ...string) (
	header []string, rows []map[string]string) {
	t.Helper()
	out := kubectl(t, kubeconfig, args...)
	t.Logf("kubectl %s:\n%s", strings.Join(args, " "), out)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.NotEmpty(t, lines)

	var starts []int
	for i := range len(lines[0]) {
		if lines[0][i] != ' ' && (i == 0 || lines[0][i-1] == ' ') {
			starts = append(starts, i)
		}
	}
	for i := range starts {
		header = append(header, strings.TrimSpace(cell(lines[0], starts, i)))
	}

	for _, line := range lines[1:] {
		row := map[string]string{}
		for i, name := range header {
			row[name] = strings.TrimSpace(cell(line, starts, i))
		}
		rows = append(rows, row)
	}
	return header, rows
}

// cell is the part of line from column i's start to the next column's start.
func cell(line string, starts []int, i int) string {
	from, to := starts[i], len(line)
	if i+1 < len(starts) {
		to = starts[i+1]
	}
	if from >= len(line) {
		return ""
	}
	return line[from:min(to, len(line))]
}

// jsonNames lists the json names of a struct's fields.
func jsonNames(typ reflect.Type) []string {
	var names []string
	for field := range typ.Fields() {
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name != "" {
			names = append(names, name)
		}
	}
	return names
}

// specFieldDocs reads the doc comments of ExecutionSpec's fields from execution_types.go,
// without their markers, keyed by json name and joined into one line.
func specFieldDocs(t *testing.T) map[string]string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "execution_types.go", nil,
		parser.ParseComments)
	require.NoError(t, err)
	var spec *ast.StructType
	ast.Inspect(file, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.Name == "ExecutionSpec" {
			spec, _ = ts.Type.(*ast.StructType)
		}
		return spec == nil
	})
	require.NotNil(t, spec, "ExecutionSpec is not a struct in execution_types.go")

	docs := map[string]string{}
	for _, field := range spec.Fields.List {
		require.NotNil(t, field.Tag, "a field of ExecutionSpec has no json tag")
		tag := reflect.StructTag(strings.Trim(field.Tag.Value, "`"))
		name, _, _ := strings.Cut(tag.Get("json"), ",")
		var lines []string
		for _, line := range strings.Split(field.Doc.Text(), "\n") {
			if !strings.HasPrefix(line, "+") {
				lines = append(lines, line)
			}
		}
		docs[name] = oneLine(strings.Join(lines, " "))
		require.NotEmpty(t, docs[name], "spec.%s has no doc comment", name)
	}
	return docs
}

// oneLine joins text's words with single spaces, so that text compares equal however
// kubectl wraps and indents it.
func oneLine(text string) string {
	return strings.Join(strings.Fields(text), " ")
}
