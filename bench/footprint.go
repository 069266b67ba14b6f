package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

// idleWindow is how long the manager's CPU time is watched while nothing happens.
const idleWindow = 10 * time.Second

// footprint fills a namespace with finished Executions, written straight with their status
// so that no container runs, then starts a manager on it and reads its resident memory
// once it has caught up, and its CPU time over an idle window.
func (b *bench) footprint(ctx context.Context, rep *report) error {
	ns, err := b.namespace(ctx, "footprint")
	if err != nil {
		return err
	}
	b.logf("creating %d finished Executions", b.cfg.finished)
	size, err := b.createFinished(ctx, ns, b.cfg.finished)
	if err != nil {
		return err
	}

	started := time.Now()
	m, err := b.startManager(ctx, ns)
	if err != nil {
		return err
	}
	if err := m.waitSettled(ctx, float64(b.cfg.finished), 15*time.Minute); err != nil {
		return err
	}
	caughtUp := time.Since(started)

	before, err := readCPU(m.pid())
	if err != nil {
		return err
	}
	windowStart := time.Now()
	select {
	case <-time.After(idleWindow):
	case <-ctx.Done():
		return ctx.Err()
	}
	after, err := readCPU(m.pid())
	if err != nil {
		return err
	}
	window := time.Since(windowStart)
	mem, err := readMemory(m.pid())
	if err != nil {
		return err
	}
	samples, err := m.metrics(ctx)
	if err != nil {
		return err
	}
	heap := samples.sum("go_memstats_heap_inuse_bytes")

	rep.footprintRows(b.cfg.finished, mem, after-before, window)
	rep.note("Footprint: %d finished Executions of about %d bytes of JSON each; the manager "+
		"caught up with them %s after it started. At the end of the idle window: VmRSS %s, "+
		"VmHWM %s, Go heap in use %s.", b.cfg.finished, size, caughtUp.Round(time.Second),
		mib(mem.RSS), mib(mem.Peak), mib(int64(heap)))

	if err := m.stop(); err != nil {
		return err
	}
	return b.reportWrites(rep, ns, b.cfg.finished,
		fmt.Sprintf("start-up over %d finished", b.cfg.finished))
}

// createFinished creates n Executions that look like finished hello worlds, finalizer and
// all, and returns the size of one as JSON.
func (b *bench) createFinished(ctx context.Context, ns string, n int) (int, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(creators)
	for i := range n {
		g.Go(func() error {
			exec := finishedObject(ns, fmt.Sprintf("done-%05d", i))
			status := exec.Status
			if err := b.plane.client.Create(gctx, exec); err != nil {
				return fmt.Errorf("create execution: %w", err)
			}
			exec.Status = status
			if err := b.plane.client.Status().Update(gctx, exec); err != nil {
				return fmt.Errorf("set execution status: %w", err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	data, err := json.Marshal(finishedObject(ns, "done-00000"))
	if err != nil {
		return 0, err
	}
	return len(data), nil
}

// finishedObject is an Execution as runlet leaves a python hello world that succeeded.
func finishedObject(ns, name string) *runletv1.Execution {
	started := metav1.NewTime(time.Now().Add(-time.Minute))
	completed := metav1.NewTime(started.Add(400 * time.Millisecond))
	code := int32(0)
	message := "The program exited with code 0."
	conditions := []metav1.Condition{}
	for _, t := range []string{runletv1.ConditionStarted, runletv1.ConditionFinished} {
		conditions = append(conditions, metav1.Condition{
			Type: t, Status: metav1.ConditionTrue, ObservedGeneration: 1,
			LastTransitionTime: completed, Reason: string(runletv1.ReasonCompleted), Message: message,
		})
	}
	uid := strings.Repeat("0", 8) + "-0000-0000-0000-" + strings.Repeat("0", 12)
	return &runletv1.Execution{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, Finalizers: []string{"runlet.dev/cleanup"},
		},
		Spec: runletv1.ExecutionSpec{Language: "python", Code: helloWorlds[0].code},
		Status: runletv1.ExecutionStatus{
			Phase: runletv1.PhaseSucceeded, Reason: runletv1.ReasonCompleted, Message: message,
			Conditions: conditions, ObservedGeneration: 1, ExitCode: &code,
			Stdout: helloWorlds[0].want, StdoutBytes: int64(len(helloWorlds[0].want)),
			LogPath:        "/workspaces/.runlet/" + uid + "/logs",
			StartTime:      &started,
			CompletionTime: &completed,
			Duration:       "400ms",
			ContainerID:    strings.Repeat("ab", 32),
			Image:          testenv.PythonImage,
		},
	}
}
