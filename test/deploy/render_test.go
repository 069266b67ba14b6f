package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/runlet-dev/runlet/internal/testenv"
)

const (
	releaseName      = "runlet"
	releaseNamespace = "runlet-system"
	chartDir         = "charts/runlet"
	// nonDefaultValues turns on what the defaults leave off: an existing workspace claim
	// at another path, the daemon as a plain container, a ServiceMonitor.
	nonDefaultValues = "test/deploy/testdata/values-non-default.yaml"
)

// repoPath is a path in the repository, from its top directory.
func repoPath(elem ...string) string {
	return filepath.Join(append([]string{testenv.RepoRoot()}, elem...)...)
}

// helm runs bin/helm with its own empty configuration, cache and data directories, so that
// nothing on the machine changes what it renders. It returns stdout, and an error holding
// stderr when helm fails.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := repoPath("bin", "helm")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("bin/helm is missing; `make helm` (a prerequisite of `make test`) installs it: %v",
			err)
	}
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Dir = testenv.RepoRoot()
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err,
			stderr.String())
	}
	return stdout.String(), nil
}

// renderChart renders the chart as release "runlet" in runlet-system, CRDs included, with
// extra helm template arguments such as --values or --set.
func renderChart(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	out, err := templateChart(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return decodeObjects(t, out)
}

func templateChart(t *testing.T, args ...string) (string, error) {
	t.Helper()
	base := []string{"template", releaseName, chartDir, "--namespace", releaseNamespace,
		"--include-crds"}
	return helm(t, append(base, args...)...)
}

// renderKustomize builds a kustomization under config/ with kubectl's built-in kustomize.
func renderKustomize(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		kubectl = filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	}
	cmd := exec.Command(kubectl, "kustomize", repoPath("config", dir))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize config/%s: %v: %s", dir, err, stderr.String())
	}
	return decodeObjects(t, string(out))
}

// decodeObjects splits a multi-document YAML stream into objects, skipping empty documents.
func decodeObjects(t *testing.T, stream string) []*unstructured.Unstructured {
	t.Helper()
	decoder := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	var objects []*unstructured.Unstructured
	for {
		var obj map[string]any
		err := decoder.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return objects
		}
		if err != nil {
			t.Fatalf("decode rendered YAML: %v", err)
		}
		if len(obj) == 0 {
			continue
		}
		objects = append(objects, &unstructured.Unstructured{Object: obj})
	}
}

// find returns the one object of a kind and name, failing the test when there is none.
func find(t *testing.T, objects []*unstructured.Unstructured, kind,
	name string) *unstructured.Unstructured {
	t.Helper()
	for _, obj := range objects {
		if obj.GetKind() == kind && unhashed(obj.GetName()) == name {
			return obj
		}
	}
	t.Fatalf("no %s %q among the rendered objects %v", kind, name, describe(objects))
	return nil
}

// ofKind returns every object of a kind.
func ofKind(objects []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var found []*unstructured.Unstructured
	for _, obj := range objects {
		if obj.GetKind() == kind {
			found = append(found, obj)
		}
	}
	return found
}

// kustomizeHash is the content hash kustomize appends to a generated ConfigMap's name.
var kustomizeHash = regexp.MustCompile(`-[a-z0-9]{10}$`)

// unhashed drops the hash from a generated ConfigMap's name, so that kustomize's
// runlet-languages-<hash> and the chart's runlet-languages compare equal.
func unhashed(name string) string {
	if strings.HasPrefix(name, releaseName+"-languages-") {
		return kustomizeHash.ReplaceAllString(name, "")
	}
	return name
}

func describe(objects []*unstructured.Unstructured) []string {
	names := make([]string, 0, len(objects))
	for _, obj := range objects {
		names = append(names, obj.GetKind()+"/"+obj.GetName())
	}
	return names
}

// into converts a rendered object to its typed form.
func into(t *testing.T, obj *unstructured.Unstructured, typed any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, typed); err != nil {
		t.Fatalf("convert %s/%s: %v", obj.GetKind(), obj.GetName(), err)
	}
}

// rendering is one way of producing runlet's deployment.
type rendering struct {
	name   string
	render func(t *testing.T) []*unstructured.Unstructured
}

// renderings are the deployments every shape test checks: the chart's defaults, the chart
// with what the defaults leave off, and the kustomize default overlay.
func renderings() []rendering {
	return []rendering{
		{"chart with default values", func(t *testing.T) []*unstructured.Unstructured {
			return renderChart(t)
		}},
		{"chart with non-default values", func(t *testing.T) []*unstructured.Unstructured {
			return renderChart(t, "--values", nonDefaultValues)
		}},
		{"kustomize default overlay", func(t *testing.T) []*unstructured.Unstructured {
			return renderKustomize(t, "default")
		}},
	}
}
