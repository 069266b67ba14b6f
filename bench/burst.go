package main

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

// creators is how many Executions are created in parallel in a burst; one after the other,
// the creates alone would spread the burst out.
const creators = 16

var trivial = helloWorld{language: "sh", code: "echo hi\n", want: "hi\n"}

// burst creates many trivial Executions at once under the running cap, against the raw
// baseline running as many containers with as many workers as the cap. Rounds go runlet,
// raw, raw, runlet, ... so that a drift in the machine's load falls on both alike.
func (b *bench) burst(ctx context.Context, rep *report) error {
	ns, m, finished, err := b.setUp(ctx, "burst")
	if err != nil {
		return err
	}
	preset, ok := testenv.LocalLanguages().Lookup(trivial.language)
	if !ok {
		return fmt.Errorf("no local preset for %s", trivial.language)
	}

	var viaRunlet, viaRaw []time.Duration
	for round := 0; round < 2*b.cfg.burstRounds; round++ {
		if runletTurn := round%4 == 0 || round%4 == 3; runletTurn {
			took, err := b.runletBurst(ctx, ns, finished, len(viaRunlet))
			if err != nil {
				return err
			}
			b.logf("burst via runlet: %s", took.Round(time.Millisecond))
			viaRunlet = append(viaRunlet, took)
			continue
		}
		took, err := b.rawBurst(ctx, rawJob{preset: preset, code: trivial.code})
		if err != nil {
			return err
		}
		b.logf("burst via raw docker: %s", took.Round(time.Millisecond))
		viaRaw = append(viaRaw, took)
	}
	rep.burstRow(b.cfg.burstSize, b.cfg.maxRunning, viaRunlet, viaRaw)

	if err := m.stop(); err != nil {
		return err
	}
	return b.reportWrites(rep, ns, b.cfg.burstSize*len(viaRunlet),
		fmt.Sprintf("bursts of %d", b.cfg.burstSize))
}

// runletBurst creates burstSize Executions at once and returns the time from the first
// create until the watch delivered the last one finished.
func (b *bench) runletBurst(ctx context.Context, ns string, finished <-chan finishedExecution,
	round int) (time.Duration, error) {
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(creators)
	for i := range b.cfg.burstSize {
		g.Go(func() error {
			exec := &runletv1.Execution{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("burst-%d-%03d", round, i)},
				Spec:       runletv1.ExecutionSpec{Language: trivial.language, Code: trivial.code},
			}
			if err := b.plane.client.Create(gctx, exec); err != nil {
				return fmt.Errorf("create execution: %w", err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}

	deadline := time.NewTimer(15 * time.Minute)
	defer deadline.Stop()
	var last time.Time
	for got := 0; got < b.cfg.burstSize; got++ {
		select {
		case f, ok := <-finished:
			if !ok {
				return 0, fmt.Errorf("watch closed after %d of %d finished", got, b.cfg.burstSize)
			}
			if err := expectSucceeded(f.exec, trivial.want); err != nil {
				return 0, err
			}
			last = f.at
		case <-deadline.C:
			return 0, fmt.Errorf("only %d of %d finished within 15m", got, b.cfg.burstSize)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return last.Sub(start), b.waitNoContainers(ctx, ns)
}

// rawBurst runs burstSize containers through the baseline with maxRunning workers and
// returns the time until the last one was removed.
func (b *bench) rawBurst(ctx context.Context, job rawJob) (time.Duration, error) {
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.cfg.maxRunning)
	for range b.cfg.burstSize {
		g.Go(func() error {
			res, err := b.raw.run(gctx, job)
			if err != nil {
				return fmt.Errorf("baseline: %w", err)
			}
			if res.exitCode != 0 || res.stdout != trivial.want {
				return fmt.Errorf("baseline exited %d with %q, want 0 and %q",
					res.exitCode, res.stdout, trivial.want)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
