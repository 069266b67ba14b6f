package controllers

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
	"github.com/runlet-dev/runlet/internal/workspace"
)

// queuedRetry is how often a queued Execution looks at the queue on its own, in case a
// wake-up was missed.
const queuedRetry = 10 * time.Second

// cancelIfAsked ends an Execution whose spec.cancel is set before it ever started. A
// running one is stopped by observe, which also collects its output.
func (r *ExecutionReconciler) cancelIfAsked(_ context.Context, p *pass) (ctrl.Result, error) {
	st := p.exec.Status
	if !p.exec.Spec.Cancel || st.Phase.IsFinished() || st.ContainerID != "" {
		return ctrl.Result{}, nil
	}
	r.Admission.Release(p.exec.UID)
	p.setPhase(runletv1.PhaseFailed, runletv1.ReasonCancelled,
		"The Execution was cancelled before its program started.")
	p.exec.Status.CompletionTime = ptrNow()
	p.announce(corev1.EventTypeNormal, string(runletv1.ReasonCancelled), p.exec.Status.Message)
	return ctrl.Result{}, nil
}

// admit takes a slot under the running-container cap, or leaves the Execution Queued.
func (r *ExecutionReconciler) admit(ctx context.Context, p *pass) (ctrl.Result, error) {
	if p.exec.Status.Phase.IsFinished() || p.exec.Status.ContainerID != "" {
		return ctrl.Result{}, nil
	}
	if !r.Admission.Seeded() {
		if err := r.seedAdmission(ctx); err != nil {
			return r.daemonUnavailable(p, err)
		}
	}
	r.Admission.Arrive(p.exec.UID, keyOf(p.exec), p.exec.CreationTimestamp.Time)
	admitted, position := r.Admission.TryAcquire(p.exec.UID)
	if !admitted {
		p.setPhase(runletv1.PhasePending, runletv1.ReasonQueued,
			"Waiting for a free slot under the cap on running executions.")
		ctrl.LoggerFrom(ctx).V(1).Info("queued", "position", position)
		return ctrl.Result{RequeueAfter: queuedRetry}, nil
	}
	return ctrl.Result{}, nil
}

// seedAdmission counts the containers the daemon already runs for runlet, so that a
// restarted manager keeps the cap.
func (r *ExecutionReconciler) seedAdmission(ctx context.Context) error {
	containers, err := r.Runtime.List(ctx)
	if err != nil {
		return err
	}
	var running []types.UID
	for _, c := range containers {
		if (c.State == "running" || c.State == "created") && r.watches(c.Labels[docker.LabelNamespace]) {
			running = append(running, types.UID(c.Labels[docker.LabelExecutionUID]))
		}
	}
	r.Admission.Seed(running)
	return nil
}

// start prepares the program's files, builds its image when asked, and starts (or adopts)
// its container.
func (r *ExecutionReconciler) start(ctx context.Context, p *pass) (ctrl.Result, error) {
	exec := p.exec
	if exec.Status.Phase.IsFinished() || exec.Status.ContainerID != "" {
		return ctrl.Result{}, nil
	}

	plan, err := r.plan(ctx, exec, true)
	if err != nil {
		return r.failOrRetry(p, err)
	}

	if exec.Spec.Build != nil {
		if exec.Status.Reason != runletv1.ReasonBuilding {
			// Said before the build starts, since the build holds the pass until it ends.
			p.setPhase(runletv1.PhasePending, runletv1.ReasonBuilding,
				"Building the image from spec.build.")
			return ctrl.Result{RequeueAfter: time.Millisecond}, nil
		}
		image, err := r.build(ctx, exec)
		if err != nil {
			return r.failOrRetry(p, err)
		}
		if stopped, err := r.stoppedDuringBuild(ctx, p); stopped || err != nil {
			return ctrl.Result{}, err
		}
		plan.Image = image
	}

	state, err := r.Runtime.Start(ctx, plan)
	if err != nil {
		return r.failOrRetry(p, redactError(err, redactions(plan.Env)))
	}
	r.attached.Store(exec.UID, true)

	st := &exec.Status
	st.ContainerID, st.Image, st.LogPath = state.ID, plan.Image, plan.Output.Dir
	st.StartTime = &metav1.Time{Time: state.StartedAt}
	if state.StartedAt.IsZero() {
		st.StartTime = ptrNow()
	}
	p.setPhase(runletv1.PhaseRunning, runletv1.ReasonStarted, "The program is running.")
	p.announce(corev1.EventTypeNormal, "Started",
		fmt.Sprintf("Started container %s from image %s.", shortID(state.ID), plan.Image))
	ctrl.LoggerFrom(ctx).Info("started", "container", shortID(state.ID), "image", plan.Image)
	return ctrl.Result{}, nil
}

// plan resolves the spec into what the daemon should run. With write set it also writes
// the program's files; without, it only names the directory they are in.
func (r *ExecutionReconciler) plan(ctx context.Context, exec *runletv1.Execution, write bool) (
	docker.Plan, error) {
	rec, err := recipeFor(exec.Spec, r.Presets)
	if err != nil {
		return docker.Plan{}, err
	}
	env, err := resolveEnv(ctx, r.APIReader, exec)
	if err != nil {
		return docker.Plan{}, err
	}

	var subPath string
	if exec.Spec.Workspace != nil {
		subPath = exec.Spec.Workspace.SubPath
	}
	dir := r.Layout.ScratchDir(string(exec.UID))
	if subPath != "" {
		dir = filepath.Join(r.Layout.NamespaceDir(exec.Namespace), subPath)
	}
	if write {
		dir, err = r.Layout.Prepare(exec.Namespace, string(exec.UID), subPath, rec.files)
		if errors.Is(err, workspace.ErrOutside) {
			return docker.Plan{}, invalidSpec("The workspace path is refused: %v.", err)
		}
		if errors.Is(err, workspace.ErrUnwritable) {
			return docker.Plan{}, invalidSpec("A file cannot be written: %v.", err)
		}
		if err != nil {
			return docker.Plan{}, fmt.Errorf("prepare workspace: %w", err)
		}
	}

	var stdin *string
	if exec.Spec.Stdin != "" {
		stdin = &exec.Spec.Stdin
	}
	network := "none"
	if exec.Spec.Network == runletv1.NetworkBridge {
		network = "bridge"
	}
	return docker.Plan{
		Name:    containerName(exec),
		Image:   rec.image,
		Cmd:     rec.cmd,
		WorkDir: programDir,
		HostDir: dir,
		Env:     append(rec.baseEnv, env...),
		Stdin:   stdin,
		Limits:  limitsFor(exec.Spec.Resources),
		Network: network,
		User:    rec.user,
		Labels: map[string]string{
			docker.LabelExecutionUID: string(exec.UID),
			docker.LabelNamespace:    exec.Namespace,
			docker.LabelName:         exec.Name,
		},
		Output: r.outputSpec(exec, env),
	}, nil
}

func (r *ExecutionReconciler) outputSpec(exec *runletv1.Execution, env []docker.EnvVar) docker.OutputSpec {
	return docker.OutputSpec{
		Dir:       r.Layout.LogDir(string(exec.UID)),
		KeepBytes: r.OutputBytes,
		Redact:    redactions(env),
	}
}

// failOrRetry records a terminal failure in status, or waits on an unreachable daemon, or
// returns a transient error for backoff.
func (r *ExecutionReconciler) failOrRetry(p *pass, err error) (ctrl.Result, error) {
	var buildErr *docker.BuildError
	message, invalid := isInvalidSpec(err)
	switch {
	case invalid:
		r.fail(p, runletv1.ReasonInvalidSpec, message)
	case errors.Is(err, errBuildTimedOut):
		r.fail(p, runletv1.ReasonDeadlineExceeded, fmt.Sprintf("The image build ran longer "+
			"than the %s timeout and was stopped.", timeoutOf(p.exec.Spec)))
	case errors.As(err, &buildErr):
		r.fail(p, runletv1.ReasonBuildFailed, "The image build failed: "+buildErr.Message)
		p.exec.Status.Stderr = buildErr.Log
	case errors.Is(err, docker.ErrInvalidPlan), errors.Is(err, docker.ErrStartFailed):
		r.fail(p, runletv1.ReasonInvalidSpec, "The container could not start: "+sentence(err))
	case errors.Is(err, docker.ErrImageUnavailable):
		r.fail(p, runletv1.ReasonImageUnavailable, sentence(err))
	case errors.Is(err, docker.ErrDaemonUnavailable):
		return r.daemonUnavailable(p, err)
	default:
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

// fail ends an Execution that never ran.
func (r *ExecutionReconciler) fail(p *pass, reason runletv1.Reason, message string) {
	r.Admission.Release(p.exec.UID)
	p.setPhase(runletv1.PhaseFailed, reason, message)
	p.exec.Status.CompletionTime = ptrNow()
	p.announce(corev1.EventTypeWarning, string(reason), message)
}

// daemonUnavailable leaves the Execution Pending until the daemon answers again. It keeps
// its place in the queue.
func (r *ExecutionReconciler) daemonUnavailable(p *pass, _ error) (ctrl.Result, error) {
	p.setPhase(runletv1.PhasePending, runletv1.ReasonDaemonUnavailable,
		"Waiting for the Docker daemon to answer.")
	return ctrl.Result{RequeueAfter: r.Retry}, nil
}

func ptrNow() *metav1.Time {
	now := metav1.Now()
	return &now
}

func shortID(id string) string {
	return id[:min(len(id), 12)]
}

// sentence turns an error into a status message: capitalised, ending with a full stop.
func sentence(err error) string {
	s := err.Error()
	if s == "" {
		return s
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	if s[len(s)-1] != '.' {
		s += "."
	}
	return s
}
