package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// errDeleted means the Execution was deleted before it finished.
var errDeleted = errors.New("the Execution was deleted before it finished")

// rewatchPause keeps a watch that the server keeps closing at once from turning into a
// busy loop.
const rewatchPause = time.Second

// waitFinished follows one Execution with a watch until it has finished, calling seen with
// every version it receives, and returns the finished Execution. When the watch ends early
// (the server closes watches after a while, or the version it started from is too old),
// it reads the object again and goes on watching from there; an object gone by then was
// deleted.
func waitFinished(ctx context.Context, c client.WithWatch, key types.NamespacedName,
	seen func(*runletv1.Execution)) (*runletv1.Execution, error) {
	for reads := 0; ; reads++ {
		exec := &runletv1.Execution{}
		err := c.Get(ctx, key, exec)
		if reads > 0 && apierrors.IsNotFound(err) {
			return nil, errDeleted
		}
		if err != nil {
			return nil, fmt.Errorf("get execution %s: %w", key.Name, err)
		}
		seen(exec)
		if exec.Status.Phase.IsFinished() {
			return exec, nil
		}

		started := time.Now()
		done, err := watchUntilFinished(ctx, c, exec, seen)
		if done != nil || err != nil {
			return done, err
		}
		if time.Since(started) < rewatchPause {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(rewatchPause):
			}
		}
	}
}

// watchUntilFinished watches exec from its resource version. It returns the finished
// Execution, or nil and no error when the watch ended before it finished.
func watchUntilFinished(ctx context.Context, c client.WithWatch, exec *runletv1.Execution,
	seen func(*runletv1.Execution)) (*runletv1.Execution, error) {
	w, err := c.Watch(ctx, &runletv1.ExecutionList{}, &client.ListOptions{
		Namespace:     exec.Namespace,
		FieldSelector: fields.OneTermEqualSelector("metadata.name", exec.Name),
		Raw:           &metav1.ListOptions{ResourceVersion: exec.ResourceVersion},
	})
	if err != nil {
		return nil, fmt.Errorf("watch execution %s: %w", exec.Name, err)
	}
	defer w.Stop()

	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil, nil
			}
			switch ev.Type {
			case watch.Deleted:
				return nil, errDeleted
			case watch.Error:
				// An expired resource version or a server-side timeout: read again.
				return nil, nil
			case watch.Added, watch.Modified:
				got, isExec := ev.Object.(*runletv1.Execution)
				if !isExec {
					continue
				}
				seen(got)
				if got.Status.Phase.IsFinished() {
					return got, nil
				}
			}
		}
	}
}
