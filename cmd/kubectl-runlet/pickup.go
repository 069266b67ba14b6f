package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// defaultPickupNoticeAfter is how long `run` waits for a runlet controller to give a new
// Execution a phase before it says that none has. A manager that runs gives one within a
// second or two, so ten leave room for a slow API server without a false alarm.
const defaultPickupNoticeAfter = 10 * time.Second

// pickupNotice says once, on stderr, that no runlet controller has given an Execution a
// phase after a while. Nothing else would tell a user whose namespace no runlet manager
// looks after, and whose stderr is no terminal, why the wait does not end. It only speaks;
// the wait goes on, since a manager may yet start.
type pickupNotice struct {
	mu     sync.Mutex
	out    io.Writer
	picked bool
	done   bool
	timer  *time.Timer
}

// startPickupNotice arms the notice for key; after 0 or less leaves it off.
func startPickupNotice(out io.Writer, key types.NamespacedName, after time.Duration) *pickupNotice {
	n := &pickupNotice{out: out}
	if after <= 0 {
		return n
	}
	n.timer = time.AfterFunc(after, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if !n.picked && !n.done {
			fmt.Fprintln(n.out, notPickedUpLine(key, after))
		}
	})
	return n
}

// watching wraps the callback that sees each version of the Execution: a version with a
// phase disarms the notice. Both write to the same stream, so they take turns.
func (n *pickupNotice) watching(seen func(*runletv1.Execution)) func(*runletv1.Execution) {
	return func(exec *runletv1.Execution) {
		n.mu.Lock()
		defer n.mu.Unlock()
		if exec.Status.Phase != "" {
			n.picked = true
		}
		seen(exec)
	}
}

// stop disarms the notice for good, so that it cannot come after what the wait printed.
func (n *pickupNotice) stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.done = true
	if n.timer != nil {
		n.timer.Stop()
	}
}

func notPickedUpLine(key types.NamespacedName, after time.Duration) string {
	return fmt.Sprintf("runlet has not picked up %s after %s: is a runlet manager running "+
		"for namespace %s?", key.Name, after, key.Namespace)
}
