package controllers

import (
	"context"
	"fmt"
	"slices"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
	"github.com/runlet-dev/runlet/internal/workspace"
)

// Sweep removes, once at start-up, the containers and directories of Executions that were
// deleted while no manager was running. It runs only on the leader.
type Sweep struct {
	Reader  client.Reader
	Runtime docker.Runtime
	Layout  workspace.Layout
	Log     logr.Logger
	// Namespaces limits the sweep to containers of these namespaces; empty means all.
	Namespaces []string
}

// Start implements manager.Runnable. A failed sweep is logged and not retried: what it
// missed is swept at the next start.
func (s *Sweep) Start(ctx context.Context) error {
	removed, err := s.run(ctx)
	if err != nil {
		s.Log.Error(err, "start-up sweep failed")
		return nil
	}
	s.Log.Info("start-up sweep done", "removed", removed)
	return nil
}

func (s *Sweep) run(ctx context.Context) (int, error) {
	// Containers are listed before Executions: a container only exists after its
	// Execution, so any container whose Execution is alive is known by then.
	containers, err := s.Runtime.List(ctx)
	if err != nil {
		return 0, fmt.Errorf("list containers: %w", err)
	}
	dirs, err := s.Layout.ExecutionUIDs()
	if err != nil {
		return 0, err
	}
	var list runletv1.ExecutionList
	if err := s.Reader.List(ctx, &list); err != nil {
		return 0, fmt.Errorf("list executions: %w", err)
	}
	alive := sets.New[string]()
	for _, e := range list.Items {
		alive.Insert(string(e.UID))
	}

	removed := 0
	for _, c := range containers {
		ns := c.Labels[docker.LabelNamespace]
		if len(s.Namespaces) > 0 && !slices.Contains(s.Namespaces, ns) {
			continue
		}
		if uid := c.Labels[docker.LabelExecutionUID]; !alive.Has(uid) {
			if err := s.Runtime.Remove(ctx, c.Name); err != nil {
				return removed, fmt.Errorf("remove container %s: %w", c.Name, err)
			}
			removed++
		}
	}
	for _, uid := range dirs {
		if !alive.Has(uid) {
			if err := s.Layout.Remove(uid); err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}
