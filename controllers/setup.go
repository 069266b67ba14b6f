package controllers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	"github.com/runlet-dev/runlet/internal/docker"
	"github.com/runlet-dev/runlet/internal/presets"
	"github.com/runlet-dev/runlet/internal/workspace"
)

// Config is what a manager needs to run Executions.
type Config struct {
	Runtime     docker.Runtime
	Presets     presets.Config
	Layout      workspace.Layout
	MaxRunning  int
	Workers     int
	OutputBytes int
	KillGrace   time.Duration
	Retry       time.Duration
	// Namespaces limits the manager to these namespaces; empty means all.
	Namespaces []string
	Metrics    prometheus.Registerer
	Log        logr.Logger
}

// Setup adds the Execution controller and the start-up sweep to mgr.
func Setup(mgr ctrl.Manager, cfg Config) error {
	reconciler := &ExecutionReconciler{
		Client:      mgr.GetClient(),
		APIReader:   mgr.GetAPIReader(),
		Runtime:     cfg.Runtime,
		Presets:     cfg.Presets,
		Layout:      cfg.Layout,
		Admission:   NewAdmission(cfg.MaxRunning),
		Recorder:    mgr.GetEventRecorder("runlet"),
		Metrics:     NewMetrics(cfg.Metrics),
		OutputBytes: cfg.OutputBytes,
		KillGrace:   cfg.KillGrace,
		Retry:       cfg.Retry,
		Namespaces:  cfg.Namespaces,
	}
	if err := reconciler.SetupWithManager(mgr, cfg.Workers); err != nil {
		return fmt.Errorf("set up controller: %w", err)
	}
	sweep := &Sweep{Reader: mgr.GetAPIReader(), Runtime: cfg.Runtime, Layout: cfg.Layout,
		Log: cfg.Log.WithName("sweep"), Namespaces: cfg.Namespaces}
	if err := mgr.Add(sweep); err != nil {
		return fmt.Errorf("add sweep: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("add health check: %w", err)
	}
	// Readiness follows the daemon: while it does not answer, no Execution can start, and
	// a Service or a rollout should know.
	daemonAnswers := func(req *http.Request) error { return cfg.Runtime.Ping(req.Context()) }
	if err := mgr.AddReadyzCheck("docker", daemonAnswers); err != nil {
		return fmt.Errorf("add readiness check: %w", err)
	}
	return nil
}

// CacheOptions limits a manager's cache to namespaces; none means the whole cluster.
func CacheOptions(namespaces []string) cache.Options {
	if len(namespaces) == 0 {
		return cache.Options{}
	}
	byName := map[string]cache.Config{}
	for _, ns := range namespaces {
		byName[ns] = cache.Config{}
	}
	return cache.Options{DefaultNamespaces: byName}
}
