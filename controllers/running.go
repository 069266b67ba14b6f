package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
)

// outputRetry is how soon to look again when a finished container's output is still being
// drained; the capture's own event usually comes first.
const outputRetry = 200 * time.Millisecond

// runningResync is how often a running Execution is looked at even when no event came.
// The daemon's event stream brings endings at once; this bounds how long an ending lost
// between the daemon and the manager goes unnoticed.
const runningResync = 30 * time.Second

// observe follows a running container: it stops it when cancelled or past its deadline,
// records its ending once it exited, and notices when it vanished.
func (r *ExecutionReconciler) observe(ctx context.Context, p *pass) (ctrl.Result, error) {
	exec := p.exec
	if exec.Status.Phase != runletv1.PhaseRunning {
		return ctrl.Result{}, nil
	}
	r.Admission.Hold(exec.UID)

	name := containerName(exec)
	state, err := r.Runtime.Inspect(ctx, name)
	switch {
	case errors.Is(err, docker.ErrNotFound):
		r.lost(p)
		return ctrl.Result{}, nil
	case errors.Is(err, docker.ErrDaemonUnavailable):
		// The program may still be running on a daemon we cannot see; look again later.
		return ctrl.Result{RequeueAfter: r.Retry}, nil
	case err != nil:
		return ctrl.Result{}, err
	}

	deadline := deadlineOf(exec, state)
	if state.Running {
		if err := r.reattach(ctx, exec); err != nil {
			return ctrl.Result{}, err
		}
		if !exec.Spec.Cancel && time.Now().Before(deadline) {
			return ctrl.Result{RequeueAfter: min(time.Until(deadline), runningResync)}, nil
		}
		// Stopping blocks for at most the grace period; the die event brings us back.
		if err := r.Runtime.Kill(ctx, name, r.KillGrace); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: outputRetry}, nil
	}
	if !state.Exited {
		return ctrl.Result{RequeueAfter: outputRetry}, nil
	}
	return r.record(ctx, p, state, deadline)
}

// oomReportWindow is how long after a SIGKILL exit a late "oom" report from the daemon is
// waited for before the ending is recorded as a signal.
const oomReportWindow = 2 * time.Second

// record writes a finished container's ending and output into the status.
func (r *ExecutionReconciler) record(ctx context.Context, p *pass, state docker.State,
	deadline time.Time) (ctrl.Result, error) {
	exec := p.exec
	if wait := untilOOMReported(state, time.Now()); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	env, err := resolveEnv(ctx, r.APIReader, exec)
	_, secretsGone := isInvalidSpec(err)
	if err != nil && !secretsGone {
		return ctrl.Result{}, err
	}
	out, done, err := r.Runtime.Output(ctx, containerName(exec), r.outputSpec(exec, env))
	if err != nil {
		return ctrl.Result{}, err
	}
	if !done {
		return ctrl.Result{RequeueAfter: outputRetry}, nil
	}

	finished := state.FinishedAt
	if finished.IsZero() {
		finished = time.Now()
	}
	end := endingForExit(state, exec.Spec.Cancel, !finished.Before(deadline), exec.Spec.TimeoutSeconds)
	st := &exec.Status
	code := int32(state.ExitCode)
	st.ExitCode, st.Signal, st.OOMKilled = &code, end.signal, state.OOMKilled
	if secretsGone {
		// A Secret went away while the program ran. Without its value nothing can be
		// redacted, so no text is kept; the log files still hold the output.
		out = docker.Output{Stdout: withheld(out.Stdout), Stderr: withheld(out.Stderr)}
	}
	st.Stdout, st.StdoutBytes, st.StdoutTruncated = out.Stdout.Kept, out.Stdout.Bytes, out.Stdout.Truncated
	st.Stderr, st.StderrBytes, st.StderrTruncated = out.Stderr.Kept, out.Stderr.Bytes, out.Stderr.Truncated
	st.CompletionTime = &metav1.Time{Time: finished}
	if started := startOf(exec, state); !started.IsZero() {
		st.Duration = finished.Sub(started).Round(10 * time.Millisecond).String()
	}
	p.setPhase(end.phase, end.reason, end.message)
	// The cap counts running containers, and this one has stopped: its slot goes to the next
	// one waiting now, not after the container is removed.
	r.Admission.Release(exec.UID)

	eventType := corev1.EventTypeNormal
	if end.phase == runletv1.PhaseFailed {
		eventType = corev1.EventTypeWarning
	}
	p.announce(eventType, string(end.reason), end.message)
	// The container goes on the next pass, once this status is stored (see Reconcile).
	return ctrl.Result{}, nil
}

// reattach resumes the output capture of a running container that this process did not
// start, which is the case after a manager restart. The daemon replays what its log still
// holds, and the capture streams on from there.
func (r *ExecutionReconciler) reattach(ctx context.Context, exec *runletv1.Execution) error {
	if _, ok := r.attached.Load(exec.UID); ok {
		return nil
	}
	plan, err := r.plan(ctx, exec, false)
	if _, invalid := isInvalidSpec(err); invalid {
		// A Secret went away; its value cannot be redacted, so the output is read back
		// and withheld when the program ends instead.
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := r.Runtime.Start(ctx, plan); err != nil {
		return fmt.Errorf("reattach to container: %w", err)
	}
	r.attached.Store(exec.UID, true)
	ctrl.LoggerFrom(ctx).Info("reattached to running container")
	return nil
}

// lost ends an Execution whose container disappeared while it ran.
func (r *ExecutionReconciler) lost(p *pass) {
	r.fail(p, runletv1.ReasonContainerLost,
		"The program's container disappeared before it finished.")
}

// deadlineOf is the program's start (see startOf), or else the creation, plus its timeout.
func deadlineOf(exec *runletv1.Execution, state docker.State) time.Time {
	start := startOf(exec, state)
	if start.IsZero() {
		start = exec.CreationTimestamp.Time
	}
	return start.Add(timeoutOf(exec.Spec))
}

// timeoutOf is the spec's timeoutSeconds, or the default where it is unset.
func timeoutOf(spec runletv1.ExecutionSpec) time.Duration {
	seconds := spec.TimeoutSeconds
	if seconds <= 0 {
		seconds = runletv1.DefaultTimeoutSeconds
	}
	return time.Duration(seconds) * time.Second
}

// startOf is when the program started: the daemon's own record, to the nanosecond, or else
// the stored start. status.startTime keeps only whole seconds, and a deadline counted from
// it would cut up to a second off the program's time.
func startOf(exec *runletv1.Execution, state docker.State) time.Time {
	if !state.StartedAt.IsZero() {
		return state.StartedAt
	}
	if exec.Status.StartTime != nil {
		return exec.Status.StartTime.Time
	}
	return time.Time{}
}

// withheld keeps a stream's counts but not its text.
func withheld(s docker.Stream) docker.Stream {
	s.Kept = ""
	return s
}

// untilOOMReported says how long to wait for the daemon's late "oom" event: the daemon
// can report a SIGKILL exit before it reports that the kernel's OOM killer sent it.
func untilOOMReported(state docker.State, now time.Time) time.Duration {
	if state.ExitCode != 137 || state.OOMKilled || state.KilledByRuntime || state.FinishedAt.IsZero() {
		return 0
	}
	return max(state.FinishedAt.Add(oomReportWindow).Sub(now), 0)
}
