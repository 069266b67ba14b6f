package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/go-logr/logr"
)

// Defaults for the zero values of Options and of the per-plan limits.
const (
	DefaultPidsLimit    = 256
	DefaultKeepBytes    = 64 << 10
	DefaultLogMaxSize   = "1m"
	DefaultPullTimeout  = 5 * time.Minute
	defaultEventBackoff = 500 * time.Millisecond
	maxEventBackoff     = 30 * time.Second
)

// Options tune a Client. The zero value is ready to use.
type Options struct {
	// DefaultPidsLimit applies to a plan whose Limits.PidsLimit is zero; zero means 256.
	DefaultPidsLimit int64
	// DefaultKeepBytes applies to an OutputSpec whose KeepBytes is zero; zero means 64 KiB.
	DefaultKeepBytes int
	// LogMaxSize caps the daemon's own log of each container (json-file max-size, one
	// file). runlet captures the output itself, so this copy only serves to read output
	// back after the manager restarted; zero means "1m".
	LogMaxSize string
	// PullTimeout bounds the pull of an image that the daemon lacks; zero means 5 minutes.
	PullTimeout time.Duration
	// EventBackoff is the first wait before the event stream reconnects; it doubles up to
	// 30s. Zero means 500ms.
	EventBackoff time.Duration
	// Log receives what the Client cannot return to a caller, such as a capture whose
	// log file could not be written. The zero value discards it.
	Log logr.Logger
}

func (o Options) withDefaults() Options {
	if o.DefaultPidsLimit == 0 {
		o.DefaultPidsLimit = DefaultPidsLimit
	}
	if o.DefaultKeepBytes == 0 {
		o.DefaultKeepBytes = DefaultKeepBytes
	}
	if o.LogMaxSize == "" {
		o.LogMaxSize = DefaultLogMaxSize
	}
	if o.PullTimeout == 0 {
		o.PullTimeout = DefaultPullTimeout
	}
	if o.EventBackoff == 0 {
		o.EventBackoff = defaultEventBackoff
	}
	if o.Log.GetSink() == nil {
		o.Log = logr.Discard()
	}
	return o
}

// Client is the Runtime backed by a Docker daemon. It keeps, per container name, the live
// output capture and whether this process killed it; that state is lost when the process
// ends, which Output and Start make up for by reading back from the daemon.
type Client struct {
	api  *client.Client
	opts Options

	names nameLocks

	mu       sync.Mutex
	captures map[string]*capture
	killed   map[string]bool
	// oomed holds the IDs of containers the daemon reported an "oom" event for. Docker
	// 20.10 sometimes sends that event after "die" and leaves State.OOMKilled false.
	oomed map[string]bool
	subs  map[*subscription]struct{}
}

var _ Runtime = (*Client)(nil)

// New connects to the daemon at host ("unix:///path" or "tcp://host:port"), or to the one
// that DOCKER_HOST and the other DOCKER_* variables name when host is empty. The API
// version is negotiated, so older daemons work. No request is made until first use; call
// Ping to find out whether the daemon answers.
func New(host string, opts Options) (*Client, error) {
	clientOpts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		clientOpts = append(clientOpts, client.WithHost(host))
	}
	api, err := client.NewClientWithOpts(clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("create docker client: %w", err)
	}
	return &Client{
		api:      api,
		opts:     opts.withDefaults(),
		captures: map[string]*capture{},
		killed:   map[string]bool{},
		oomed:    map[string]bool{},
		subs:     map[*subscription]struct{}{},
	}, nil
}

// Close releases the client's idle connections. Live captures keep their own connections
// and go on until their containers end.
func (c *Client) Close() error {
	return c.api.Close()
}

// Ping reports whether the daemon answers.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.api.Ping(ctx); err != nil {
		return wrapAPIError("ping docker daemon", err)
	}
	return nil
}

// lookup inspects the container named name. The daemon also accepts an ID prefix where a
// name is expected, so the answer is checked to carry that exact name: a name that is
// missing must never resolve to some other container.
func (c *Client) lookup(ctx context.Context, name string) (container.InspectResponse, error) {
	info, err := c.api.ContainerInspect(ctx, name)
	if err != nil {
		return container.InspectResponse{}, wrapAPIError("inspect container", err)
	}
	if info.ContainerJSONBase == nil || strings.TrimPrefix(info.Name, "/") != name {
		return container.InspectResponse{}, fmt.Errorf("inspect container %s: %w", name, ErrNotFound)
	}
	return info, nil
}

// wrapAPIError adds op to err and marks the two conditions callers branch on: an
// unreachable daemon and a missing object.
func wrapAPIError(op string, err error) error {
	switch {
	case isConnectionError(err):
		return fmt.Errorf("%s: %w: %w", op, ErrDaemonUnavailable, err)
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%s: %w: %w", op, ErrNotFound, err)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}

// isConnectionError reports whether err means the daemon could not be reached. The client
// marks failed requests itself, but the hijacked connections of attach are dialled apart
// from that and surface as plain dial errors.
func isConnectionError(err error) bool {
	if client.IsErrConnectionFailed(err) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// nameLocks serialises the operations on one container name (create, attach, the read-back
// of logs) while letting different names proceed in parallel.
type nameLocks struct {
	mu   sync.Mutex
	held map[string]*nameLock
}

type nameLock struct {
	sync.Mutex
	users int
}

func (l *nameLocks) lock(name string) (unlock func()) {
	l.mu.Lock()
	if l.held == nil {
		l.held = map[string]*nameLock{}
	}
	entry := l.held[name]
	if entry == nil {
		entry = &nameLock{}
		l.held[name] = entry
	}
	entry.users++
	l.mu.Unlock()

	entry.Lock()
	return func() {
		entry.Unlock()
		l.mu.Lock()
		entry.users--
		if entry.users == 0 {
			delete(l.held, name)
		}
		l.mu.Unlock()
	}
}
