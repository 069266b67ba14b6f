package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseWritesCountsOnlyTheUsersCompletedWritesInTheNamespace(t *testing.T) {
	log := strings.Join([]string{
		`{"stage":"ResponseComplete","verb":"patch","user":{"username":"runlet-manager"},` +
			`"objectRef":{"resource":"executions","subresource":"status","namespace":"a"},` +
			`"responseStatus":{"code":200}}`,
		`{"stage":"ResponseComplete","verb":"patch","user":{"username":"runlet-manager"},` +
			`"objectRef":{"resource":"executions","subresource":"status","namespace":"a"},` +
			`"responseStatus":{"code":409}}`,
		`{"stage":"ResponseComplete","verb":"create","user":{"username":"runlet-manager"},` +
			`"objectRef":{"resource":"events","namespace":"a"},"responseStatus":{"code":201}}`,
		`{"stage":"ResponseStarted","verb":"patch","user":{"username":"runlet-manager"},` +
			`"objectRef":{"resource":"executions","namespace":"a"}}`,
		`{"stage":"ResponseComplete","verb":"create","user":{"username":"admin"},` +
			`"objectRef":{"resource":"executions","namespace":"a"},"responseStatus":{"code":201}}`,
		`{"stage":"ResponseComplete","verb":"patch","user":{"username":"runlet-manager"},` +
			`"objectRef":{"resource":"executions","namespace":"b"},"responseStatus":{"code":200}}`,
	}, "\n")
	counts, err := parseWrites(strings.NewReader(log), "runlet-manager", "a")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"executions/status patch": 2, "events create": 1}, counts.byKind)
	assert.Equal(t, 1, counts.failed)
	assert.Equal(t, 3, counts.total())
	assert.Equal(t, "executions/status patch 2.00, events create 1.00, (of which failed: 1)",
		counts.breakdown(1))
}
