package controllers

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// writtenPhases remembers, per Execution, the phase that this manager's last status write
// moved it to, until the cache shows that phase.
//
// The cache lags behind the manager's own writes. A pass that runs in that gap (woken by
// the finalizer patch, by the short requeue after an ending is recorded, or by a container
// event) would read the older phase and do the step again: start the container once more,
// which rewrites the program's files while it runs, or record the ending twice, each time
// with a second status write and a second Event. Such a pass is skipped instead and looks
// again a moment later.
type writtenPhases struct {
	mu    sync.Mutex
	phase map[types.UID]runletv1.Phase
}

// remember records that a status write moved the Execution to phase.
func (w *writtenPhases) remember(uid types.UID, phase runletv1.Phase) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.phase == nil {
		w.phase = map[types.UID]runletv1.Phase{}
	}
	w.phase[uid] = phase
}

// behind reports whether exec, as read, shows an earlier phase than this manager wrote.
// Once the cache has caught up the Execution is forgotten.
func (w *writtenPhases) behind(exec *runletv1.Execution) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	written, ok := w.phase[exec.UID]
	if !ok {
		return false
	}
	if phaseRank[exec.Status.Phase] < phaseRank[written] {
		return true
	}
	delete(w.phase, exec.UID)
	return false
}

// forget drops what is known about an Execution that is going away.
func (w *writtenPhases) forget(uid types.UID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.phase, uid)
}
