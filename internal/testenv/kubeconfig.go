package testenv

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// WriteKubeconfig writes a kubeconfig for a cluster administrator of the control plane
// into dir and returns its path, so that programs outside the test process (kubectl, the
// plugin, the examples) can reach the API server.
func (e *Env) WriteKubeconfig(dir string) (string, error) {
	user, err := e.env.AddUser(envtest.User{Name: "runlet-test-admin",
		Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", fmt.Errorf("add control plane user: %w", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("write kubeconfig: %w", err)
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("write kubeconfig: %w", err)
	}
	return path, nil
}
