package main

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// finishedExecution is an Execution seen finished, and when the watch delivered it.
type finishedExecution struct {
	at   time.Time
	exec *runletv1.Execution
}

// watchFinished watches the Executions of namespace ns and delivers each one once, as soon
// as the API server reports it Succeeded or Failed. The watch is open when it returns, so
// an Execution created afterwards is never missed. A watch the server ends is resumed from
// the last resource version seen.
func (b *bench) watchFinished(ctx context.Context, ns string) (<-chan finishedExecution, error) {
	w, err := b.openWatch(ctx, ns, "")
	if err != nil {
		return nil, err
	}
	out := make(chan finishedExecution, 16384)
	go func() {
		defer close(out)
		seen := map[string]bool{}
		lastVersion := ""
		for {
			for ev := range w.ResultChan() {
				at := time.Now()
				if ev.Type == watch.Error {
					status := apierrors.FromObject(ev.Object)
					if apierrors.IsResourceExpired(status) || apierrors.IsGone(status) {
						// Too old to resume from: start again from now; what finished in
						// between is caught by the seen set on the synthetic additions.
						lastVersion = ""
					}
					continue
				}
				exec, ok := ev.Object.(*runletv1.Execution)
				if !ok {
					continue
				}
				lastVersion = exec.ResourceVersion
				if !exec.Status.Phase.IsFinished() || seen[exec.Name] {
					continue
				}
				seen[exec.Name] = true
				select {
				case out <- finishedExecution{at: at, exec: exec}:
				case <-ctx.Done():
					w.Stop()
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			if w, err = b.openWatch(ctx, ns, lastVersion); err != nil {
				b.logf("watch of %s ended: %v", ns, err)
				return
			}
		}
	}()
	return out, nil
}

func (b *bench) openWatch(ctx context.Context, ns, version string) (watch.Interface, error) {
	w, err := b.plane.client.Watch(ctx, &runletv1.ExecutionList{}, client.InNamespace(ns),
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: version}})
	if err != nil {
		return nil, fmt.Errorf("watch executions: %w", err)
	}
	return w, nil
}

// awaitFinished waits for the Execution named name on a channel from watchFinished. Others
// that finish meanwhile are dropped: callers that want every one read the channel
// themselves.
func awaitFinished(ctx context.Context, finished <-chan finishedExecution, name string,
	limit time.Duration) (finishedExecution, error) {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case f, ok := <-finished:
			if !ok {
				return finishedExecution{}, fmt.Errorf("watch closed before %s finished", name)
			}
			if f.exec.Name == name {
				return f, nil
			}
		case <-timer.C:
			return finishedExecution{}, fmt.Errorf("%s did not finish within %s", name, limit)
		case <-ctx.Done():
			return finishedExecution{}, ctx.Err()
		}
	}
}
