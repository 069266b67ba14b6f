package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPercentileTakesTheNearestRank(t *testing.T) {
	var samples []time.Duration
	for i := 20; i >= 1; i-- {
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, 10*time.Millisecond, percentile(samples, 50))
	assert.Equal(t, 19*time.Millisecond, percentile(samples, 95))
	assert.Equal(t, 20*time.Millisecond, percentile(samples, 100))
	assert.Equal(t, time.Duration(0), percentile(nil, 50))
	assert.Equal(t, 20*time.Millisecond, samples[0], "the samples keep their order")
}

func TestMeanAveragesTheSamples(t *testing.T) {
	assert.Equal(t, 2*time.Second, mean([]time.Duration{time.Second, 3 * time.Second}))
	assert.Equal(t, time.Duration(0), mean(nil))
}
