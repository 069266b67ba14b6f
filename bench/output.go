package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
)

// output runs one Execution that writes outputBytes to stdout on a fresh manager and
// compares the manager's peak resident memory (VmHWM) before and after.
func (b *bench) output(ctx context.Context, rep *report) error {
	ns, m, finished, err := b.setUp(ctx, "output")
	if err != nil {
		return err
	}
	if err := m.waitSettled(ctx, 0, time.Minute); err != nil {
		return err
	}
	before, err := readMemory(m.pid())
	if err != nil {
		return err
	}

	n := b.cfg.outputBytes
	exec := &runletv1.Execution{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "output"},
		Spec: runletv1.ExecutionSpec{
			Language:       "sh",
			Code:           fmt.Sprintf("head -c %d /dev/zero\n", n),
			TimeoutSeconds: 3600,
		},
	}
	start := time.Now()
	if err := b.plane.client.Create(ctx, exec); err != nil {
		return fmt.Errorf("create execution: %w", err)
	}
	f, err := awaitFinished(ctx, finished, exec.Name, 30*time.Minute)
	if err != nil {
		return err
	}
	took := f.at.Sub(start)
	after, err := readMemory(m.pid())
	if err != nil {
		return err
	}
	if err := checkBigOutput(f.exec, n); err != nil {
		return err
	}

	rep.outputRow(n, after.Peak-before.Peak)
	rep.note("Output: %s to stdout took %s through runlet (%.0f MiB/s); manager VmHWM %s "+
		"before, %s after; VmRSS %s after.", size(n), took.Round(time.Millisecond),
		float64(n)/(1<<20)/took.Seconds(), mib(before.Peak), mib(after.Peak), mib(after.RSS))

	if err := b.waitNoContainers(ctx, ns); err != nil {
		return err
	}
	return m.stop()
}

// checkBigOutput checks that the Execution succeeded, counted every byte, kept only part of
// them and left the complete stream on the workspace.
func checkBigOutput(exec *runletv1.Execution, n int64) error {
	st := exec.Status
	if st.Phase != runletv1.PhaseSucceeded || st.StdoutBytes != n || !st.StdoutTruncated {
		return fmt.Errorf("execution %s ended %s/%s with stdoutBytes %d (truncated %t), "+
			"want Succeeded, %d and truncated", exec.Name, st.Phase, st.Reason, st.StdoutBytes,
			st.StdoutTruncated, n)
	}
	info, err := os.Stat(filepath.Join(st.LogPath, docker.StdoutFile))
	if err != nil {
		return fmt.Errorf("complete stdout: %w", err)
	}
	if info.Size() != n {
		return fmt.Errorf("complete stdout holds %d bytes, want %d", info.Size(), n)
	}
	return nil
}
