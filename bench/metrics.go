package main

import (
	"strconv"
	"strings"
)

// metricSamples are the samples of a Prometheus text exposition, keyed by the sample line's
// name and labels as written ("name{a=\"b\"}").
type metricSamples map[string]float64

// parseMetrics reads the text exposition format. Comments and lines it cannot read are
// skipped: the benchmark only sums a few well-known counters and gauges.
func parseMetrics(text string) metricSamples {
	out := metricSamples{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cut := strings.LastIndexByte(line, ' ')
		if cut < 0 {
			continue
		}
		value, err := strconv.ParseFloat(line[cut+1:], 64)
		if err != nil {
			continue
		}
		out[strings.TrimSpace(line[:cut])] = value
	}
	return out
}

// sum adds up the samples of metric name whose labels contain every one of labels
// (each written as `key="value"`).
func (s metricSamples) sum(name string, labels ...string) float64 {
	var total float64
	for key, value := range s {
		metric, rest, _ := strings.Cut(key, "{")
		if metric != name {
			continue
		}
		matches := true
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				matches = false
				break
			}
		}
		if matches {
			total += value
		}
	}
	return total
}
