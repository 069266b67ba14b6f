package controllers

import (
	"sort"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Admission is the global cap on running containers. Executions wait in the order the API
// server reported their creation (creation time, then arrival), and a finished or deleted
// Execution hands its slot to the first one waiting.
//
// It lives in memory: after a restart it is seeded from the containers the daemon still
// runs, so the cap holds across restarts too.
type Admission struct {
	limit int
	// wake receives the key of the Execution that may start now; the controller watches it.
	wake chan types.NamespacedName

	mu      sync.Mutex
	arrived uint64
	waiting map[types.UID]waiter
	holding map[types.UID]struct{}
	seeded  bool
}

type waiter struct {
	key     types.NamespacedName
	created time.Time
	arrival uint64
}

// NewAdmission returns an Admission that lets limit containers run at once.
func NewAdmission(limit int) *Admission {
	return &Admission{
		limit:   max(limit, 1),
		wake:    make(chan types.NamespacedName, 1024),
		waiting: map[types.UID]waiter{},
		holding: map[types.UID]struct{}{},
	}
}

// Arrive records an Execution that will want a slot. Calling it again changes nothing.
func (a *Admission) Arrive(uid types.UID, key types.NamespacedName, created time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.holding[uid]; ok {
		return
	}
	if _, ok := a.waiting[uid]; ok {
		return
	}
	a.arrived++
	a.waiting[uid] = waiter{key: key, created: created, arrival: a.arrived}
}

// Seeded reports whether Seed has run.
func (a *Admission) Seeded() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seeded
}

// Seed marks the Executions whose containers already run as holding slots.
func (a *Admission) Seed(running []types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, uid := range running {
		a.holding[uid] = struct{}{}
		delete(a.waiting, uid)
	}
	a.seeded = true
}

// Hold marks an Execution whose container runs as holding a slot, even over the limit.
func (a *Admission) Hold(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.holding[uid] = struct{}{}
	delete(a.waiting, uid)
}

// TryAcquire gives uid a slot when uid is among the first in line, as many as there are
// free slots. It returns the Execution's place in the line (0 when admitted). Letting only
// the very first take a slot would leave free slots idle whenever the one ahead has not
// come to ask yet, and nothing would wake the ones behind it.
func (a *Admission) TryAcquire(uid types.UID) (admitted bool, position int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.holding[uid]; ok {
		return true, 0
	}
	line := a.lineLocked()
	position = len(line) + 1
	for i, w := range line {
		if w == uid {
			position = i + 1
		}
	}
	if position > a.limit-len(a.holding) {
		return false, position
	}
	delete(a.waiting, uid)
	a.holding[uid] = struct{}{}
	return true, 0
}

// Release frees uid's slot (or its place in line) and wakes the next ones waiting.
func (a *Admission) Release(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, held := a.holding[uid]
	delete(a.holding, uid)
	delete(a.waiting, uid)
	if !held {
		return
	}
	free := a.limit - len(a.holding)
	for _, next := range a.lineLocked() {
		if free <= 0 {
			break
		}
		select {
		case a.wake <- a.waiting[next].key:
		default:
			// The controller is behind; the waiting ones also look again on their own.
		}
		free--
	}
}

// Counts returns how many hold a slot and how many wait, for the gauges.
func (a *Admission) Counts() (running, queued int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.holding), len(a.waiting)
}

// Wake is the channel of Executions that may start now.
func (a *Admission) Wake() <-chan types.NamespacedName {
	return a.wake
}

func (a *Admission) lineLocked() []types.UID {
	line := make([]types.UID, 0, len(a.waiting))
	for uid := range a.waiting {
		line = append(line, uid)
	}
	sort.Slice(line, func(i, j int) bool {
		wi, wj := a.waiting[line[i]], a.waiting[line[j]]
		if !wi.created.Equal(wj.created) {
			return wi.created.Before(wj.created)
		}
		return wi.arrival < wj.arrival
	})
	return line
}
