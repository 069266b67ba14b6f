package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMetricSumAddsTheSamplesWhoseLabelsMatch(t *testing.T) {
	samples := parseMetrics(`# HELP controller_runtime_reconcile_total Total reconciles.
# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="execution",result="success"} 4998
controller_runtime_reconcile_total{controller="execution",result="requeue"} 2
controller_runtime_reconcile_total{controller="other",result="success"} 7
workqueue_depth{controller="execution",name="execution"} 0
go_memstats_heap_inuse_bytes 1.2e+07
not a sample line
`)
	assert.Equal(t, 5000.0,
		samples.sum("controller_runtime_reconcile_total", `controller="execution"`))
	assert.Equal(t, 5007.0, samples.sum("controller_runtime_reconcile_total"))
	assert.Equal(t, 0.0, samples.sum("workqueue_depth", `name="execution"`))
	assert.Equal(t, 1.2e7, samples.sum("go_memstats_heap_inuse_bytes"))
	assert.Equal(t, 0.0, samples.sum("missing_metric"))
}
