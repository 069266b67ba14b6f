package docker

import (
	"context"
	"sync"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// Actions an Event carries besides the daemon's own ("die").
const (
	ActionDie    = "die"
	ActionResync = "resync"
	ActionOutput = "output"
	// ActionOOM is the daemon's report that the kernel's OOM killer hit a container.
	ActionOOM = "oom"
)

// eventBuffer lets the stream run a little ahead of a busy consumer.
const eventBuffer = 64

// Events follows the daemon's stream of managed containers that die, in one goroutine per
// call. When the stream breaks it reconnects with a doubling backoff and then sends a
// "resync" Event for every managed container, since endings during the gap are not
// replayed. The "output" Events of this process's captures arrive on the same channel,
// before or after the "die" of the same container: the two come from different streams.
//
// Captures never wait for the consumer: they queue their Event on the subscription, and
// the queue holds at most one Event per capture, so a slow consumer delays Events but
// never blocks a capture or loses one. The channel closes when ctx ends.
func (c *Client) Events(ctx context.Context) <-chan Event {
	out := make(chan Event, eventBuffer)
	sub := c.subscribe()
	go func() {
		defer close(out)
		defer c.unsubscribe(sub)
		c.followEvents(ctx, sub, out)
	}()
	return out
}

func (c *Client) followEvents(ctx context.Context, sub *subscription, out chan<- Event) {
	var (
		messages     <-chan events.Message
		streamErrs   <-chan error
		cancelStream = func() {}
		backoff      = c.opts.EventBackoff
		resync       = false
		reconnect    = time.NewTimer(0)
	)
	defer func() { cancelStream() }()
	defer reconnect.Stop()

	retryLater := func() {
		cancelStream()
		messages, streamErrs = nil, nil
		resync = true
		reconnect.Reset(backoff)
		backoff = min(backoff*2, maxEventBackoff)
	}

	for {
		select {
		case <-ctx.Done():
			return

		case <-sub.wake:
			for _, e := range sub.drain() {
				if !send(ctx, out, e) {
					return
				}
			}

		case <-reconnect.C:
			// The client library reads the negotiated API version in Events without
			// negotiating it first, so a versioned request must come before; it also keeps
			// the stream from being opened while the daemon does not answer.
			if _, err := c.api.ServerVersion(ctx); err != nil {
				c.opts.Log.V(1).Info("docker daemon does not answer; event stream waits", "error", err.Error())
				retryLater()
				continue
			}
			streamCtx, cancel := context.WithCancel(ctx)
			cancelStream = cancel
			messages, streamErrs = c.api.Events(streamCtx, events.ListOptions{Filters: filters.NewArgs(
				filters.Arg("type", string(events.ContainerEventType)),
				filters.Arg("event", ActionDie),
				filters.Arg("event", ActionOOM),
				filters.Arg("label", LabelManagedBy+"="+ManagedByValue),
			)})
			if !resync {
				continue
			}
			// The stream is subscribed before the list is taken, so an ending between the
			// two shows up at least once.
			managed, err := c.List(ctx)
			if err != nil {
				c.opts.Log.V(1).Info("resync after reconnect failed", "error", err.Error())
				retryLater()
				continue
			}
			for _, s := range managed {
				if !send(ctx, out, eventFor(s.ID, s.Labels, ActionResync)) {
					return
				}
			}
			resync = false
			backoff = c.opts.EventBackoff

		case m := <-messages:
			action := string(m.Action)
			if action == "" {
				action = m.Status // very old daemons fill only Status
			}
			if action == ActionOOM {
				c.markOOM(m.Actor.ID)
			}
			if !send(ctx, out, eventFor(m.Actor.ID, m.Actor.Attributes, action)) {
				return
			}

		case err := <-streamErrs:
			if ctx.Err() != nil {
				return
			}
			c.opts.Log.V(1).Info("event stream broke; reconnecting", "error", err.Error(),
				"backoff", backoff.String())
			retryLater()
		}
	}
}

func send(ctx context.Context, out chan<- Event, e Event) bool {
	select {
	case out <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// eventFor builds an Event from a container's labels (or an event's attributes, which
// carry the labels).
func eventFor(containerID string, labels map[string]string, action string) Event {
	return Event{
		ContainerID:  containerID,
		ExecutionUID: labels[LabelExecutionUID],
		Namespace:    labels[LabelNamespace],
		Name:         labels[LabelName],
		Action:       action,
	}
}

// subscription queues the Events of captures for one Events call.
type subscription struct {
	mu    sync.Mutex
	queue []Event
	wake  chan struct{}
}

func (s *subscription) push(e Event) {
	s.mu.Lock()
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscription) drain() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	queued := s.queue
	s.queue = nil
	return queued
}

func (c *Client) subscribe() *subscription {
	sub := &subscription{wake: make(chan struct{}, 1)}
	c.mu.Lock()
	c.subs[sub] = struct{}{}
	c.mu.Unlock()
	return sub
}

func (c *Client) unsubscribe(sub *subscription) {
	c.mu.Lock()
	delete(c.subs, sub)
	c.mu.Unlock()
}

// broadcast queues e for every open Events call. With none open it is dropped: an "output"
// Event only wakes a consumer, and Output answers whoever asks later.
func (c *Client) broadcast(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for sub := range c.subs {
		sub.push(e)
	}
}
