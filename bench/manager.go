package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// managerProcess is the manager binary running as its own process, as in production, so
// that its memory and CPU can be read from /proc without the benchmark's own.
type managerProcess struct {
	cmd         *exec.Cmd
	logPath     string
	metricsAddr string
	probeAddr   string
	exited      chan struct{}
	waitErr     error
}

// startManager runs the manager for namespaces and waits until it is ready.
func (b *bench) startManager(ctx context.Context, namespaces ...string) (*managerProcess, error) {
	metricsAddr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	probeAddr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	m := &managerProcess{
		logPath:     filepath.Join(b.dir, fmt.Sprintf("manager-%d.log", len(b.managers)+1)),
		metricsAddr: metricsAddr,
		probeAddr:   probeAddr,
		exited:      make(chan struct{}),
	}
	logFile, err := os.Create(m.logPath)
	if err != nil {
		return nil, fmt.Errorf("create manager log: %w", err)
	}
	defer logFile.Close()

	args := []string{
		"--workspace-root", b.workspace,
		"--max-running", strconv.Itoa(b.cfg.maxRunning),
		"--languages", b.languages,
		"--metrics-bind-address", metricsAddr,
		"--health-probe-bind-address", probeAddr,
		"--namespaces", strings.Join(namespaces, ","),
	}
	m.cmd = exec.Command(b.cfg.managerBin, append(args, strings.Fields(b.cfg.extraFlags)...)...)
	m.cmd.Env = append(os.Environ(), "KUBECONFIG="+b.plane.kubeconfig)
	m.cmd.Stdout, m.cmd.Stderr = logFile, logFile
	// The manager dies with the benchmark, even when the benchmark itself is killed.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start manager: %w", err)
	}
	b.managers = append(b.managers, m)
	go func() {
		m.waitErr = m.cmd.Wait()
		close(m.exited)
	}()

	if err := m.waitReady(ctx, time.Minute); err != nil {
		return nil, fmt.Errorf("%w; manager log:\n%s", err, m.logTail(2000))
	}
	return m, nil
}

func (m *managerProcess) pid() int { return m.cmd.Process.Pid }

// waitReady polls the readiness endpoint, which answers once the daemon does.
func (m *managerProcess) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	url := "http://" + m.probeAddr + "/readyz"
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-m.exited:
			return fmt.Errorf("manager exited before it was ready: %v", m.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("manager not ready: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// metrics scrapes the manager's Prometheus endpoint.
func (m *managerProcess) metrics(ctx context.Context) (metricSamples, error) {
	url := "http://" + m.metricsAddr + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape manager metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape manager metrics: %w", err)
	}
	return parseMetrics(string(body)), nil
}

// waitSettled waits until the controller has reconciled at least want times and its queue
// has stayed empty for two scrapes in a row.
func (m *managerProcess) waitSettled(ctx context.Context, want float64, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	quiet := 0
	var reconciles float64
	for quiet < 2 {
		select {
		case <-m.exited:
			return fmt.Errorf("manager exited: %v", m.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("manager did not settle (%.0f of %.0f reconciles): %w",
				reconciles, want, ctx.Err())
		case <-time.After(time.Second):
		}
		samples, err := m.metrics(ctx)
		if err != nil {
			return err
		}
		reconciles = samples.sum("controller_runtime_reconcile_total", `controller="execution"`)
		depth := samples.sum("workqueue_depth", `name="execution"`)
		if reconciles >= want && depth == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
	return nil
}

// stop asks the manager to end (SIGTERM) and kills it when it has not after 20 s.
func (m *managerProcess) stop() error {
	select {
	case <-m.exited:
		return nil
	default:
	}
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop manager: %w", err)
	}
	select {
	case <-m.exited:
		return nil
	case <-time.After(20 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
		return fmt.Errorf("manager did not stop within 20s of SIGTERM and was killed")
	}
}

// logTail returns the last n bytes of the manager's log.
func (m *managerProcess) logTail(n int) string {
	data, err := os.ReadFile(m.logPath)
	if err != nil {
		return err.Error()
	}
	return string(data[max(0, len(data)-n):])
}

// freeAddress returns a loopback address with a port nothing listens on right now.
func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
