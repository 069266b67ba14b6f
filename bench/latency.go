package main

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/testenv"
)

// helloWorld is one hello-world program and what it prints.
type helloWorld struct {
	language string
	code     string
	want     string
}

var helloWorlds = []helloWorld{
	{language: "python", code: "print(\"hello, world\")\n", want: "hello, world\n"},
	{language: "bash", code: "echo \"hello, world\"\n", want: "hello, world\n"},
}

// latency runs each hello world through an Execution (create, then Succeeded seen on a
// watch) and through the raw Docker baseline, alternating, one at a time.
func (b *bench) latency(ctx context.Context, rep *report) error {
	ns, m, finished, err := b.setUp(ctx, "latency")
	if err != nil {
		return err
	}

	languages := testenv.LocalLanguages()
	executions := 0
	for _, hw := range helloWorlds {
		preset, ok := languages.Lookup(hw.language)
		if !ok {
			return fmt.Errorf("no local preset for %s", hw.language)
		}
		var viaRunlet, viaRaw, viaRawRemoved []time.Duration
		for i := -b.cfg.warmupRuns; i < b.cfg.latencyRuns; i++ {
			// Each side goes first every other time, so that neither always follows the
			// other's clean-up.
			for _, runletTurn := range []bool{i%2 == 0, i%2 != 0} {
				if runletTurn {
					name := fmt.Sprintf("%s-%03d", hw.language, executions)
					executions++
					took, err := b.runExecution(ctx, ns, finished, name, hw)
					if err != nil {
						return err
					}
					if i >= 0 {
						viaRunlet = append(viaRunlet, took)
					}
					continue
				}
				res, err := b.raw.run(ctx, rawJob{preset: preset, code: hw.code})
				if err != nil {
					return fmt.Errorf("baseline: %w", err)
				}
				if res.exitCode != 0 || res.stdout != hw.want {
					return fmt.Errorf("baseline %s exited %d with %q, want 0 and %q",
						hw.language, res.exitCode, res.stdout, hw.want)
				}
				if i >= 0 {
					viaRaw = append(viaRaw, res.untilOutput)
					viaRawRemoved = append(viaRawRemoved, res.total)
				}
			}
		}
		b.logf("%s: runlet p50 %s, raw p50 %s", hw.language, ms(percentile(viaRunlet, 50)),
			ms(percentile(viaRaw, 50)))
		rep.latencyRows(hw.language, viaRunlet, viaRaw, viaRawRemoved)
	}

	if err := m.stop(); err != nil {
		return err
	}
	return b.reportWrites(rep, ns, executions, "hello worlds, one at a time")
}

// runExecution creates one hello-world Execution and returns the time from just before the
// create call until the watch delivered it Succeeded. It then waits, untimed, until runlet
// has removed its container.
func (b *bench) runExecution(ctx context.Context, ns string, finished <-chan finishedExecution,
	name string, hw helloWorld) (time.Duration, error) {
	exec := &runletv1.Execution{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       runletv1.ExecutionSpec{Language: hw.language, Code: hw.code},
	}
	start := time.Now()
	if err := b.plane.client.Create(ctx, exec); err != nil {
		return 0, fmt.Errorf("create execution: %w", err)
	}
	f, err := awaitFinished(ctx, finished, name, 2*time.Minute)
	if err != nil {
		return 0, err
	}
	took := f.at.Sub(start)
	if err := expectSucceeded(f.exec, hw.want); err != nil {
		return 0, err
	}
	return took, b.waitNoContainers(ctx, ns)
}

// expectSucceeded checks that an Execution did what it should have.
func expectSucceeded(exec *runletv1.Execution, stdout string) error {
	st := exec.Status
	if st.Phase != runletv1.PhaseSucceeded || st.Stdout != stdout {
		return fmt.Errorf("execution %s ended %s/%s (%s) with stdout %q, want Succeeded and %q",
			exec.Name, st.Phase, st.Reason, st.Message, st.Stdout, stdout)
	}
	return nil
}

// reportWrites adds the manager's API writes in ns, per Execution, to the report. It is
// called once the manager has stopped, so that every write it made is in the audit log.
func (b *bench) reportWrites(rep *report, ns string, executions int, what string) error {
	counts, err := countWrites(b.plane.auditLog, managerUser, ns)
	if err != nil {
		return err
	}
	rep.writesRow(what, counts, executions)
	return nil
}
