package docker

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nextEvent waits for the first Event on events that match accepts.
func nextEvent(t *testing.T, events <-chan Event, accept func(Event) bool) Event {
	t.Helper()
	timeout := time.After(runTimeout)
	for {
		select {
		case e, ok := <-events:
			require.True(t, ok, "the event channel closed early")
			if accept(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("no matching event within %s", runTimeout)
		}
	}
}

func TestEventsReportTheEndAndTheCompleteOutputOfAContainer(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := c.Events(ctx)
	awaitStream(t, c, events)
	plan := newPlan(t, c, busyboxImage, "sh", "-c", "echo bye; exit 3")

	state, err := c.Start(ctx, plan)
	require.NoError(t, err)

	// The two come in either order: the capture may drain before the daemon reports the
	// end, or after.
	seen := map[string]Event{}
	for len(seen) < 2 {
		e := nextEvent(t, events, func(e Event) bool { return e.ContainerID == state.ID })
		require.NotContains(t, seen, e.Action, "one event of each kind")
		seen[e.Action] = e
	}
	for _, action := range []string{ActionDie, ActionOutput} {
		require.Contains(t, seen, action)
		assert.Equal(t, plan.Labels[LabelExecutionUID], seen[action].ExecutionUID)
		assert.Equal(t, "test", seen[action].Namespace)
		assert.Equal(t, plan.Name, seen[action].Name)
	}

	out, done, err := c.Output(ctx, plan.Name, plan.Output)
	require.NoError(t, err)
	assert.True(t, done, "after the output event the output is complete")
	assert.Equal(t, "bye\n", out.Stdout.Kept)

	cancel()
	for range events {
	}
}

// flakyProxy forwards a unix socket to the daemon's address (a unix socket or a TCP port)
// and can break every connection at once, as a daemon restart or a network hiccup would.
type flakyProxy struct {
	listener net.Listener
	mu       sync.Mutex
	conns    []net.Conn
}

func newFlakyProxy(t *testing.T, network, address string) *flakyProxy {
	t.Helper()
	listener, err := net.Listen("unix", filepath.Join(t.TempDir(), "docker.sock"))
	require.NoError(t, err)
	p := &flakyProxy{listener: listener}
	t.Cleanup(func() { _ = listener.Close(); p.breakAll() })
	go func() {
		for {
			in, err := listener.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial(network, address)
			if err != nil {
				_ = in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
			go func() { _, _ = io.Copy(in, out); _ = in.Close() }()
		}
	}()
	return p
}

func (p *flakyProxy) breakAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, conn := range p.conns {
		_ = conn.Close()
	}
	p.conns = nil
}

func TestEventsResyncEveryManagedContainerAfterTheStreamBreaks(t *testing.T) {
	t.Parallel()
	direct := newTestClient(t)
	daemon, err := client.ParseHostURL(direct.api.DaemonHost())
	require.NoError(t, err)
	// The proxy passes bytes through, so it stands in front of a unix socket or a plain
	// TCP port alike. Over TLS the client would check the daemon's certificate against
	// the proxy's local address, which the certificate cannot name.
	if os.Getenv(client.EnvOverrideCertPath) != "" {
		t.Skipf("the daemon at %s is reached over TLS (%s is set), and its certificate "+
			"cannot name the local proxy this test puts in between",
			direct.api.DaemonHost(), client.EnvOverrideCertPath)
	}
	require.Contains(t, []string{"unix", "tcp"}, daemon.Scheme,
		"the daemon at %s is reached neither through a unix socket nor over TCP",
		direct.api.DaemonHost())
	proxy := newFlakyProxy(t, daemon.Scheme, daemon.Host)
	c, err := New("unix://"+proxy.listener.Addr().String(),
		Options{EventBackoff: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	plan := newPlan(t, direct, busyboxImage, "true")
	state, _ := run(t, direct, plan)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := c.Events(ctx)
	require.NoError(t, c.Ping(ctx))
	awaitStream(t, direct, events)

	proxy.breakAll()

	resync := nextEvent(t, events, func(e Event) bool {
		return e.ContainerID == state.ID && e.Action == ActionResync
	})
	assert.Equal(t, plan.Labels[LabelExecutionUID], resync.ExecutionUID)
	assert.Equal(t, plan.Name, resync.Name)

	// The stream works again after the resync.
	awaitStream(t, direct, events)
}

// awaitStream returns once the end of a probe container comes through events, which
// shows the daemon's stream is subscribed. The daemon does not replay events from before
// the subscription, so probes run until one is seen.
func awaitStream(t *testing.T, c *Client, events <-chan Event) {
	t.Helper()
	for range 10 {
		probe := newPlan(t, c, busyboxImage, "true")
		state, _ := run(t, c, probe)
		timeout := time.After(5 * time.Second)
		for {
			select {
			case e := <-events:
				if e.ContainerID == state.ID && e.Action == ActionDie {
					return
				}
				continue
			case <-timeout:
			}
			break
		}
	}
	t.Fatal("the event stream never delivered the end of a probe container")
}

func TestEventsChannelClosesWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	events := c.Events(ctx)
	cancel()

	select {
	case _, ok := <-events:
		for ok {
			_, ok = <-events
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the event channel did not close")
	}
}

func TestEventsKeepReconnectingWhileTheDaemonIsUnreachable(t *testing.T) {
	t.Parallel()
	c, err := New("unix://"+filepath.Join(t.TempDir(), "missing.sock"),
		Options{EventBackoff: 10 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()

	events := c.Events(ctx)
	for e := range events {
		t.Fatalf("no event can come from an unreachable daemon, got %+v", e)
	}
	assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded, "the channel closed only when ctx ended")
}
