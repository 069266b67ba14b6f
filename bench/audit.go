package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// auditEvent is the part of a kube-apiserver audit event (audit.k8s.io/v1) that counting
// writes needs.
type auditEvent struct {
	Stage string `json:"stage"`
	Verb  string `json:"verb"`
	User  struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// writeCounts are the writes one user made in one namespace, by kind ("executions/status
// patch"), with the failed ones (a conflict, say) among them.
type writeCounts struct {
	byKind map[string]int
	failed int
}

func (w writeCounts) total() int {
	n := 0
	for _, c := range w.byKind {
		n += c
	}
	return n
}

// onExecutions counts the writes to Execution objects themselves (finalizer and status),
// leaving out the Kubernetes Events that tell of them.
func (w writeCounts) onExecutions() int {
	n := 0
	for kind, c := range w.byKind {
		if strings.HasPrefix(kind, "executions") {
			n += c
		}
	}
	return n
}

// breakdown lists the kinds of write with their count per Execution, most frequent first.
func (w writeCounts) breakdown(executions int) string {
	kinds := make([]string, 0, len(w.byKind))
	for k := range w.byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if w.byKind[kinds[i]] != w.byKind[kinds[j]] {
			return w.byKind[kinds[i]] > w.byKind[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(w.byKind[k])/float64(executions)))
	}
	if w.failed > 0 {
		parts = append(parts, fmt.Sprintf("(of which failed: %d)", w.failed))
	}
	return strings.Join(parts, ", ")
}

// countWrites reads the audit log file and counts the writes of user in namespace.
func countWrites(path, user, namespace string) (writeCounts, error) {
	f, err := os.Open(path)
	if err != nil {
		return writeCounts{}, fmt.Errorf("open audit log: %w", err)
	}
	defer f.Close()
	return parseWrites(f, user, namespace)
}

// parseWrites counts, in an audit log, the completed requests of user on objects in
// namespace. The policy logs only writes, so every completed request is one.
func parseWrites(log io.Reader, user, namespace string) (writeCounts, error) {
	counts := writeCounts{byKind: map[string]int{}}
	scanner := bufio.NewScanner(log)
	scanner.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for scanner.Scan() {
		var ev auditEvent
		if err := json.Unmarshal(scanner.Bytes(), &ev); err != nil {
			return writeCounts{}, fmt.Errorf("parse audit event: %w", err)
		}
		if ev.Stage != "ResponseComplete" || ev.User.Username != user || ev.ObjectRef == nil ||
			ev.ObjectRef.Namespace != namespace {
			continue
		}
		kind := ev.ObjectRef.Resource
		if ev.ObjectRef.Subresource != "" {
			kind += "/" + ev.ObjectRef.Subresource
		}
		counts.byKind[kind+" "+ev.Verb]++
		if ev.ResponseStatus != nil && ev.ResponseStatus.Code >= 300 {
			counts.failed++
		}
	}
	if err := scanner.Err(); err != nil {
		return writeCounts{}, fmt.Errorf("read audit log: %w", err)
	}
	return counts, nil
}
