package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	dockerclient "github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/runlet-dev/runlet/internal/presets"
)

// The limits an Execution gets by default (spec.resources), which the baseline applies too.
const (
	limitMemory = 256 << 20
	limitCPUs   = 1_000_000_000
	limitPids   = 256
	programDir  = "/workspace"
)

// rawRunner is the baseline: a hand-rolled "docker run" wrapper that writes the program
// into a directory, bind-mounts it and runs it straight through the Docker API (create,
// start, wait, logs, remove). It shares no code with runlet's own Docker package and
// isolates the container the way runlet does, so that the two do the same work.
type rawRunner struct {
	api   *dockerclient.Client
	dir   string
	runID string
	seq   atomic.Int64
}

// rawJob is one program for the baseline, taken from a language preset.
type rawJob struct {
	preset presets.Preset
	code   string
}

// rawResult is what one baseline run gave and how long it took: untilOutput ends once the
// output is in hand, total once the container is removed as well.
type rawResult struct {
	stdout      string
	exitCode    int64
	untilOutput time.Duration
	total       time.Duration
}

func (r *rawRunner) run(ctx context.Context, job rawJob) (res rawResult, err error) {
	n := r.seq.Add(1)
	name := fmt.Sprintf("runlet-bench-%s-%d", r.runID, n)
	start := time.Now()

	dir := filepath.Join(r.dir, fmt.Sprint(n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("create program directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, job.preset.File), []byte(job.code), 0o644); err != nil {
		return res, fmt.Errorf("write program: %w", err)
	}

	cfg, host := rawContainerConfig(job.preset, dir, r.runID)
	created, err := r.api.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if err != nil {
		return res, fmt.Errorf("create container: %w", err)
	}
	defer func() {
		if err != nil {
			// A failed run still leaves no container behind.
			_ = r.api.ContainerRemove(context.WithoutCancel(ctx), created.ID,
				container.RemoveOptions{Force: true})
		}
	}()
	if err := r.api.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return res, fmt.Errorf("start container: %w", err)
	}
	waited, waitErr := r.api.ContainerWait(ctx, created.ID, container.WaitConditionNotRunning)
	select {
	case w := <-waited:
		res.exitCode = w.StatusCode
	case err := <-waitErr:
		return res, fmt.Errorf("wait for container: %w", err)
	}
	logs, err := r.api.ContainerLogs(ctx, created.ID,
		container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return res, fmt.Errorf("read container log: %w", err)
	}
	var stdout, stderr bytes.Buffer
	_, err = stdcopy.StdCopy(&stdout, &stderr, logs)
	logs.Close()
	if err != nil {
		return res, fmt.Errorf("read container log: %w", err)
	}
	res.stdout = stdout.String()
	res.untilOutput = time.Since(start)

	err = r.api.ContainerRemove(ctx, created.ID, container.RemoveOptions{Force: true})
	if err != nil {
		return res, fmt.Errorf("remove container: %w", err)
	}
	res.total = time.Since(start)
	return res, nil
}

// rawContainerConfig isolates the container as runlet's own containers are: no network,
// no capabilities, no privilege gain, runlet's default memory (without swap), CPU and pids
// limits, an init process, a small daemon log, the preset's user and environment.
func rawContainerConfig(p presets.Preset, dir, runID string) (
	*container.Config, *container.HostConfig) {
	env := make([]string, 0, len(p.Env))
	for k, v := range p.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	initProcess := true
	pids := int64(limitPids)
	cfg := &container.Config{
		Image:      p.Image,
		Cmd:        p.Command,
		WorkingDir: programDir,
		Env:        env,
		User:       p.User,
		Labels:     map[string]string{labelBaseline: runID},
	}
	host := &container.HostConfig{
		NetworkMode: container.NetworkMode("none"),
		CapDrop:     []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges"},
		Init:        &initProcess,
		LogConfig: container.LogConfig{
			Type:   "json-file",
			Config: map[string]string{"max-size": "1m", "max-file": "1"},
		},
		Resources: container.Resources{
			Memory:     limitMemory,
			MemorySwap: limitMemory,
			NanoCPUs:   limitCPUs,
			PidsLimit:  &pids,
		},
		Mounts: []mount.Mount{{Type: mount.TypeBind, Source: dir, Target: programDir}},
	}
	return cfg, host
}
