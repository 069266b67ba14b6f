// Package deploy_test checks runlet's deployment: the Helm chart in charts/runlet and the
// kustomize bases in config/. It renders both with the real tools (bin/helm, kubectl's
// kustomize), has a real kube-apiserver take every rendered object through a server-side
// dry-run apply, and checks that the two renderings describe the same manager.
package deploy_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/runlet-dev/runlet/internal/testenv"
)

// controlPlane is the API server every test in the package shares; starting one takes
// seconds, so TestMain starts it once.
var controlPlane *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}()
	controlPlane = env

	// Namespaced objects are only admitted into a namespace that exists.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: releaseNamespace}}
	err = env.Client.Create(context.Background(), ns)
	if err != nil && !apierrors.IsAlreadyExists(err) {
		fmt.Fprintln(os.Stderr, "create namespace:", err)
		return 1
	}
	return m.Run()
}
