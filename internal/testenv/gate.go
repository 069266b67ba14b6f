package testenv

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// DaemonGate is a unix socket in front of the real Docker daemon that a test can close
// and open again, so that a manager sees the daemon go away and come back. While closed
// it refuses new connections and has cut the ones that were open, as a stopped daemon
// would; while open it passes bytes through unchanged.
type DaemonGate struct {
	// Host is the address to give a manager as its Docker host.
	Host string

	listener net.Listener
	target   string

	mu     sync.Mutex
	open   bool
	conns  map[net.Conn]struct{}
	closed bool
}

// NewDaemonGate listens on a socket in dir in front of the daemon that DOCKER_HOST names,
// or the default socket. The gate starts closed.
func NewDaemonGate(dir string) (*DaemonGate, error) {
	target := "/var/run/docker.sock"
	if host := os.Getenv("DOCKER_HOST"); host != "" {
		path, ok := strings.CutPrefix(host, "unix://")
		if !ok {
			return nil, errors.New("a daemon gate needs a unix socket DOCKER_HOST")
		}
		target = path
	}
	socket := filepath.Join(dir, "gate.sock")
	listener, err := net.Listen("unix", socket)
	if err != nil {
		return nil, err
	}
	g := &DaemonGate{Host: "unix://" + socket, listener: listener, target: target,
		conns: map[net.Conn]struct{}{}}
	go g.serve()
	return g, nil
}

// Open lets connections through to the daemon.
func (g *DaemonGate) Open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = true
}

// Shut refuses new connections and cuts the open ones.
func (g *DaemonGate) Shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = false
	for c := range g.conns {
		_ = c.Close()
	}
}

// Close stops the gate for good.
func (g *DaemonGate) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.Shut()
	_ = g.listener.Close()
}

func (g *DaemonGate) serve() {
	for {
		client, err := g.listener.Accept()
		if err != nil {
			return
		}
		go g.pass(client)
	}
}

// pass joins one client connection to a new connection to the daemon, when the gate is
// open; otherwise it hangs up at once.
func (g *DaemonGate) pass(client net.Conn) {
	g.mu.Lock()
	if !g.open || g.closed {
		g.mu.Unlock()
		_ = client.Close()
		return
	}
	g.mu.Unlock()

	daemon, err := net.Dial("unix", g.target)
	if err != nil {
		_ = client.Close()
		return
	}
	g.mu.Lock()
	if !g.open {
		g.mu.Unlock()
		_ = client.Close()
		_ = daemon.Close()
		return
	}
	g.conns[client], g.conns[daemon] = struct{}{}, struct{}{}
	g.mu.Unlock()

	done := make(chan struct{}, 2)
	copyThenSignal := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go copyThenSignal(daemon, client)
	go copyThenSignal(client, daemon)
	<-done
	_ = client.Close()
	_ = daemon.Close()
	<-done

	g.mu.Lock()
	delete(g.conns, client)
	delete(g.conns, daemon)
	g.mu.Unlock()
}
