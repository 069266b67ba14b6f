package deploy_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// dryRunApplier has the API server take objects through a server-side apply with
// dryRun=All and strict field validation: schema, admission, defaulting and CEL rules all
// run, and nothing is stored.
type dryRunApplier struct {
	mapper  meta.RESTMapper
	dynamic *dynamic.DynamicClient
}

func newDryRunApplier(t *testing.T) *dryRunApplier {
	t.Helper()
	httpClient, err := rest.HTTPClientFor(controlPlane.Config)
	if err != nil {
		t.Fatalf("create HTTP client: %v", err)
	}
	mapper, err := apiutil.NewDynamicRESTMapper(controlPlane.Config, httpClient)
	if err != nil {
		t.Fatalf("create REST mapper: %v", err)
	}
	dyn, err := dynamic.NewForConfigAndClient(controlPlane.Config, httpClient)
	if err != nil {
		t.Fatalf("create dynamic client: %v", err)
	}
	return &dryRunApplier{mapper: mapper, dynamic: dyn}
}

func (a *dryRunApplier) apply(ctx context.Context, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	var resource dynamic.ResourceInterface = a.dynamic.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		resource = a.dynamic.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = resource.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
		DryRun:          []string{metav1.DryRunAll},
		FieldManager:    "runlet-deploy-test",
		Force:           ptr.To(true),
		FieldValidation: metav1.FieldValidationStrict,
	})
	return err
}

// requireAccepted dry-run applies every object and checks that each namespaced one is in
// the release's namespace, so that applying the rendering puts nothing elsewhere.
func requireAccepted(t *testing.T, objects []*unstructured.Unstructured) {
	t.Helper()
	if len(objects) == 0 {
		t.Fatal("nothing was rendered")
	}
	applier := newDryRunApplier(t)
	accepted := 0
	for _, obj := range objects {
		if err := applier.apply(t.Context(), obj); err != nil {
			t.Errorf("the API server refused %s %q: %v", obj.GetKind(), obj.GetName(), err)
			continue
		}
		accepted++
		namespaced, err := applier.mapper.RESTMapping(obj.GroupVersionKind().GroupKind(),
			obj.GroupVersionKind().Version)
		if err == nil && namespaced.Scope.Name() == meta.RESTScopeNameNamespace &&
			obj.GetNamespace() != releaseNamespace {
			t.Errorf("%s %q is in namespace %q, not %q", obj.GetKind(), obj.GetName(),
				obj.GetNamespace(), releaseNamespace)
		}
	}
	t.Logf("the API server accepted %d of %d objects: %v", accepted, len(objects),
		describe(objects))
}

func TestDryRunApplyRejectsAnUnknownField(t *testing.T) {
	objects := renderChart(t)
	deployment := find(t, objects, "Deployment", "runlet-manager")
	err := unstructured.SetNestedField(deployment.Object, int64(2), "spec", "replicaz")
	if err != nil {
		t.Fatal(err)
	}
	err = newDryRunApplier(t).apply(t.Context(), deployment)
	if err == nil || !strings.Contains(err.Error(), "replicaz") {
		t.Fatalf("a Deployment with spec.replicaz was not refused for it: %v", err)
	}
}

func TestChartWithDefaultValuesIsAcceptedByTheAPIServer(t *testing.T) {
	requireAccepted(t, renderChart(t))
}

func TestChartWithNonDefaultValuesIsAcceptedByTheAPIServer(t *testing.T) {
	installServiceMonitorCRD(t)
	objects := renderChart(t, "--values", nonDefaultValues)
	find(t, objects, "ServiceMonitor", "runlet-manager")
	requireAccepted(t, objects)
}

func TestKustomizeDefaultIsAcceptedByTheAPIServer(t *testing.T) {
	requireAccepted(t, renderKustomize(t, "default"))
}

// notesManifest is the Execution that NOTES.txt tells a user to apply: the indented lines
// of its here-document.
var notesManifest = regexp.MustCompile(`(?s)<<'MANIFEST'\n(.*?)\n\s*MANIFEST\n`)

func TestNotesFirstExecutionIsAcceptedByTheAPIServer(t *testing.T) {
	notes, err := os.ReadFile(repoPath(chartDir, "templates", "NOTES.txt"))
	if err != nil {
		t.Fatal(err)
	}
	match := notesManifest.FindSubmatch(notes)
	if match == nil {
		t.Fatal("NOTES.txt has no manifest between <<'MANIFEST' and MANIFEST")
	}
	if strings.Contains(string(match[1]), "{{") {
		t.Fatal("the NOTES.txt manifest holds template actions; it must read as it is applied")
	}
	var lines []string
	for _, line := range strings.Split(string(match[1]), "\n") {
		lines = append(lines, strings.TrimPrefix(line, "  "))
	}
	objects := decodeObjects(t, strings.Join(lines, "\n"))
	if len(objects) != 1 || objects[0].GetKind() != "Execution" {
		t.Fatalf("the NOTES.txt manifest is %v, not one Execution", describe(objects))
	}
	objects[0].SetNamespace("default")
	if err := newDryRunApplier(t).apply(t.Context(), objects[0]); err != nil {
		t.Fatalf("the API server refused the NOTES.txt Execution: %v", err)
	}
	if !strings.Contains(string(notes), "kubectl get executions") {
		t.Error("NOTES.txt does not show `kubectl get executions`")
	}
}

// installServiceMonitorCRD installs the stand-in ServiceMonitor CRD from testdata and waits
// until the API server serves it.
func installServiceMonitorCRD(t *testing.T) {
	t.Helper()
	_, err := envtest.InstallCRDs(controlPlane.Config, envtest.CRDInstallOptions{
		Paths:              []string{"testdata/servicemonitor-crd.yaml"},
		ErrorIfPathMissing: true,
	})
	if err != nil {
		t.Fatalf("install the ServiceMonitor CRD: %v", err)
	}
}

// config/samples/kustomization.yaml lists every sample, and the API server takes each one,
// so `kubectl apply -k config/samples` applies them all.
func TestSamplesKustomizationListsEverySampleAndEachIsAccepted(t *testing.T) {
	files, err := filepath.Glob(repoPath("config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(repoPath("config", "samples", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var kustomization struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &kustomization); err != nil {
		t.Fatalf("parse config/samples/kustomization.yaml: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		if name != "kustomization.yaml" && !slices.Contains(kustomization.Resources, name) {
			t.Errorf("config/samples/kustomization.yaml does not list %s", name)
		}
	}

	applier := newDryRunApplier(t)
	samples := renderKustomize(t, "samples")
	for _, obj := range samples {
		if obj.GetNamespace() == "" {
			obj.SetNamespace("default")
		}
		if err := applier.apply(t.Context(), obj); err != nil {
			t.Errorf("the API server refused sample %s %q: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
	t.Logf("checked %d samples", len(samples))
}
