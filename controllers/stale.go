package controllers

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// writtenPhases remembers, per Execution, the phase and reason that this manager's last
// status write moved it to, until the cache shows them.
//
// The cache lags behind the manager's own writes. A pass that runs in that gap (woken by
// the finalizer patch, by the short requeue after an ending is recorded, or by a container
// event) would read the older status and do the step again: start the container once more,
// which rewrites the program's files while it runs, record the ending twice, each time
// with a second status write and a second Event, or announce a build it should now run.
// Such a pass is skipped instead and looks again a moment later.
type writtenPhases struct {
	mu      sync.Mutex
	written map[types.UID]writtenStatus
}

type writtenStatus struct {
	phase  runletv1.Phase
	reason runletv1.Reason
}

// remember records that a status write moved the Execution to phase and reason.
func (w *writtenPhases) remember(uid types.UID, phase runletv1.Phase, reason runletv1.Reason) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.written == nil {
		w.written = map[types.UID]writtenStatus{}
	}
	w.written[uid] = writtenStatus{phase, reason}
}

// behind reports whether exec, as read, shows an earlier phase than this manager wrote,
// or the same phase with another reason. Once the cache has caught up the Execution is
// forgotten.
func (w *writtenPhases) behind(exec *runletv1.Execution) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	written, ok := w.written[exec.UID]
	if !ok {
		return false
	}
	read := phaseRank[exec.Status.Phase]
	if read < phaseRank[written.phase] ||
		(read == phaseRank[written.phase] && exec.Status.Reason != written.reason) {
		return true
	}
	delete(w.written, exec.UID)
	return false
}

// forget drops what is known about an Execution that is going away.
func (w *writtenPhases) forget(uid types.UID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.written, uid)
}
