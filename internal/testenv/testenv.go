// Package testenv starts the real kube-apiserver and etcd that integration tests run
// against, with runlet's CRD installed. The binaries come from hack/control-plane.sh
// through KUBEBUILDER_ASSETS.
package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/yaml"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// Env is a running control plane.
type Env struct {
	// Config is a cluster administrator's.
	Config *rest.Config
	// ManagerConfig is a user's that holds only the ClusterRole generated from the
	// controller's RBAC markers, so that a manager running with it shows that role is
	// enough.
	ManagerConfig *rest.Config
	Client        client.Client
	Scheme        *k8sruntime.Scheme
	env           *envtest.Environment
}

// managerUser is the user test managers run as.
const managerUser = "runlet-manager"

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Start starts kube-apiserver and etcd and installs the CRD. It fails, rather than skips,
// when the binaries are missing: `make test` builds them.
func Start() (*Env, error) {
	setLogger()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set; run the tests with `make test`, " +
			"which builds kube-apiserver and etcd into bin/k8s")
	}
	scheme := k8sruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := runletv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	managerConfig, err := addManagerUser(env, c)
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	version := "unknown"
	if dc, err := discovery.NewDiscoveryClientForConfig(cfg); err == nil {
		if v, err := dc.ServerVersion(); err == nil {
			version = v.GitVersion
		}
	}
	fmt.Printf("testenv: real kube-apiserver %s at %s\n", version, cfg.Host)
	return &Env{Config: cfg, ManagerConfig: managerConfig, Client: c, Scheme: scheme, env: env},
		nil
}

// addManagerUser installs the generated ClusterRole, binds it to the manager's user, and
// returns that user's config.
func addManagerUser(env *envtest.Environment, c client.Client) (*rest.Config, error) {
	data, err := os.ReadFile(filepath.Join(RepoRoot(), "config", "rbac", "role.yaml"))
	if err != nil {
		return nil, fmt.Errorf("read the manager's role: %w", err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal(data, role); err != nil {
		return nil, fmt.Errorf("parse the manager's role: %w", err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: managerUser}},
	}
	ctx := context.Background()
	for _, obj := range []client.Object{role, binding} {
		if err := c.Create(ctx, obj); err != nil {
			return nil, fmt.Errorf("create %s: %w", obj.GetName(), err)
		}
	}
	user, err := env.AddUser(envtest.User{Name: managerUser}, nil)
	if err != nil {
		return nil, fmt.Errorf("add the manager's user: %w", err)
	}
	return user.Config(), nil
}

// Stop stops the control plane.
func (e *Env) Stop() error {
	return e.env.Stop()
}

// setLogger sends controller-runtime's logs nowhere, or to stderr when RUNLET_TEST_LOG is
// set, so that a failing test can be read with the manager's own story.
func setLogger() {
	if os.Getenv("RUNLET_TEST_LOG") == "" {
		ctrllog.SetLogger(logr.Discard())
		return
	}
	ctrllog.SetLogger(zapr.NewLogger(zap.Must(zap.NewDevelopment())))
}
