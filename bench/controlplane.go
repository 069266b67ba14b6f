package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

// managerUser is the user the manager process signs in as, so that the audit log tells
// its writes from the benchmark's own.
const managerUser = "runlet-manager"

// auditPolicy records every write at the Metadata level, once it completed, and nothing
// else.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
`

// controlPlane is a real kube-apiserver and etcd with runlet's CRD and an audit log.
type controlPlane struct {
	env        *envtest.Environment
	client     client.WithWatch
	kubeconfig string
	auditLog   string
	version    string
}

// startControlPlane starts kube-apiserver and etcd from KUBEBUILDER_ASSETS with an audit
// log in dir, and provisions the manager's user with a kubeconfig file in dir.
func startControlPlane(dir string) (*controlPlane, error) {
	ctrllog.SetLogger(logr.Discard())
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set; run `make bench`, which builds " +
			"kube-apiserver and etcd into bin/k8s")
	}
	scheme := k8sruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := runletv1.AddToScheme(scheme); err != nil {
		return nil, err
	}

	p := &controlPlane{auditLog: filepath.Join(dir, "audit.log")}
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
		return nil, fmt.Errorf("write audit policy: %w", err)
	}
	p.env = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(testenv.RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
		// A loaded machine can take a while to stop kube-apiserver.
		ControlPlaneStopTimeout: time.Minute,
	}
	p.env.ControlPlane.GetAPIServer().Configure().
		Append("audit-log-path", p.auditLog).
		Append("audit-policy-file", policy)
	cfg, err := p.env.Start()
	if err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}

	ok := false
	defer func() {
		if !ok {
			_ = p.env.Stop()
		}
	}()
	if p.client, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme}); err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}
	admin := envtest.User{Name: managerUser, Groups: []string{"system:masters"}}
	user, err := p.env.AddUser(admin, nil)
	if err != nil {
		return nil, fmt.Errorf("add manager user: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return nil, fmt.Errorf("manager kubeconfig: %w", err)
	}
	p.kubeconfig = filepath.Join(dir, "manager.kubeconfig")
	if err := os.WriteFile(p.kubeconfig, kubeconfig, 0o600); err != nil {
		return nil, fmt.Errorf("write manager kubeconfig: %w", err)
	}
	p.version = "unknown"
	if dc, err := discovery.NewDiscoveryClientForConfig(cfg); err == nil {
		if v, err := dc.ServerVersion(); err == nil {
			p.version = v.GitVersion
		}
	}
	ok = true
	return p, nil
}

func (p *controlPlane) stop() error {
	if err := p.env.Stop(); err != nil {
		return fmt.Errorf("stop control plane: %w", err)
	}
	return nil
}
