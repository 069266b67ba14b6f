// Command bench measures runlet on a real kube-apiserver and the local Docker daemon, against
// a hand-rolled "docker run" wrapper on the same daemon, and writes docs/benchmarks.md.
//
// It starts its own control plane (from KUBEBUILDER_ASSETS, with an audit log that counts the
// manager's API writes) and runs the manager binary as a separate process limited to the
// benchmark's own namespaces, so that it never touches containers of anything else on the
// daemon. Everything it starts is stopped and removed before it returns.
//
// Run it with `make bench`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// config holds the command-line flags.
type config struct {
	managerBin  string
	outFile     string
	phases      string
	latencyRuns int
	warmupRuns  int
	burstSize   int
	burstRounds int
	maxRunning  int
	finished    int
	outputBytes int64
	timeout     time.Duration
	keep        bool
	extraFlags  string
}

func parseFlags() config {
	var c config
	flag.StringVar(&c.managerBin, "manager", "bin/manager", "Manager binary to measure.")
	flag.StringVar(&c.outFile, "out", "docs/benchmarks.md", "Report file; empty prints only.")
	flag.StringVar(&c.phases, "phases", "latency,burst,footprint,output",
		"Comma-separated phases to run.")
	flag.IntVar(&c.latencyRuns, "latency-runs", 30, "Measured runs per language and side.")
	flag.IntVar(&c.warmupRuns, "warmup-runs", 2, "Unmeasured runs per language and side first.")
	flag.IntVar(&c.burstSize, "burst", 200, "Executions (and baseline containers) per burst.")
	flag.IntVar(&c.burstRounds, "burst-rounds", 2,
		"Bursts per side, ordered runlet, raw, raw, runlet, ... so that drift cancels out.")
	flag.IntVar(&c.maxRunning, "max-running", 8, "Running cap (and baseline workers) in a burst.")
	flag.IntVar(&c.finished, "finished", 5000, "Finished Executions in the footprint phase.")
	flag.Int64Var(&c.outputBytes, "output-bytes", 1<<30,
		"Bytes written to stdout in the output phase.")
	flag.DurationVar(&c.timeout, "timeout", 60*time.Minute, "Upper bound on the whole run.")
	flag.BoolVar(&c.keep, "keep", false,
		"Keep the scratch directory (audit log, manager logs) and print where it is.")
	flag.StringVar(&c.extraFlags, "manager-flags", "",
		"More flags for the manager, separated by spaces (for example \"-v 5\" to see each pass).")
	flag.Parse()
	return c
}

func main() {
	cfg := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	report, err := run(ctx, cfg)
	if report != nil {
		text := report.markdown()
		fmt.Print(text)
		if cfg.outFile != "" {
			if werr := writeReport(cfg.outFile, text); werr != nil {
				err = errors.Join(err, werr)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run sets up the control plane and the daemon client, runs the chosen phases and tears
// everything down again. The report holds whatever was measured before an error.
func run(ctx context.Context, cfg config) (rep *report, err error) {
	phases := map[string]bool{}
	for _, p := range strings.Split(cfg.phases, ",") {
		phases[strings.TrimSpace(p)] = true
	}

	b, err := newBench(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, b.close()) }()

	rep = &report{machine: b.machine}
	steps := []struct {
		name string
		run  func(context.Context, *report) error
	}{
		{"latency", b.latency},
		{"burst", b.burst},
		{"footprint", b.footprint},
		{"output", b.output},
	}
	for _, s := range steps {
		if !phases[s.name] {
			continue
		}
		b.logf("phase %s", s.name)
		// The phase's watches end with it.
		phaseCtx, endPhase := context.WithCancel(ctx)
		err := s.run(phaseCtx, rep)
		endPhase()
		if err != nil {
			rep.finish(loadAverage())
			return rep, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	rep.finish(loadAverage())
	return rep, nil
}

func writeReport(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
