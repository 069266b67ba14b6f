// Command manager runs the runlet controller: it watches Executions and runs each one as a
// container on a Docker daemon.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/controllers"
	"github.com/runlet-dev/runlet/internal/docker"
	"github.com/runlet-dev/runlet/internal/presets"
	"github.com/runlet-dev/runlet/internal/workspace"
)

// options are the manager's command-line flags.
type options struct {
	dockerHost      string
	workspaceRoot   string
	maxRunning      int
	workers         int
	languagesFile   string
	outputBytes     int
	killGrace       time.Duration
	metricsAddr     string
	probeAddr       string
	leaderElect     bool
	leaderElectNS   string
	namespaces      []string
	logFormat       string
	logVerbosity    int
	daemonRetryTime time.Duration
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.StringVar(&o.dockerHost, "docker-host", os.Getenv("DOCKER_HOST"),
		"Docker daemon address; empty means DOCKER_HOST or unix:///var/run/docker.sock.")
	fs.StringVar(&o.workspaceRoot, "workspace-root", "/workspaces",
		"Workspace volume root, mounted at the same path in the manager and the daemon.")
	fs.IntVar(&o.maxRunning, "max-running", 8,
		"Most execution containers running at once; the rest wait as Pending/Queued.")
	fs.IntVar(&o.workers, "workers", 16,
		"Executions reconciled in parallel; keep it about twice --max-running, since starting "+
			"and removing containers happens inside a worker.")
	fs.StringVar(&o.languagesFile, "languages", "",
		"Languages config file (YAML); empty uses the built-in presets on public images.")
	fs.IntVar(&o.outputBytes, "output-bytes", 16384,
		"Bytes of each output stream kept in status: the first and last half.")
	fs.DurationVar(&o.killGrace, "kill-grace", 3*time.Second,
		"Time between SIGTERM and SIGKILL when a program is stopped.")
	fs.DurationVar(&o.daemonRetryTime, "daemon-retry", 5*time.Second,
		"How often to try again while the Docker daemon does not answer.")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080",
		"Address of the Prometheus metrics endpoint; 0 turns it off.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081",
		"Address of the /healthz and /readyz endpoints.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false,
		"Elect a leader so that only one manager runs Executions.")
	fs.StringVar(&o.leaderElectNS, "leader-election-namespace", "",
		"Namespace of the leader election lease; empty means the manager's own.")
	fs.Func("namespaces", "Comma-separated namespaces to look after; empty means all. Containers "+
		"of other namespaces on the same daemon are left alone.", func(v string) error {
		o.namespaces = splitList(v)
		return nil
	})
	fs.StringVar(&o.logFormat, "log-format", "json", "Log format: json or console.")
	fs.IntVar(&o.logVerbosity, "v", 0, "Log verbosity; 1 adds per-pass detail.")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.maxRunning < 1:
		return o, fmt.Errorf("--max-running must be at least 1")
	case o.outputBytes < 256 || o.outputBytes > 262144:
		return o, fmt.Errorf("--output-bytes must be between 256 and 262144")
	case o.logFormat != "json" && o.logFormat != "console":
		return o, fmt.Errorf("--log-format must be json or console")
	}
	return o, nil
}

func newLogger(format string, verbosity int) (logr.Logger, error) {
	cfg := zap.NewProductionConfig()
	if format == "console" {
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
	}
	cfg.Level = zap.NewAtomicLevelAt(zapcore.Level(-verbosity))
	cfg.Sampling = nil
	z, err := cfg.Build()
	if err != nil {
		return logr.Logger{}, err
	}
	return zapr.NewLogger(z), nil
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err == flag.ErrHelp {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	log, err := newLogger(opts.logFormat, opts.logVerbosity)
	if err != nil {
		fmt.Fprintln(os.Stderr, "create logger:", err)
		os.Exit(1)
	}
	ctrl.SetLogger(log)
	if err := run(ctrl.SetupSignalHandler(), opts, log); err != nil {
		log.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, opts options, log logr.Logger) error {
	languages, err := presets.Load(opts.languagesFile)
	if err != nil {
		return err
	}
	runtime, err := docker.New(opts.dockerHost, docker.Options{Log: log.WithName("docker")})
	if err != nil {
		return fmt.Errorf("create docker client: %w", err)
	}

	scheme := newScheme()
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: opts.metricsAddr},
		HealthProbeBindAddress:  opts.probeAddr,
		LeaderElection:          opts.leaderElect,
		LeaderElectionID:        "runlet-manager.runlet.dev",
		LeaderElectionNamespace: opts.leaderElectNS,
		// The manager exits right after its context ends, so the lease can go at once and
		// a replacement need not wait for it to expire.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controllers.CacheOptions(opts.namespaces),
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}

	err = controllers.Setup(mgr, controllers.Config{
		Runtime:     runtime,
		Presets:     languages,
		Layout:      workspace.Layout{Root: opts.workspaceRoot},
		MaxRunning:  opts.maxRunning,
		Workers:     opts.workers,
		OutputBytes: opts.outputBytes,
		KillGrace:   opts.killGrace,
		Retry:       opts.daemonRetryTime,
		Namespaces:  opts.namespaces,
		Metrics:     metrics.Registry,
		Log:         log,
	})
	if err != nil {
		return err
	}
	log.Info("starting manager", "maxRunning", opts.maxRunning, "workspaceRoot", opts.workspaceRoot,
		"languages", languages.Names())
	return mgr.Start(ctx)
}

func newScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := runletv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	return scheme
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(value string) []string {
	var out []string
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
