package v1alpha1_test

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// createUnstructured sends an object as raw JSON, for values the typed API cannot hold.
func createUnstructured(obj map[string]any) error {
	return k8s.Create(context.Background(), &unstructured.Unstructured{Object: obj})
}
