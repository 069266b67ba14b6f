package deploy_test

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/runlet-dev/runlet/internal/presets"
)

func TestChartPassesHelmLintStrict(t *testing.T) {
	for _, args := range [][]string{nil, {"--values", nonDefaultValues}} {
		out, err := helm(t, append([]string{"lint", "--strict", chartDir}, args...)...)
		if err != nil {
			t.Errorf("helm lint --strict %v: %v\n%s", args, err, out)
		}
	}
}

func TestManagerFlagsFollowValues(t *testing.T) {
	objects := renderChart(t, "--set", "manager.maxRunning=3,manager.workers=2,"+
		"manager.outputBytes=1024,manager.killGrace=10s,manager.logFormat=console,"+
		"manager.logVerbosity=1,manager.leaderElect=false,workspace.mountPath=/data/ws,"+
		"metrics.port=9090")
	manager := container(t, podSpec(t, objects), managerName)
	want := map[string]string{
		"max-running":          "3",
		"workers":              "2",
		"output-bytes":         "1024",
		"kill-grace":           "10s",
		"log-format":           "console",
		"v":                    "1",
		"leader-elect":         "false",
		"workspace-root":       "/data/ws",
		"metrics-bind-address": ":9090",
		"languages":            "/etc/runlet/languages.yaml",
	}
	for name, value := range want {
		if got, ok := flag(manager.Args, name); !ok || got != value {
			t.Errorf("--%s is %q, want %q (args %q)", name, got, value, manager.Args)
		}
	}
	var service corev1.Service
	into(t, find(t, objects, "Service", "runlet-metrics"), &service)
	if len(service.Spec.Ports) != 1 || service.Spec.Ports[0].Port != 9090 {
		t.Errorf("the metrics Service's ports are %+v, want 9090", service.Spec.Ports)
	}
}

func TestChartWithoutLanguagesLeavesTheBuiltInPresets(t *testing.T) {
	objects := renderChart(t, "--set", "languages=null")
	if cms := ofKind(objects, "ConfigMap"); len(cms) != 0 {
		t.Errorf("rendered %v without languages", describe(cms))
	}
	pod := podSpec(t, objects)
	if value, ok := flag(container(t, pod, managerName).Args, "languages"); ok {
		t.Errorf("the manager is given --languages=%s without languages", value)
	}
	if slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool { return v.ConfigMap != nil }) {
		t.Errorf("the pod mounts a ConfigMap without languages: %+v", pod.Volumes)
	}
}

func TestWorkspaceClaimIsCreatedWithSizeAndClass(t *testing.T) {
	objects := renderChart(t, "--set", "workspace.size=50Gi,workspace.storageClass=shared-nfs,"+
		"workspace.accessModes={ReadWriteMany}")
	var claim corev1.PersistentVolumeClaim
	into(t, find(t, objects, "PersistentVolumeClaim", "runlet-workspace"), &claim)
	if size := claim.Spec.Resources.Requests.Storage().String(); size != "50Gi" {
		t.Errorf("the workspace claim asks for %s, want 50Gi", size)
	}
	if claim.Spec.StorageClassName == nil || *claim.Spec.StorageClassName != "shared-nfs" {
		t.Errorf("the workspace claim's class is %v, want shared-nfs", claim.Spec.StorageClassName)
	}
	if !slices.Equal(claim.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{"ReadWriteMany"}) {
		t.Errorf("the workspace claim's access modes are %v", claim.Spec.AccessModes)
	}
}

func TestImagesFollowValues(t *testing.T) {
	pod := podSpec(t, renderChart(t, "--set", "image.repository=acme/runlet,"+
		"image.tag=1.2.3,image.pullPolicy=Always,dind.image.repository=acme/docker,"+
		"dind.image.tag=27-dind,dind.image.pullPolicy=Never"))
	manager, daemon := container(t, pod, managerName), container(t, pod, daemonName)
	if manager.Image != "acme/runlet:1.2.3" || manager.ImagePullPolicy != "Always" {
		t.Errorf("the manager's image is %s (%s)", manager.Image, manager.ImagePullPolicy)
	}
	if daemon.Image != "acme/docker:27-dind" || daemon.ImagePullPolicy != "Never" {
		t.Errorf("the daemon's image is %s (%s)", daemon.Image, daemon.ImagePullPolicy)
	}

	defaults := podSpec(t, renderChart(t))
	if image := container(t, defaults, managerName).Image; image != "runlet.local/manager:0.1.0" {
		t.Errorf("the manager's default image is %s, want the chart's appVersion as tag", image)
	}
	if image := container(t, defaults, daemonName).Image; image != "docker:28-dind" {
		t.Errorf("the daemon's default image is %s, want docker:28-dind", image)
	}
}

func TestChartRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no running executions", []string{"--set", "manager.maxRunning=0"}, "maxRunning"},
		{"output below the manager's floor", []string{"--set", "manager.outputBytes=100"},
			"outputBytes"},
		{"unknown log format", []string{"--set", "manager.logFormat=xml"}, "logFormat"},
		{"daemon on a TCP port", []string{"--set", "dind.extraArgs={--host=tcp://0.0.0.0:2375}"},
			"extraArgs"},
		{"misspelt value", []string{"--set", "manager.maxRuning=3"}, "maxRuning"},
		{"language without a command", []string{"--set", "languages.python.command=null"},
			"command"},
		{"fsGroup other than the manager's group", []string{"--set", "podSecurityContext.fsGroup=1000"},
			"fsGroup must equal securityContext.runAsGroup"},
		{"native sidecar on Kubernetes 1.28", []string{"--kube-version", "1.28.0"},
			"dind.nativeSidecar needs Kubernetes 1.29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := templateChart(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("helm template %v: got %v, want an error about %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestPlainSidecarRendersOnKubernetes128(t *testing.T) {
	objects := renderChart(t, "--kube-version", "1.28.0", "--set", "dind.nativeSidecar=false")
	if pod := podSpec(t, objects); len(pod.InitContainers) != 0 {
		t.Errorf("init containers %+v with dind.nativeSidecar=false", pod.InitContainers)
	}
}

// The chart's and kustomize's default languages are the manager's built-in presets written
// out, so that an operator edits a full copy; both must also pass the manager's own check.
func TestDefaultLanguagesAreTheBuiltInPresets(t *testing.T) {
	values, err := os.ReadFile(repoPath(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chartValues struct {
		Languages map[string]presets.Preset `json:"languages"`
	}
	if err := yaml.Unmarshal(values, &chartValues); err != nil {
		t.Fatalf("parse values.yaml: %v", err)
	}
	chartLanguages, err := yaml.Marshal(presets.Config{Languages: chartValues.Languages})
	if err != nil {
		t.Fatal(err)
	}
	kustomizeLanguages, err := os.ReadFile(repoPath("config", "manager", "languages.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	renderedLanguages := find(t, renderChart(t), "ConfigMap", "runlet-languages")
	rendered, _, _ := unstructured.NestedString(renderedLanguages.Object, "data", "languages.yaml")

	for name, data := range map[string][]byte{
		"charts/runlet/values.yaml":       chartLanguages,
		"config/manager/languages.yaml":   kustomizeLanguages,
		"the chart's languages ConfigMap": []byte(rendered),
	} {
		cfg, err := presets.Parse(data)
		if err != nil {
			t.Errorf("%s: the manager refuses its languages: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(cfg, presets.Defaults()) {
			t.Errorf("%s: languages differ from the built-in presets:\n%+v\nwant\n%+v", name,
				cfg.Languages, presets.Defaults().Languages)
		}
	}
}
