package main

import (
	"fmt"
	"io"
	"path"
	"strings"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// phaseLine is one line about where an Execution stands, such as
// "run-x7k2p: Pending (Queued)".
func phaseLine(exec *runletv1.Execution) string {
	st := exec.Status
	switch {
	case st.Phase == "":
		return exec.Name + ": created, waiting for the runlet controller"
	case st.Reason == "":
		return fmt.Sprintf("%s: %s", exec.Name, st.Phase)
	}
	return fmt.Sprintf("%s: %s (%s)", exec.Name, st.Phase, st.Reason)
}

// endLine is the last line about a finished Execution: its phase and reason, and the
// controller's message when the program did not simply exit.
func endLine(exec *runletv1.Execution) string {
	line := phaseLine(exec)
	if exec.Status.Message != "" && exec.Status.Reason != runletv1.ReasonCompleted {
		line += ": " + exec.Status.Message
	}
	return line
}

// explainsItself reports whether a finished Execution needs no word beside its output and
// exit status: it completed, or its program exited non-zero on its own.
func explainsItself(exec *runletv1.Execution) bool {
	r := exec.Status.Reason
	return r == runletv1.ReasonCompleted || r == runletv1.ReasonError
}

// progress prints a phase line whenever the phase or reason changes, while unfinished.
type progress struct {
	out  io.Writer
	on   bool
	last string
}

func (p *progress) seen(exec *runletv1.Execution) {
	if !p.on || exec.Status.Phase.IsFinished() {
		return
	}
	if line := phaseLine(exec); line != p.last {
		p.last = line
		fmt.Fprintln(p.out, line)
	}
}

// printOutput writes the recorded stdout to out and stderr to errOut, then a note on
// errOut for each stream the record holds only part of.
func printOutput(exec *runletv1.Execution, out, errOut io.Writer) {
	st := exec.Status
	_, _ = io.WriteString(out, st.Stdout)
	_, _ = io.WriteString(errOut, st.Stderr)
	if st.StdoutTruncated {
		fmt.Fprintln(errOut, truncationNote(exec, "stdout", len(st.Stdout), st.StdoutBytes))
	}
	if st.StderrTruncated {
		fmt.Fprintln(errOut, truncationNote(exec, "stderr", len(st.Stderr), st.StderrBytes))
	}
}

func truncationNote(exec *runletv1.Execution, stream string, kept int, total int64) string {
	note := fmt.Sprintf("%s: %s truncated: the status keeps the start and end, %d of %d bytes",
		exec.Name, stream, kept, total)
	if exec.Status.LogPath != "" {
		note += fmt.Sprintf("; all of it is in %s on the workspace volume (status.logPath)",
			path.Join(exec.Status.LogPath, stream+".log"))
	}
	return note
}

// describe is the text of `get NAME`: one "Field: value" line for each thing known.
func describe(exec *runletv1.Execution) string {
	st := exec.Status
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 1, ' ', 0)
	row := func(key, value string) {
		if value != "" {
			fmt.Fprintf(w, "%s:\t%s\n", key, value)
		}
	}

	row("Name", exec.Name)
	row("Namespace", exec.Namespace)
	row("Language", exec.Spec.Language)
	row("Image", firstOf(st.Image, exec.Spec.Image))
	row("Phase", firstOf(string(st.Phase), "(not yet seen by the runlet controller)"))
	row("Reason", string(st.Reason))
	if st.ExitCode != nil {
		row("Exit code", fmt.Sprint(*st.ExitCode))
	}
	row("Signal", st.Signal)
	if st.OOMKilled {
		row("OOM killed", "true")
	}
	row("Message", st.Message)
	row("Created", timeText(&exec.CreationTimestamp))
	row("Started", timeText(st.StartTime))
	row("Completed", timeText(st.CompletionTime))
	row("Duration", st.Duration)
	if st.Phase.IsFinished() {
		row("Stdout", byteCount(len(st.Stdout), st.StdoutBytes, st.StdoutTruncated))
		row("Stderr", byteCount(len(st.Stderr), st.StderrBytes, st.StderrTruncated))
	}
	row("Log path", st.LogPath)
	if exec.Spec.Cancel && !st.Phase.IsFinished() {
		row("Cancel", "requested")
	}
	_ = w.Flush()
	return b.String()
}

func byteCount(kept int, total int64, truncated bool) string {
	if truncated {
		return fmt.Sprintf("%d bytes (%d kept in status)", total, kept)
	}
	return fmt.Sprintf("%d bytes", total)
}

func timeText(t *metav1.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.Local().Format(time.RFC3339)
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
