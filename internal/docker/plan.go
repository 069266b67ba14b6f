package docker

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
)

const (
	networkNone   = "none"
	networkBridge = "bridge"

	// minMemoryBytes is the smallest memory limit the daemon accepts.
	minMemoryBytes = 6 << 20
)

// containerNamePattern is the daemon's rule for container names.
var containerNamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// daemonSockets are where a Docker daemon's socket usually lies. A plan may never mount a
// directory holding one, since the socket gives whoever reaches it the whole host.
var daemonSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

// validatePlan rejects a plan the daemon must not or cannot run. extraSockets adds the
// socket this client talks to when it lies somewhere else.
func validatePlan(p Plan, extraSockets ...string) error {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidPlan, fmt.Sprintf(format, args...))
	}

	if !containerNamePattern.MatchString(p.Name) {
		return invalid("container name %q must match %s", p.Name, containerNamePattern)
	}
	if strings.TrimSpace(p.Image) == "" {
		return invalid("no image")
	}
	switch p.Network {
	case "", networkNone, networkBridge:
	default:
		return invalid("network %q is neither %q nor %q", p.Network, networkNone, networkBridge)
	}
	if p.WorkDir != "" && !path.IsAbs(p.WorkDir) {
		return invalid("work dir %q is not an absolute path", p.WorkDir)
	}
	if p.HostDir != "" {
		if err := validateHostDir(p, extraSockets); err != nil {
			return invalid("%s", err)
		}
	}
	if err := validateLimits(p.Limits); err != nil {
		return invalid("%s", err)
	}
	for _, e := range p.Env {
		if e.Name == "" || strings.ContainsAny(e.Name, "=\x00") {
			return invalid("environment variable name %q is empty or holds '=' or NUL", e.Name)
		}
	}
	return nil
}

func validateHostDir(p Plan, extraSockets []string) error {
	if !filepath.IsAbs(p.HostDir) {
		return fmt.Errorf("host dir %q is not an absolute path", p.HostDir)
	}
	if p.WorkDir == "" {
		return fmt.Errorf("host dir %q has no work dir to be mounted at", p.HostDir)
	}
	for _, socket := range append(extraSockets, daemonSockets...) {
		rel, err := filepath.Rel(filepath.Clean(p.HostDir), socket)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return fmt.Errorf("host dir %q holds the docker socket %s", p.HostDir, socket)
		}
	}
	return nil
}

func validateLimits(l Limits) error {
	switch {
	case l.MemoryBytes < 0 || l.NanoCPUs < 0 || l.PidsLimit < 0:
		return fmt.Errorf("limits must not be negative")
	case l.MemoryBytes > 0 && l.MemoryBytes < minMemoryBytes:
		return fmt.Errorf("memory limit %d is below the daemon's minimum of %d bytes",
			l.MemoryBytes, minMemoryBytes)
	}
	return nil
}

// containerConfig turns a validated plan into the daemon's create request. Every container
// gets the same isolation: no network unless asked, no capabilities, no privilege gain, a
// pids limit, swap equal to memory, an init process as PID 1 to reap zombies, and a small
// daemon log, since runlet captures the complete output itself.
func containerConfig(p Plan, opts Options) (*container.Config, *container.HostConfig) {
	env := make([]string, 0, len(p.Env))
	for _, e := range p.Env {
		env = append(env, e.Name+"="+e.Value)
	}

	cfg := &container.Config{
		Image:        p.Image,
		Entrypoint:   p.Entrypoint,
		Cmd:          p.Cmd,
		WorkingDir:   p.WorkDir,
		Env:          env,
		User:         p.User,
		Labels:       planLabels(p),
		AttachStdout: true,
		AttachStderr: true,
		StopSignal:   "SIGTERM",
	}
	if p.Stdin != nil {
		// StdinOnce closes the program's stdin when the one attached writer closes its side,
		// which is how the program sees EOF after the text. Without OpenStdin the program's
		// stdin is /dev/null and reads EOF at once.
		cfg.OpenStdin = true
		cfg.StdinOnce = true
		cfg.AttachStdin = true
	}

	network := networkNone
	if p.Network == networkBridge {
		network = networkBridge
	}
	pids := p.Limits.PidsLimit
	if pids == 0 {
		pids = opts.DefaultPidsLimit
	}
	initProcess := true

	host := &container.HostConfig{
		NetworkMode: container.NetworkMode(network),
		CapDrop:     []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges"},
		Init:        &initProcess,
		LogConfig: container.LogConfig{
			Type:   "json-file",
			Config: map[string]string{"max-size": opts.LogMaxSize, "max-file": "1"},
		},
		Resources: container.Resources{
			Memory:     p.Limits.MemoryBytes,
			MemorySwap: p.Limits.MemoryBytes,
			NanoCPUs:   p.Limits.NanoCPUs,
			PidsLimit:  &pids,
		},
	}
	if p.HostDir != "" {
		host.Mounts = []mount.Mount{{Type: mount.TypeBind, Source: p.HostDir, Target: p.WorkDir}}
	}
	return cfg, host
}

// planLabels are the plan's labels plus the managed-by label, which a plan cannot change.
func planLabels(p Plan) map[string]string {
	labels := make(map[string]string, len(p.Labels)+1)
	maps.Copy(labels, p.Labels)
	labels[LabelManagedBy] = ManagedByValue
	return labels
}
