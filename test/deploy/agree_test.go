package deploy_test

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/diff"
)

// The chart with its default values and the kustomize default overlay describe the same
// deployment: the same objects under the same names, and the same pod, rules, claim,
// Service and CRD. Labels and annotations are each tool's own and are not compared. The
// Namespace is kustomize's alone: Helm takes it from --namespace.
func TestChartAndKustomizeRenderTheSameDeployment(t *testing.T) {
	chart := renderChart(t)
	kustomize := renderKustomize(t, "default")

	var kustomizeObjects []*unstructured.Unstructured
	for _, obj := range kustomize {
		if obj.GetKind() != "Namespace" {
			kustomizeObjects = append(kustomizeObjects, obj)
		}
	}
	if got, want := sortedNames(kustomizeObjects), sortedNames(chart); !slices.Equal(got, want) {
		t.Fatalf("kustomize renders\n  %v\nthe chart renders\n  %v", got, want)
	}

	t.Run("Deployment", func(t *testing.T) {
		var fromChart, fromKustomize appsv1.Deployment
		into(t, find(t, chart, "Deployment", "runlet-manager"), &fromChart)
		into(t, find(t, kustomize, "Deployment", "runlet-manager"), &fromKustomize)
		// kustomize names the ConfigMap after its content; the chart rolls the pod with a
		// checksum annotation instead.
		for i, v := range fromKustomize.Spec.Template.Spec.Volumes {
			if v.ConfigMap != nil {
				fromKustomize.Spec.Template.Spec.Volumes[i].ConfigMap.Name = unhashed(v.ConfigMap.Name)
			}
		}
		requireSame(t, "replicas", fromChart.Spec.Replicas, fromKustomize.Spec.Replicas)
		requireSame(t, "strategy", fromChart.Spec.Strategy, fromKustomize.Spec.Strategy)
		requireSame(t, "pod spec", fromChart.Spec.Template.Spec, fromKustomize.Spec.Template.Spec)
	})

	t.Run("RBAC", func(t *testing.T) {
		for _, kind := range []string{"ClusterRole", "Role"} {
			for _, obj := range ofKind(chart, kind) {
				var fromChart, fromKustomize rbacv1.ClusterRole
				into(t, obj, &fromChart)
				into(t, find(t, kustomize, kind, obj.GetName()), &fromKustomize)
				requireSame(t, kind+" "+obj.GetName()+" grants", grants(t, fromChart.Rules),
					grants(t, fromKustomize.Rules))
			}
		}
		for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
			for _, obj := range ofKind(chart, kind) {
				var fromChart, fromKustomize rbacv1.RoleBinding
				into(t, obj, &fromChart)
				into(t, find(t, kustomize, kind, obj.GetName()), &fromKustomize)
				requireSame(t, kind+" "+obj.GetName()+" role", fromChart.RoleRef, fromKustomize.RoleRef)
				requireSame(t, kind+" "+obj.GetName()+" subjects", fromChart.Subjects,
					fromKustomize.Subjects)
			}
		}
	})

	t.Run("workspace claim", func(t *testing.T) {
		var fromChart, fromKustomize corev1.PersistentVolumeClaim
		into(t, find(t, chart, "PersistentVolumeClaim", "runlet-workspace"), &fromChart)
		into(t, find(t, kustomize, "PersistentVolumeClaim", "runlet-workspace"), &fromKustomize)
		requireSame(t, "claim spec", fromChart.Spec, fromKustomize.Spec)
	})

	t.Run("metrics Service", func(t *testing.T) {
		var fromChart, fromKustomize corev1.Service
		into(t, find(t, chart, "Service", "runlet-metrics"), &fromChart)
		into(t, find(t, kustomize, "Service", "runlet-metrics"), &fromKustomize)
		requireSame(t, "Service type", fromChart.Spec.Type, fromKustomize.Spec.Type)
		requireSame(t, "Service ports", fromChart.Spec.Ports, fromKustomize.Spec.Ports)
		// Each selects the pod by its own labels; both must select the Deployment's pod.
		for name, objects := range map[string][]*unstructured.Unstructured{
			"chart": chart, "kustomize": kustomize,
		} {
			var service corev1.Service
			into(t, find(t, objects, "Service", "runlet-metrics"), &service)
			labels := deployment(t, objects).Spec.Template.Labels
			for key, value := range service.Spec.Selector {
				if labels[key] != value {
					t.Errorf("%s: the metrics Service selects %s=%s, which the pod lacks", name,
						key, value)
				}
			}
		}
	})

	t.Run("CRD", func(t *testing.T) {
		var fromChart, fromKustomize apiextensionsv1.CustomResourceDefinition
		into(t, find(t, chart, "CustomResourceDefinition", "executions.runlet.dev"), &fromChart)
		into(t, find(t, kustomize, "CustomResourceDefinition", "executions.runlet.dev"),
			&fromKustomize)
		requireSame(t, "CRD spec", fromChart.Spec, fromKustomize.Spec)
	})
}

func sortedNames(objects []*unstructured.Unstructured) []string {
	names := make([]string, 0, len(objects))
	for _, obj := range objects {
		names = append(names, obj.GetKind()+"/"+unhashed(obj.GetName()))
	}
	slices.Sort(names)
	return names
}

// requireSame compares semantically, so that an absent list equals an empty one and 1000m
// equals 1, the way the API server sees them.
func requireSame(t *testing.T, what string, fromChart, fromKustomize any) {
	t.Helper()
	if !equality.Semantic.DeepEqual(fromChart, fromKustomize) {
		t.Errorf("%s: the chart and kustomize differ (- chart, + kustomize):\n%s", what,
			diff.Diff(fromChart, fromKustomize))
	}
}
