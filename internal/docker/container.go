package docker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// Start creates, attaches and starts the container for plan, or adopts the container that
// already carries plan.Name: one that runs is re-attached when this process does not
// capture it yet (its files restart with what the daemon's log still holds), one that
// never started is started, and one that finished is left as it is.
func (c *Client) Start(ctx context.Context, plan Plan) (State, error) {
	if err := validatePlan(plan, c.socketPath()); err != nil {
		return State{}, err
	}
	unlock := c.names.lock(plan.Name)
	defer unlock()

	// Create comes first, without a look beforehand: it is the one call a new Execution
	// needs, and the daemon's answer tells the other cases apart. A name conflict means
	// the container exists (a restarted manager, or another one racing), and a missing
	// image is pulled before one more try.
	cfg, host := containerConfig(plan, c.opts)
	created, err := c.api.ContainerCreate(ctx, cfg, host, nil, nil, plan.Name)
	if cerrdefs.IsNotFound(err) {
		if err := c.ensureImage(ctx, plan.Image); err != nil {
			return State{}, err
		}
		created, err = c.api.ContainerCreate(ctx, cfg, host, nil, nil, plan.Name)
	}
	switch {
	case cerrdefs.IsConflict(err):
		// The container exists already; it is the same Execution's container.
		info, err := c.lookupCreated(ctx, plan.Name)
		if err != nil {
			return State{}, err
		}
		return c.adopt(ctx, plan, info)
	case cerrdefs.IsInvalidArgument(err):
		return State{}, fmt.Errorf("create container: %w: %w", ErrInvalidPlan, err)
	case err != nil:
		return State{}, wrapAPIError("create container", err)
	}
	return c.attachAndStart(ctx, plan, created.ID)
}

// lookupCreated inspects a container whose name another create just claimed. The daemon
// reserves the name before it registers the container, so for a moment the name is taken
// while inspect still finds nothing; the wait is bounded, since that other create may
// also fail and free the name again.
func (c *Client) lookupCreated(ctx context.Context, name string) (container.InspectResponse, error) {
	const wait, step = 10 * time.Second, 50 * time.Millisecond
	deadline := time.Now().Add(wait)
	for {
		info, err := c.lookup(ctx, name)
		if !errors.Is(err, ErrNotFound) || time.Now().After(deadline) {
			return info, err
		}
		select {
		case <-ctx.Done():
			return container.InspectResponse{}, ctx.Err()
		case <-time.After(step):
		}
	}
}

// adopt takes over an existing container named plan.Name.
func (c *Client) adopt(ctx context.Context, plan Plan, info container.InspectResponse) (State, error) {
	if info.Config == nil || info.Config.Labels[LabelManagedBy] != ManagedByValue {
		return State{}, fmt.Errorf("%w: container name %s is taken by a container runlet does not manage",
			ErrInvalidPlan, plan.Name)
	}

	switch {
	case info.State.Running:
		c.mu.Lock()
		cp := c.captures[plan.Name]
		c.mu.Unlock()
		if cp == nil || (cp.isDone() && cp.err != nil) {
			// The daemon replays what its log still holds and then streams on. The hand-over
			// is the daemon's, so a line written at that very moment may be seen twice or
			// not at all; only a restart of the manager mid-run leads here.
			err := c.attachCapture(ctx, plan.Name, info.ID, info.Config.Labels, plan.Output,
				planSecrets(plan), nil, true)
			if err != nil {
				return State{}, err
			}
		}
		return c.stateOf(info), nil
	case info.State.Status == container.StateCreated:
		return c.attachAndStart(ctx, plan, info.ID)
	default:
		return c.stateOf(info), nil
	}
}

// attachAndStart attaches to a created container before starting it, so that the capture
// sees the output from the first byte and the program gets its stdin.
func (c *Client) attachAndStart(ctx context.Context, plan Plan, id string) (State, error) {
	labels := planLabels(plan)
	if err := c.attachCapture(ctx, plan.Name, id, labels, plan.Output, planSecrets(plan),
		plan.Stdin, false); err != nil {
		return State{}, err
	}

	if err := c.api.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		c.dropCapture(plan.Name)
		return c.startFailed(ctx, plan.Name, err)
	}

	info, err := c.lookup(ctx, plan.Name)
	if err != nil {
		return State{}, err
	}
	return c.stateOf(info), nil
}

// startFailed explains a failed start. When the daemon recorded why the program could not
// start (an unknown user, a missing mount source), retrying the same plan fails the same
// way, so that is ErrStartFailed; anything else is returned as a transient error.
func (c *Client) startFailed(ctx context.Context, name string, startErr error) (State, error) {
	if isConnectionError(startErr) {
		return State{}, wrapAPIError("start container", startErr)
	}
	info, err := c.lookup(ctx, name)
	if err == nil && !info.State.Running && info.State.Error != "" {
		return c.stateOf(info), fmt.Errorf("start container: %w: %s", ErrStartFailed, info.State.Error)
	}
	return State{}, wrapAPIError("start container", startErr)
}

// dropCapture ends and forgets the live capture of name, keeping the killed mark.
func (c *Client) dropCapture(name string) {
	c.mu.Lock()
	cp := c.captures[name]
	delete(c.captures, name)
	c.mu.Unlock()
	if cp != nil && cp.conn != nil {
		cp.forgotten.Store(true)
		_ = cp.conn.Close()
	}
}

// Inspect returns the state of the container named name.
func (c *Client) Inspect(ctx context.Context, name string) (State, error) {
	info, err := c.lookup(ctx, name)
	if err != nil {
		return State{}, err
	}
	return c.stateOf(info), nil
}

// Kill stops a running container: the daemon sends SIGTERM (through docker-init, to the
// program) and SIGKILL once grace has passed. It returns when the container has stopped,
// so it can take up to grace plus the time the kill takes. A missing, never started or
// finished container is left as it is and is not marked as killed.
func (c *Client) Kill(ctx context.Context, name string, grace time.Duration) error {
	info, err := c.lookup(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.State.Running {
		return nil
	}

	c.mu.Lock()
	c.killed[name] = true
	c.mu.Unlock()

	// The daemon counts the grace in whole seconds; rounding up never shortens it.
	seconds := int(math.Ceil(max(grace, 0).Seconds()))
	err = c.api.ContainerStop(ctx, info.ID, container.StopOptions{Timeout: &seconds})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return wrapAPIError("stop container", err)
	}
	return nil
}

// Remove deletes the container, running or not, and forgets its capture and its killed
// mark, which frees their memory. The stream files stay; they belong to the caller's
// output directory.
func (c *Client) Remove(ctx context.Context, name string) error {
	unlock := c.names.lock(name)
	defer unlock()

	info, err := c.lookup(ctx, name)
	if errors.Is(err, ErrNotFound) {
		c.forget(name)
		return nil
	}
	if err != nil {
		return err
	}

	err = c.api.ContainerRemove(ctx, info.ID,
		container.RemoveOptions{Force: true, RemoveVolumes: true})
	// A conflict here means the daemon is already removing it.
	if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
		return wrapAPIError("remove container", err)
	}
	c.mu.Lock()
	delete(c.oomed, info.ID)
	c.mu.Unlock()
	c.forget(name)
	return nil
}

// List returns every container that carries runlet's managed-by label.
func (c *Client) List(ctx context.Context) ([]Summary, error) {
	found, err := c.api.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", LabelManagedBy+"="+ManagedByValue)),
	})
	if err != nil {
		return nil, wrapAPIError("list containers", err)
	}
	out := make([]Summary, 0, len(found))
	for _, s := range found {
		var name string
		if len(s.Names) > 0 {
			name = strings.TrimPrefix(s.Names[0], "/")
		}
		out = append(out, Summary{ID: s.ID, Name: name, Labels: s.Labels, State: string(s.State)})
	}
	return out, nil
}

// stateOf turns the daemon's view of a container into a State. OOMKilled comes from the
// daemon's own flag or its "oom" event only: exit code 137 alone means SIGKILL, whoever
// sent it.
func (c *Client) stateOf(info container.InspectResponse) State {
	name := strings.TrimPrefix(info.Name, "/")
	c.mu.Lock()
	killed, oomed := c.killed[name], c.oomed[info.ID]
	c.mu.Unlock()

	s := State{
		ID:              info.ID,
		Name:            name,
		ImageID:         info.Image,
		KilledByRuntime: killed,
	}
	if info.Config != nil {
		s.Image = info.Config.Image
	}
	if st := info.State; st != nil {
		s.Running = st.Running
		s.Exited = st.Status == container.StateExited || st.Status == container.StateDead
		s.ExitCode = st.ExitCode
		s.OOMKilled = st.OOMKilled || oomed
		s.StartedAt = parseDaemonTime(st.StartedAt)
		s.FinishedAt = parseDaemonTime(st.FinishedAt)
		s.Error = st.Error
	}
	// The daemon stamps StartedAt only after the start call returns, and a program that
	// ends at once can beat it by a few milliseconds. A run never lasts less than nothing.
	if !s.FinishedAt.IsZero() && s.FinishedAt.Before(s.StartedAt) {
		s.FinishedAt = s.StartedAt
	}
	return s
}

// parseDaemonTime reads the daemon's timestamps, which use the zero time for "never".
func parseDaemonTime(value string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil || t.IsZero() {
		return time.Time{}
	}
	return t
}

// planSecrets are the values redacted from a plan's kept output.
func planSecrets(plan Plan) []string {
	var secrets []string
	for _, e := range plan.Env {
		if e.Secret {
			secrets = append(secrets, e.Value)
		}
	}
	return secrets
}

// socketPath is the daemon socket this client uses, when it is a unix socket.
func (c *Client) socketPath() string {
	host := c.api.DaemonHost()
	if path, ok := strings.CutPrefix(host, "unix://"); ok {
		return path
	}
	return ""
}

// markOOM records the daemon's "oom" event for a container.
func (c *Client) markOOM(id string) {
	c.mu.Lock()
	c.oomed[id] = true
	c.mu.Unlock()
}
