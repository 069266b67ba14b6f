package testenv

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/runlet-dev/runlet/controllers"
	"github.com/runlet-dev/runlet/internal/docker"
	"github.com/runlet-dev/runlet/internal/presets"
	"github.com/runlet-dev/runlet/internal/workspace"
)

// ManagerOptions configure a manager started in a test.
type ManagerOptions struct {
	// WorkspaceRoot is the workspace volume; required.
	WorkspaceRoot string
	// MaxRunning is the cap on running containers; default 8.
	MaxRunning int
	// OutputBytes is the kept output per stream; default 16 KiB.
	OutputBytes int
	// KillGrace defaults to 2 s.
	KillGrace time.Duration
	// Languages defaults to LocalLanguages().
	Languages *presets.Config
	// Log defaults to a discarding logger.
	Log logr.Logger
	// Metrics receives the manager's metrics; nil means a registry nobody reads.
	Metrics *prometheus.Registry
	// DockerHost is the daemon address; empty means DOCKER_HOST or the default socket.
	DockerHost string
	// Namespaces limits the manager to these namespaces, so that several managers can
	// share one control plane and daemon; required.
	Namespaces []string
	// HealthProbeAddress serves /healthz and /readyz when set; empty turns them off.
	HealthProbeAddress string
}

// Image returns the local image named by an environment variable from hack/images.env,
// or the default tag.
func Image(envVar, fallback string) string {
	if v := os.Getenv(envVar); v != "" {
		return v
	}
	return fallback
}

// Local image names, as hack/images.env gives them.
var (
	PythonImage  = Image("RUNLET_IMAGE_PYTHON", "runlet.local/python:3.11-bookworm")
	NodeImage    = Image("RUNLET_IMAGE_NODE", "runlet.local/node:18-bookworm")
	BusyboxImage = Image("RUNLET_IMAGE_BUSYBOX", "runlet.local/busybox:1.35-static")
)

// LocalLanguages points the presets at the images hack/images.sh builds.
func LocalLanguages() presets.Config {
	cfg := presets.Defaults()
	set := func(name, image string) {
		p := cfg.Languages[name]
		p.Image = image
		cfg.Languages[name] = p
	}
	set("python", PythonImage)
	set("node", NodeImage)
	set("bash", PythonImage)
	set("sh", BusyboxImage)
	delete(cfg.Languages, "ruby")
	delete(cfg.Languages, "go")
	return cfg
}

// StartManager runs runlet's manager in this process against env and the host's Docker
// daemon, until stop is called. It runs as a user that holds only the manager's generated
// ClusterRole.
func StartManager(env *Env, opts ManagerOptions) (stop func(), err error) {
	if opts.WorkspaceRoot == "" {
		return nil, fmt.Errorf("WorkspaceRoot is required")
	}
	if len(opts.Namespaces) == 0 {
		// Test packages run side by side on one daemon; a manager that looked after every
		// namespace would sweep away the containers of other packages' control planes.
		return nil, fmt.Errorf("Namespaces is required: the Docker daemon is shared between tests")
	}
	if opts.MaxRunning == 0 {
		opts.MaxRunning = 8
	}
	if opts.OutputBytes == 0 {
		opts.OutputBytes = 16384
	}
	if opts.KillGrace == 0 {
		opts.KillGrace = 2 * time.Second
	}
	languages := LocalLanguages()
	if opts.Languages != nil {
		languages = *opts.Languages
	}
	if opts.Metrics == nil {
		opts.Metrics = prometheus.NewRegistry()
	}
	if opts.Log.GetSink() == nil {
		opts.Log = logr.Discard()
	}

	runtime, err := docker.New(opts.DockerHost, docker.Options{Log: opts.Log.WithName("docker")})
	if err != nil {
		return nil, err
	}
	if opts.HealthProbeAddress == "" {
		opts.HealthProbeAddress = "0"
	}
	skipNameValidation := true
	mgr, err := ctrl.NewManager(env.ManagerConfig, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: opts.HealthProbeAddress,
		Logger:                 opts.Log,
		Controller:             ctrlConfig(skipNameValidation),
		Cache:                  controllers.CacheOptions(opts.Namespaces),
	})
	if err != nil {
		return nil, err
	}
	err = controllers.Setup(mgr, controllers.Config{
		Runtime:     runtime,
		Presets:     languages,
		Layout:      workspace.Layout{Root: opts.WorkspaceRoot},
		MaxRunning:  opts.MaxRunning,
		Workers:     4,
		OutputBytes: opts.OutputBytes,
		KillGrace:   opts.KillGrace,
		Retry:       time.Second,
		Namespaces:  opts.Namespaces,
		Metrics:     opts.Metrics,
		Log:         opts.Log,
	})
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return func() {
		cancel()
		<-done
	}, nil
}

// ctrlConfig lets several managers in one test binary register the same controller name.
func ctrlConfig(skipNameValidation bool) config.Controller {
	return config.Controller{SkipNameValidation: &skipNameValidation}
}
