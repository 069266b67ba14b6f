package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/types"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

var pickupKey = types.NamespacedName{Namespace: "team-a", Name: "run-x7k2p"}

// printed is what the notice wrote so far, read while it cannot write.
func printed(n *pickupNotice, out *bytes.Buffer) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return out.String()
}

func TestPickupNoticeSpeaksOnceWhenNoPhaseCameInTime(t *testing.T) {
	var out bytes.Buffer
	n := startPickupNotice(&out, pickupKey, 10*time.Millisecond)
	seen := n.watching(func(*runletv1.Execution) {})
	seen(named(runletv1.ExecutionStatus{}))

	want := "runlet has not picked up run-x7k2p after 10ms: is a runlet manager running for " +
		"namespace team-a?\n"
	assert.Eventually(t, func() bool { return printed(n, &out) == want },
		5*time.Second, 5*time.Millisecond, "got %q", printed(n, &out))
	n.stop()
	assert.Equal(t, want, printed(n, &out))
}

func TestPickupNoticeStaysQuietOnceAPhaseIsSeenOrTheWaitEnded(t *testing.T) {
	const after = 20 * time.Millisecond
	var picked, stopped, off bytes.Buffer

	p := startPickupNotice(&picked, pickupKey, after)
	p.watching(func(*runletv1.Execution) {})(named(runletv1.ExecutionStatus{
		Phase: runletv1.PhasePending, Reason: runletv1.ReasonQueued}))
	s := startPickupNotice(&stopped, pickupKey, after)
	s.stop()
	o := startPickupNotice(&off, pickupKey, 0)

	time.Sleep(10 * after)
	assert.Empty(t, printed(p, &picked), "a phase was seen")
	assert.Empty(t, printed(s, &stopped), "the wait ended")
	assert.Empty(t, printed(o, &off), "the notice is off")
	p.stop()
}
