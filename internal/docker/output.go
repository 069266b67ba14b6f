package docker

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// Names of the files that hold a container's complete streams in OutputSpec.Dir.
const (
	StdoutFile = "stdout.log"
	StderrFile = "stderr.log"
)

// capture copies one container's output, demultiplexed from the daemon's stream, into the
// stream files and the kept parts. Its fields are written by the copying goroutine and
// read by others only after done is closed.
//
// Its memory does not grow with the output: at most keepBytes per stream, plus, while
// the copy runs, stdcopy's frame buffer (32 KiB; it grows to the largest frame, and the
// daemon sends frames of at most 32 KiB) and the attach connection's read buffers (8 KiB).
// Rendering the kept text allocates about 2.5 x keepBytes per stream for a moment.
// BenchmarkContainerOutput1GiB measures it with 1 GiB of output.
type capture struct {
	containerID string
	labels      map[string]string
	keepBytes   int
	secrets     []string

	stdoutPath, stderrPath string
	stdout, stderr         *streamCapture
	files                  []*os.File

	// conn is the attach connection, closed to end the copy early when the container is
	// removed; nil for a read-back of the daemon's log.
	conn io.Closer
	done chan struct{}
	// err is set when the copy broke off before the end of the output.
	err       error
	forgotten atomic.Bool
}

// newCapture opens (and truncates) the stream files in spec.Dir; an empty Dir keeps no
// files. secrets are redacted from the kept text in addition to spec.Redact.
func newCapture(containerID string, labels map[string]string, spec OutputSpec,
	defaultKeep int, secrets []string) (*capture, error) {
	keep := spec.KeepBytes
	if keep <= 0 {
		keep = defaultKeep
	}
	cp := &capture{
		containerID: containerID,
		labels:      labels,
		keepBytes:   keep,
		secrets:     append(append([]string(nil), spec.Redact...), secrets...),
		done:        make(chan struct{}),
	}

	var stdoutFile, stderrFile io.Writer
	if spec.Dir != "" {
		if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("create output dir: %w", err)
		}
		cp.stdoutPath = filepath.Join(spec.Dir, StdoutFile)
		cp.stderrPath = filepath.Join(spec.Dir, StderrFile)
		for _, path := range []string{cp.stdoutPath, cp.stderrPath} {
			f, err := os.Create(path)
			if err != nil {
				cp.closeFiles()
				return nil, fmt.Errorf("create output file: %w", err)
			}
			cp.files = append(cp.files, f)
		}
		stdoutFile, stderrFile = cp.files[0], cp.files[1]
	}
	cp.stdout = newStreamCapture(stdoutFile, keep)
	cp.stderr = newStreamCapture(stderrFile, keep)
	return cp, nil
}

// copyFrom demultiplexes the daemon's stream until it ends, closes the files and marks
// the capture done. It returns why the copy broke off, or nil at the end of the output.
func (cp *capture) copyFrom(stream io.Reader) error {
	_, err := stdcopy.StdCopy(cp.stdout, cp.stderr, stream)
	if closeErr := cp.closeFiles(); err == nil && closeErr != nil {
		// The copy itself went through; a file that failed to close is reported the way
		// a failed write is, without making the kept output unusable.
		cp.stdout.fileErr = closeErr
	}
	cp.err = err
	close(cp.done)
	return err
}

func (cp *capture) closeFiles() error {
	var first error
	for _, f := range cp.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	cp.files = nil
	return first
}

// isDone reports whether the copy has ended.
func (cp *capture) isDone() bool {
	select {
	case <-cp.done:
		return true
	default:
		return false
	}
}

// output renders the kept text of a finished capture.
func (cp *capture) output(extraSecrets []string) Output {
	secrets := append(append([]string(nil), cp.secrets...), extraSecrets...)
	return Output{
		Stdout: cp.stdout.stream(cp.keepBytes, secrets, cp.stdoutPath),
		Stderr: cp.stderr.stream(cp.keepBytes, secrets, cp.stderrPath),
	}
}

// fileError returns the first failure to write a stream file, if any.
func (cp *capture) fileError() error {
	if cp.stdout.fileErr != nil {
		return cp.stdout.fileErr
	}
	return cp.stderr.fileErr
}

// Output returns the output of a finished container. A live capture of this process is
// rendered with the KeepBytes and Dir of the plan that Start got; spec.Redact is added to
// the plan's secrets. Without a usable live capture (the manager restarted, or the attach
// stream broke off) the output is read back from the daemon's log into spec.Dir, and
// whatever the program wrote beyond that log's retention (Options.LogMaxSize, one file)
// is lost: the files then start where the daemon's log starts, and Bytes counts only
// what was read back.
//
// A finished capture stays in memory (about 2 x KeepBytes) so that later calls agree,
// until Remove forgets it.
func (c *Client) Output(ctx context.Context, name string, spec OutputSpec) (Output, bool, error) {
	if out, done, ok := c.fromCapture(name, spec); ok {
		return out, done, nil
	}
	return c.readBack(ctx, name, spec)
}

// fromCapture answers from this process's capture of name. ok is false when there is no
// capture, or one that broke off, so the answer must come from the daemon's log.
func (c *Client) fromCapture(name string, spec OutputSpec) (out Output, done, ok bool) {
	c.mu.Lock()
	cp := c.captures[name]
	c.mu.Unlock()

	switch {
	case cp == nil:
		return Output{}, false, false
	case !cp.isDone():
		return Output{}, false, true
	case cp.err != nil:
		return Output{}, false, false
	default:
		return cp.output(spec.Redact), true, true
	}
}

// readBack reads a finished container's output from the daemon's log, keeps it as the
// container's capture so that later calls agree, and renders it.
func (c *Client) readBack(ctx context.Context, name string, spec OutputSpec) (Output, bool, error) {
	unlock := c.names.lock(name)
	defer unlock()

	// Another call may have read it back, or Start may have re-attached, while this one
	// waited for the lock.
	if out, done, ok := c.fromCapture(name, spec); ok {
		return out, done, nil
	}

	info, err := c.lookup(ctx, name)
	if err != nil {
		return Output{}, false, err
	}
	if info.State.Running {
		// Nothing captures this container in this process yet, and its output is not
		// final; Start re-attaches to it, or its end arrives as an event.
		return Output{}, false, nil
	}

	logs, err := c.api.ContainerLogs(ctx, info.ID, container.LogsOptions{
		ShowStdout: true,
		ShowStderr: true,
	})
	if err != nil {
		return Output{}, false, wrapAPIError("read container log", err)
	}
	defer logs.Close()

	var labels map[string]string
	if info.Config != nil {
		labels = info.Config.Labels
	}
	cp, err := newCapture(info.ID, labels, spec, c.opts.DefaultKeepBytes, nil)
	if err != nil {
		return Output{}, false, err
	}
	if err := cp.copyFrom(logs); err != nil {
		return Output{}, false, fmt.Errorf("read container log: %w", err)
	}
	if err := cp.fileError(); err != nil {
		return Output{}, false, fmt.Errorf("write output files: %w", err)
	}

	c.mu.Lock()
	c.captures[name] = cp
	c.mu.Unlock()
	return cp.output(nil), true, nil
}

// attachCapture attaches to the container's output (and stdin when stdin is not nil),
// starts copying it in the background and tracks the capture under name. withLogs makes
// the daemon replay the output it still holds before streaming, for a container that is
// already running.
func (c *Client) attachCapture(ctx context.Context, name, id string, labels map[string]string,
	spec OutputSpec, secrets []string, stdin *string, withLogs bool) error {
	conn, err := c.api.ContainerAttach(ctx, id, container.AttachOptions{
		Stream: true,
		Stdin:  stdin != nil,
		Stdout: true,
		Stderr: true,
		Logs:   withLogs,
	})
	if err != nil {
		return wrapAPIError("attach container", err)
	}
	cp, err := newCapture(id, labels, spec, c.opts.DefaultKeepBytes, secrets)
	if err != nil {
		conn.Close()
		return err
	}
	cp.conn = conn.Conn

	c.mu.Lock()
	if old := c.captures[name]; old != nil && old.conn != nil {
		old.forgotten.Store(true)
		_ = old.conn.Close()
	}
	c.captures[name] = cp
	c.mu.Unlock()

	go c.runCapture(name, cp, conn.Reader)
	if stdin != nil {
		// The text is written beside the copy, not before the start: a text larger than
		// the pipe buffer only drains once the program runs and reads it.
		go func() {
			// A program that exits without reading all of its stdin makes the write fail;
			// that is the program's choice and nothing to report.
			_, _ = io.WriteString(conn.Conn, *stdin)
			_ = conn.CloseWrite()
		}()
	}
	return nil
}

// runCapture copies a live attach stream and announces the end of the copy as an
// "output" event, since Output may have answered "not done" before.
func (c *Client) runCapture(name string, cp *capture, stream io.Reader) {
	err := cp.copyFrom(stream)
	if cp.forgotten.Load() {
		return
	}
	log := c.opts.Log.WithValues("container", name)
	if err != nil {
		log.Error(err, "output stream broke off; output will be read back from the daemon log")
	}
	if err := cp.fileError(); err != nil {
		log.Error(err, "output file incomplete")
	}
	c.broadcast(eventFor(cp.containerID, cp.labels, ActionOutput))
}

// forget drops what this process knows about the container named name and ends its live
// capture.
func (c *Client) forget(name string) {
	c.mu.Lock()
	cp := c.captures[name]
	delete(c.captures, name)
	delete(c.killed, name)
	c.mu.Unlock()

	if cp != nil {
		cp.forgotten.Store(true)
		if cp.conn != nil {
			_ = cp.conn.Close()
		}
	}
}
