package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	dockerclient "github.com/docker/docker/client"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/runlet-dev/runlet/internal/testenv"
)

// Labels of the containers the benchmark itself runs (the baseline) and of the ones runlet
// runs for it, by which cleanup finds them.
const (
	labelBaseline  = "runlet-bench.baseline"
	labelNamespace = "runlet.dev/namespace"
)

// bench is one benchmark run: its control plane, daemon client, scratch directory and the
// manager processes and namespaces it made, all of which close removes.
type bench struct {
	cfg       config
	id        string
	started   time.Time
	dir       string
	workspace string
	languages string
	plane     *controlPlane
	docker    *dockerclient.Client
	raw       *rawRunner
	machine   machineInfo

	managers   []*managerProcess
	namespaces []string
}

func newBench(ctx context.Context, cfg config) (*bench, error) {
	b := &bench{cfg: cfg, started: time.Now()}
	b.id = fmt.Sprintf("%d-%d", os.Getpid(), b.started.Unix())
	if _, err := os.Stat(cfg.managerBin); err != nil {
		return nil, fmt.Errorf("manager binary: %w (build it with `make build`)", err)
	}
	dir, err := os.MkdirTemp("", "runlet-bench-")
	if err != nil {
		return nil, fmt.Errorf("create scratch directory: %w", err)
	}
	b.dir = dir
	b.workspace = filepath.Join(dir, "workspaces")
	ok := false
	defer func() {
		if !ok {
			_ = b.close()
		}
	}()

	if b.docker, err = dockerclient.NewClientWithOpts(dockerclient.FromEnv,
		dockerclient.WithAPIVersionNegotiation()); err != nil {
		return nil, fmt.Errorf("create docker client: %w", err)
	}
	if err := b.checkImages(ctx); err != nil {
		return nil, err
	}
	if err := b.writeLanguages(); err != nil {
		return nil, err
	}
	b.raw = &rawRunner{api: b.docker, dir: filepath.Join(dir, "baseline"), runID: b.id}

	b.logf("starting kube-apiserver and etcd")
	if b.plane, err = startControlPlane(dir); err != nil {
		return nil, err
	}
	if b.machine, err = collectMachine(ctx, b.docker, b.plane); err != nil {
		return nil, err
	}
	ok = true
	return b, nil
}

// checkImages fails early, with the fix, when the local images are missing.
func (b *bench) checkImages(ctx context.Context) error {
	for _, ref := range []string{testenv.PythonImage, testenv.BusyboxImage} {
		if _, err := b.docker.ImageInspect(ctx, ref); err != nil {
			return fmt.Errorf("image %s: %w (build the local images with `make images`)", ref, err)
		}
	}
	return nil
}

// writeLanguages writes the presets that point at the local images, for the manager's
// --languages flag.
func (b *bench) writeLanguages() error {
	data, err := yaml.Marshal(testenv.LocalLanguages())
	if err != nil {
		return fmt.Errorf("encode languages: %w", err)
	}
	b.languages = filepath.Join(b.dir, "languages.yaml")
	if err := os.WriteFile(b.languages, data, 0o644); err != nil {
		return fmt.Errorf("write languages: %w", err)
	}
	return nil
}

// namespace creates a fresh namespace for one phase.
func (b *bench) namespace(ctx context.Context, prefix string) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-" + prefix + "-"}}
	if err := b.plane.client.Create(ctx, ns); err != nil {
		return "", fmt.Errorf("create namespace: %w", err)
	}
	b.namespaces = append(b.namespaces, ns.Name)
	return ns.Name, nil
}

// close stops the managers and the control plane and removes every container and file
// the run made. It goes on past errors and returns them all.
func (b *bench) close() error {
	var errs []error
	for _, m := range b.managers {
		errs = append(errs, m.stop())
	}
	if b.docker != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		errs = append(errs, b.removeContainers(ctx))
		cancel()
		errs = append(errs, b.docker.Close())
	}
	if b.plane != nil {
		errs = append(errs, b.plane.stop())
	}
	switch {
	case b.dir != "" && b.cfg.keep:
		b.logf("kept %s", b.dir)
	case b.dir != "":
		errs = append(errs, os.RemoveAll(b.dir))
	}
	return errors.Join(errs...)
}

// removeContainers force-removes the baseline's containers and runlet's containers of the
// run's namespaces that are still there.
func (b *bench) removeContainers(ctx context.Context) error {
	selectors := []string{labelBaseline + "=" + b.id}
	for _, ns := range b.namespaces {
		selectors = append(selectors, labelNamespace+"="+ns)
	}
	var errs []error
	for _, sel := range selectors {
		found, err := b.docker.ContainerList(ctx, container.ListOptions{
			All: true, Filters: filters.NewArgs(filters.Arg("label", sel)),
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("list containers: %w", err))
			continue
		}
		for _, c := range found {
			err := b.docker.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
			if err != nil {
				errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID[:12], err))
			}
		}
	}
	return errors.Join(errs...)
}

// waitNoContainers waits until runlet has removed every container of namespace ns, so that
// its clean-up does not run into the next measurement.
func (b *bench) waitNoContainers(ctx context.Context, ns string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		found, err := b.docker.ContainerList(ctx, container.ListOptions{
			All: true, Filters: filters.NewArgs(filters.Arg("label", labelNamespace+"="+ns)),
		})
		if err != nil {
			return fmt.Errorf("wait for runlet to remove its containers: %w", err)
		}
		if len(found) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d containers of %s still there: %w", len(found), ns, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logf reports progress on stderr; the report goes to stdout.
func (b *bench) logf(format string, args ...any) {
	elapsed := time.Since(b.started).Round(time.Second)
	fmt.Fprintf(os.Stderr, "bench %6s  %s\n", elapsed, fmt.Sprintf(format, args...))
}

// setUp gives a phase of the bench its own namespace, a fresh manager for it, and a watch
// that reports each Execution there that finishes.
func (b *bench) setUp(ctx context.Context, phase string) (
	string, *managerProcess, <-chan finishedExecution, error) {
	ns, err := b.namespace(ctx, phase)
	if err != nil {
		return "", nil, nil, err
	}
	m, err := b.startManager(ctx, ns)
	if err != nil {
		return "", nil, nil, err
	}
	finished, err := b.watchFinished(ctx, ns)
	if err != nil {
		return "", nil, nil, err
	}
	return ns, m, finished, nil
}
