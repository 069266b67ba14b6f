package main

import (
	"fmt"
	"strings"
	"time"
)

// Targets runlet is measured against.
const (
	targetRatio          = 1.15
	targetRSS            = 200 << 20
	targetIdleCPU        = 0.01 // of one core
	targetWrites         = 4.0
	targetOutputGrowth   = 50 << 20
	verdictMet           = "met"
	verdictMissed        = "**missed**"
	verdictInformational = "—"
)

// row is one line of the results table.
type row struct {
	measure, runlet, raw, ratio, target, verdict string
}

// report collects the results in the order they were measured.
type report struct {
	machine   machineInfo
	rows      []row
	notes     []string
	loadAfter string
}

func (r *report) add(x row) { r.rows = append(r.rows, x) }

func (r *report) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func (r *report) finish(loadAfter string) { r.loadAfter = loadAfter }

func verdict(ok bool) string {
	if ok {
		return verdictMet
	}
	return verdictMissed
}

func (r *report) latencyRows(language string, viaRunlet, viaRaw, viaRawRemoved []time.Duration) {
	p50, raw50 := percentile(viaRunlet, 50), percentile(viaRaw, 50)
	p95, raw95 := percentile(viaRunlet, 95), percentile(viaRaw, 95)
	ratio50 := ratio(p50, raw50)
	r.add(row{fmt.Sprintf("%s hello world, p50 (n=%d each)", language, len(viaRunlet)),
		ms(p50), ms(raw50), fmt.Sprintf("%.2f", ratio50),
		fmt.Sprintf("ratio ≤ %.2f", targetRatio), verdict(ratio50 <= targetRatio)})
	r.add(row{fmt.Sprintf("%s hello world, p95", language), ms(p95), ms(raw95),
		fmt.Sprintf("%.2f", ratio(p95, raw95)), "", verdictInformational})
	removed50 := percentile(viaRawRemoved, 50)
	r.note("Latency, %s: the raw baseline's p50 counting its container's removal too is %s "+
		"(runlet ÷ that: %.2f); runlet removes its container after Succeeded. Means: runlet %s, "+
		"raw %s.", language, ms(removed50), ratio(p50, removed50), ms(mean(viaRunlet)),
		ms(mean(viaRaw)))
}

func (r *report) burstRow(n, limit int, viaRunlet, viaRaw []time.Duration) {
	a, b := mean(viaRunlet), mean(viaRaw)
	x := ratio(a, b)
	r.add(row{fmt.Sprintf("burst of %d, cap %d: wall time (mean of %d)", n, limit, len(viaRunlet)),
		seconds(a), seconds(b), fmt.Sprintf("%.2f", x), fmt.Sprintf("ratio ≤ %.2f", targetRatio),
		verdict(x <= targetRatio)})
	r.note("Burst: runlet rounds %s; raw rounds %s. Raw Docker runs %d workers, each "+
		"create, start, wait, logs, remove; runlet's time ends when the last Execution is seen "+
		"Succeeded.", durations(viaRunlet), durations(viaRaw), limit)
}

// writesRow reports the writes to the Execution objects (finalizer and status patches)
// against the target, and every write, Kubernetes Events included, beside it.
func (r *report) writesRow(what string, counts writeCounts, executions int) {
	n := float64(max(executions, 1))
	per := float64(counts.onExecutions()) / n
	x := row{fmt.Sprintf("API writes to the Execution (%s, n=%d)", what, executions),
		fmt.Sprintf("%.2f", per), "", "", fmt.Sprintf("≤ %.0f", targetWrites),
		verdict(per <= targetWrites)}
	all := row{fmt.Sprintf("all API writes per Execution, Events included (%s)", what),
		fmt.Sprintf("%.2f", float64(counts.total())/n), "", "", "", verdictInformational}
	if strings.HasPrefix(what, "start-up") {
		x.target, x.verdict = "", verdictInformational
	}
	r.add(x)
	r.add(all)
	if counts.total() > 0 {
		r.note("Writes per Execution (%s): %s.", what, counts.breakdown(executions))
	}
}

func (r *report) footprintRows(finished int, mem memory, cpu, window time.Duration) {
	r.add(row{fmt.Sprintf("manager resident memory, %d finished Executions cached", finished),
		mib(mem.RSS), "", "", fmt.Sprintf("< %s", mib(targetRSS)), verdict(mem.RSS < targetRSS)})
	share := cpu.Seconds() / window.Seconds()
	r.add(row{fmt.Sprintf("manager CPU at idle (%s window)", window.Round(time.Second)),
		fmt.Sprintf("%.2f%% of a core (%s)", share*100, cpu), "", "",
		fmt.Sprintf("≤ %.0f%% of a core", targetIdleCPU*100), verdict(share <= targetIdleCPU)})
}

func (r *report) outputRow(n, growth int64) {
	r.add(row{fmt.Sprintf("manager peak memory growth, one Execution writing %s", size(n)),
		mib(growth), "", "", fmt.Sprintf("< %s", mib(targetOutputGrowth)),
		verdict(growth < targetOutputGrowth)})
}

// markdown renders the report as docs/benchmarks.md.
func (r *report) markdown() string {
	var s strings.Builder
	m := r.machine
	s.WriteString("# Benchmarks\n\n")
	s.WriteString("`make bench` measures runlet on a real kube-apiserver and etcd and the local " +
		"Docker daemon, against a hand-rolled `docker run` wrapper on the same daemon, and " +
		"writes this page. The manager runs as its own process, built from `main.go`, with " +
		"its default settings and the local images of `hack/images.sh`.\n\n")

	s.WriteString("## Machine\n\n| | |\n|---|---|\n")
	fmt.Fprintf(&s, "| CPU | %s, %d cores |\n", m.cpu, m.cores)
	fmt.Fprintf(&s, "| Memory | %s |\n", m.memory)
	fmt.Fprintf(&s, "| OS, kernel | %s, Linux %s |\n", m.os, m.kernel)
	fmt.Fprintf(&s, "| Docker | %s |\n", m.docker)
	fmt.Fprintf(&s, "| Go | %s |\n", m.goVersion)
	fmt.Fprintf(&s, "| kube-apiserver | %s |\n", m.apiserver)
	fmt.Fprintf(&s, "| Date | %s |\n", m.date)
	fmt.Fprintf(&s, "| Load average (1, 5, 15 min) | %s at the start, %s at the end |\n\n",
		m.loadBefore, r.loadAfter)

	s.WriteString("## Results\n\n")
	s.WriteString("| Measure | runlet | Raw Docker | runlet ÷ raw | Target | Result |\n")
	s.WriteString("|---|---|---|---|---|---|\n")
	for _, x := range r.rows {
		fmt.Fprintf(&s, "| %s | %s | %s | %s | %s | %s |\n",
			x.measure, x.runlet, x.raw, x.ratio, x.target, x.verdict)
	}
	if len(r.notes) > 0 {
		s.WriteString("\n## Details\n\n")
		for _, n := range r.notes {
			fmt.Fprintf(&s, "- %s\n", n)
		}
	}
	s.WriteString(method)
	return s.String()
}

// method says how each figure is taken.
const method = `
## How each figure is taken

- **Latency.** One Execution at a time: the time from just before the create call until a
  watch on the namespace delivers it ` + "`Succeeded`" + `, with its stdout checked. The
  baseline writes the same program into a directory and runs the same image with the same
  isolation (no network, all capabilities dropped, no-new-privileges, init, 256 MiB memory
  without swap, one CPU, 256 pids, the preset's user) through the Docker API: create, start,
  wait, logs; its time ends with the output in hand, and its removal follows. The two sides
  alternate, each going first every other time, after two unmeasured warm-up runs each;
  between runs the benchmark waits, untimed, until runlet has removed its container.
- **Burst.** All Executions are created at once (16 parallel creates) under the running cap;
  the time runs from the first create until the last one is seen finished. The baseline runs
  as many containers with as many workers as the cap. Rounds go runlet, raw, raw, runlet.
- **API writes** are counted in the kube-apiserver's audit log: every create, update, patch
  and delete the manager's user made in the namespace (status patches, finalizer patches,
  Kubernetes Events), counted after the manager stopped, divided by the Executions run.
- **Footprint.** Finished Executions are written straight to the API server, status
  included, so no container runs; then a new manager starts, and once it has reconciled each
  of them and its queue stays empty, its VmRSS is read from /proc and its CPU time (utime +
  stime) over an idle window.
- **Output.** A new manager runs one Execution that writes to stdout with busybox
  ` + "`head -c`" + `; the figure is the growth of the manager's VmHWM (peak resident memory)
  across the run. The byte count in status and the size of the complete log file are
  checked.
- The manager runs with ` + "`--max-running`" + ` at the burst's cap and otherwise its defaults
  (16 workers, 16 KiB of each stream kept in status), limited with ` + "`--namespaces`" + ` to the
  benchmark's own namespaces so that it leaves other containers on the daemon alone.
`

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func size(n int64) string {
	if n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = seconds(d)
	}
	return strings.Join(parts, ", ")
}
