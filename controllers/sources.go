package controllers

import (
	"context"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
)

// eventPump feeds the controller from outside the API server: container endings from the
// daemon's event stream and slots freed in the admission queue. It runs only on the leader.
type eventPump struct {
	runtime   docker.Runtime
	admission *Admission
	watches   func(namespace string) bool
	out       chan event.TypedGenericEvent[types.NamespacedName]
}

func newEventPump(runtime docker.Runtime, admission *Admission,
	watches func(namespace string) bool) *eventPump {
	return &eventPump{
		runtime:   runtime,
		admission: admission,
		watches:   watches,
		out:       make(chan event.TypedGenericEvent[types.NamespacedName], 1024),
	}
}

// Start implements manager.Runnable.
func (e *eventPump) Start(ctx context.Context) error {
	containers := e.runtime.Events(ctx)
	for {
		var key types.NamespacedName
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-containers:
			if !ok {
				return nil
			}
			if ev.Namespace == "" || ev.Name == "" || !e.watches(ev.Namespace) {
				continue
			}
			key = types.NamespacedName{Namespace: ev.Namespace, Name: ev.Name}
		case key = <-e.admission.Wake():
		}
		select {
		case e.out <- event.TypedGenericEvent[types.NamespacedName]{Object: key}:
		case <-ctx.Done():
			return nil
		}
	}
}

func (e *eventPump) source() source.Source {
	enqueue := handler.TypedEnqueueRequestsFromMapFunc(
		func(_ context.Context, key types.NamespacedName) []reconcile.Request {
			return []reconcile.Request{{NamespacedName: key}}
		})
	return source.Channel(e.out, enqueue)
}

// executionChanges records each new Execution in the admission queue in the order the API
// server reports creations, which is the order they wait in, and lets through the updates
// a pass must follow. An update that changed only the status is in all likelihood this
// manager's own write, whose pass already did everything that write allows: following it
// would only look at the container once more. Passes that wait for the cache to show such
// a write requeue themselves instead.
func executionChanges(a *Admission) builder.ForOption {
	return builder.WithPredicates(predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool {
			exec, ok := e.Object.(*runletv1.Execution)
			if ok && (exec.Status.Phase == "" || exec.Status.Phase == runletv1.PhasePending) {
				a.Arrive(exec.UID, keyOf(exec), exec.CreationTimestamp.Time)
			}
			return true
		},
		UpdateFunc: func(e event.UpdateEvent) bool {
			return !onlyStatusChanged(e.ObjectOld, e.ObjectNew)
		},
	})
}

// onlyStatusChanged reports whether an update left the spec (the generation) and the
// metadata a pass reads (deletion, finalizers, labels, annotations) as they were.
func onlyStatusChanged(old, updated client.Object) bool {
	return old.GetGeneration() == updated.GetGeneration() &&
		old.GetDeletionTimestamp().Equal(updated.GetDeletionTimestamp()) &&
		slices.Equal(old.GetFinalizers(), updated.GetFinalizers()) &&
		maps.Equal(old.GetLabels(), updated.GetLabels()) &&
		maps.Equal(old.GetAnnotations(), updated.GetAnnotations())
}

func controllerOptions(workers int) controller.Options {
	return controller.Options{MaxConcurrentReconciles: max(workers, 1)}
}
