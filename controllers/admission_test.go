package controllers

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/types"
)

// arriveAll lines up Executions named by their UIDs, one second apart in creation.
func arriveAll(a *Admission, uids ...types.UID) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, uid := range uids {
		a.Arrive(uid, types.NamespacedName{Namespace: "ns", Name: string(uid)},
			created.Add(time.Duration(i)*time.Second))
	}
}

func TestFreeSlotsGoToTheFirstInLineWhicheverAsksFirst(t *testing.T) {
	a := NewAdmission(2)
	arriveAll(a, "a", "b", "c")

	admitted, _ := a.TryAcquire("b")
	assert.True(t, admitted, "b is within the first two in line, so it need not wait for a")
	admitted, position := a.TryAcquire("c")
	assert.False(t, admitted, "one slot is left, and a is ahead of c")
	assert.Equal(t, 2, position)
	admitted, _ = a.TryAcquire("a")
	assert.True(t, admitted)

	running, queued := a.Counts()
	assert.Equal(t, 2, running)
	assert.Equal(t, 1, queued)
}

func TestAReleasedSlotWakesTheNextInLine(t *testing.T) {
	a := NewAdmission(1)
	arriveAll(a, "a", "b", "c")
	admitted, _ := a.TryAcquire("a")
	assert.True(t, admitted)
	admitted, _ = a.TryAcquire("c")
	assert.False(t, admitted)

	a.Release("a")
	select {
	case key := <-a.Wake():
		assert.Equal(t, "b", key.Name, "the first waiting is woken, not the last that asked")
	default:
		assert.Fail(t, "nobody was woken")
	}
	admitted, _ = a.TryAcquire("c")
	assert.False(t, admitted, "c stays behind b")
	admitted, _ = a.TryAcquire("b")
	assert.True(t, admitted)
}

func TestARunningContainerHoldsItsSlotEvenOverTheLimit(t *testing.T) {
	a := NewAdmission(1)
	a.Seed([]types.UID{"old-1", "old-2"})
	arriveAll(a, "new")
	admitted, _ := a.TryAcquire("new")
	assert.False(t, admitted)
	a.Release("old-1")
	admitted, _ = a.TryAcquire("new")
	assert.False(t, admitted, "old-2 still fills the one slot")
	a.Release("old-2")
	admitted, _ = a.TryAcquire("new")
	assert.True(t, admitted)
}
