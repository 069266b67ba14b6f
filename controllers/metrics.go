package controllers

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// Metrics are runlet's Prometheus metrics.
type Metrics struct {
	finished *prometheus.CounterVec
	duration *prometheus.HistogramVec
	running  prometheus.Gauge
	queued   prometheus.Gauge
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "runlet_executions_total",
			Help: "Executions that finished, by language, phase and reason.",
		}, []string{"language", "phase", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "runlet_execution_duration_seconds",
			Help:    "Time from a program's start to its end, by language and phase.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 16),
		}, []string{"language", "phase"}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "runlet_executions_running",
			Help: "Executions holding a slot under the running-container cap.",
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "runlet_executions_queued",
			Help: "Executions waiting for a slot under the running-container cap.",
		}),
	}
	reg.MustRegister(m.finished, m.duration, m.running, m.queued)
	return m
}

func (m *Metrics) observeFinished(exec *runletv1.Execution) {
	st := exec.Status
	language := exec.Spec.Language
	if language == "" {
		language = "image"
	}
	m.finished.WithLabelValues(language, string(st.Phase), string(st.Reason)).Inc()
	// status.duration is measured from the daemon's own start and end times, which are
	// finer than the whole seconds startTime and completionTime keep.
	if ran, err := time.ParseDuration(st.Duration); err == nil {
		m.duration.WithLabelValues(language, string(st.Phase)).Observe(ran.Seconds())
	}
}

func (m *Metrics) setCounts(running, queued int) {
	m.running.Set(float64(running))
	m.queued.Set(float64(queued))
}
