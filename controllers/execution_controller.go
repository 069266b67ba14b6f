// Package controllers holds the Execution reconciler: it turns an Execution into one
// container on the Docker daemon and the container's ending into the Execution's status.
package controllers

import (
	"context"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
	"github.com/runlet-dev/runlet/internal/presets"
	"github.com/runlet-dev/runlet/internal/workspace"
)

// finalizer holds an Execution until its container, scratch directory and logs are gone.
const finalizer = "runlet.dev/cleanup"

// cacheLagRetry is how soon a pass that found the cache behind this manager's own status
// write looks again. The watch event of that write is not followed (see executionChanges),
// and the cache usually catches up within milliseconds.
const cacheLagRetry = 20 * time.Millisecond

// ExecutionReconciler runs Executions.
type ExecutionReconciler struct {
	client.Client
	// APIReader reads Secrets straight from the API server, so that no cache of every
	// Secret in the cluster is kept.
	APIReader client.Reader
	Runtime   docker.Runtime
	Presets   presets.Config
	Layout    workspace.Layout
	Admission *Admission
	Recorder  events.EventRecorder
	Metrics   *Metrics
	// OutputBytes is how much of each stream is kept in status.
	OutputBytes int
	// KillGrace is how long a stopped program has between SIGTERM and SIGKILL.
	KillGrace time.Duration
	// Retry is how long to wait before looking again at something that is not ready yet
	// (an unreachable daemon, say).
	Retry time.Duration
	// attached holds the UIDs whose containers this process captures output from.
	attached sync.Map
	// Namespaces limits the manager to these namespaces; empty means all. Containers of
	// other namespaces on the same daemon are then left alone.
	Namespaces []string

	// written holds the phases of status writes the cache does not show yet.
	written writtenPhases
}

// step is one stage of a pass. A step that returns a non-zero result or an error ends the
// pass; the others let the next step run.
type step func(ctx context.Context, p *pass) (ctrl.Result, error)

// +kubebuilder:rbac:groups=runlet.dev,resources=executions,verbs=get;list;watch;patch;delete
// +kubebuilder:rbac:groups=runlet.dev,resources=executions/status,verbs=get;patch
// +kubebuilder:rbac:groups=runlet.dev,resources=executions/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile moves one Execution forward.
func (r *ExecutionReconciler) Reconcile(ctx context.Context, req ctrl.Request) (
	result ctrl.Result, err error) {
	exec := &runletv1.Execution{}
	if err := r.Get(ctx, req.NamespacedName, exec); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !exec.DeletionTimestamp.IsZero() {
		r.written.forget(exec.UID)
		return r.finalize(ctx, exec)
	}
	if r.written.behind(exec) {
		ctrl.LoggerFrom(ctx).V(1).Info("cache behind own status write; waiting for it")
		return ctrl.Result{RequeueAfter: cacheLagRetry}, nil
	}
	if err := r.ensureFinalizer(ctx, exec); err != nil {
		return ctrl.Result{}, err
	}

	p := newPass(exec)
	defer func() {
		err = r.finishPass(ctx, p, err)
		// An Execution this pass finished is tidied up by the next one (container, built
		// image, TTL), once the ending is stored; nothing else would bring it back.
		if err == nil && p.finished && result.IsZero() {
			result = ctrl.Result{RequeueAfter: time.Millisecond}
		}
	}()

	for _, run := range []step{r.cancelIfAsked, r.admit, r.start, r.observe, r.afterFinish} {
		if result, err = run(ctx, p); err != nil || !result.IsZero() {
			return result, err
		}
	}
	return ctrl.Result{}, nil
}

// finishPass writes the status, then sends the pass's Events and metrics. An error from the
// pass itself wins over one from the write; both are returned, never logged here.
func (r *ExecutionReconciler) finishPass(ctx context.Context, p *pass, passErr error) error {
	if err := writeStatus(ctx, r.Client, p); err != nil {
		if passErr != nil {
			return passErr
		}
		return err
	}
	if st, was := p.exec.Status, p.before.Status; st.Phase != was.Phase || st.Reason != was.Reason {
		r.written.remember(p.exec.UID, st.Phase, st.Reason)
	}
	for _, a := range p.events {
		r.Recorder.Eventf(p.exec, nil, a.eventType, a.reason, "Run", a.note)
	}
	if p.finished {
		r.Metrics.observeFinished(p.exec)
	}
	if p.changed() {
		ctrl.LoggerFrom(ctx).Info("execution changed", "phase", p.exec.Status.Phase,
			"reason", p.exec.Status.Reason)
	}
	r.Metrics.setCounts(r.Admission.Counts())
	return passErr
}

// SetupWithManager registers the reconciler and its sources: Executions, container
// endings from the daemon's event stream, and wake-ups from the admission queue.
func (r *ExecutionReconciler) SetupWithManager(mgr ctrl.Manager, workers int) error {
	containerEvents := newEventPump(r.Runtime, r.Admission, r.watches)
	if err := mgr.Add(containerEvents); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&runletv1.Execution{}, executionChanges(r.Admission)).
		WatchesRawSource(containerEvents.source()).
		Named("execution").
		WithOptions(controllerOptions(workers)).
		Complete(r)
}

// watches reports whether this manager looks after namespace.
func (r *ExecutionReconciler) watches(namespace string) bool {
	return len(r.Namespaces) == 0 || slices.Contains(r.Namespaces, namespace)
}

func keyOf(exec *runletv1.Execution) types.NamespacedName {
	return types.NamespacedName{Namespace: exec.Namespace, Name: exec.Name}
}
