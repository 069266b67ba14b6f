package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStatusReadsResidentAndPeakMemoryInBytes(t *testing.T) {
	text := "Name:\tmanager\nVmPeak:\t 900000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n"
	m, err := parseStatus(text)
	require.NoError(t, err)
	assert.Equal(t, memory{RSS: 40 << 20, Peak: 50 << 20}, m)
}

func TestParseStatusRefusesTextWithoutMemoryLines(t *testing.T) {
	_, err := parseStatus("Name:\tmanager\n")
	assert.Error(t, err)
}

func TestParseStatCPUAddsUserAndSystemTimeAfterAnOddCommandName(t *testing.T) {
	// utime 250 and stime 50 ticks; the command name holds a space and a parenthesis.
	text := "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0"
	cpu, err := parseStatCPU(text)
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, cpu)
}

func TestParseStatCPURefusesATruncatedLine(t *testing.T) {
	_, err := parseStatCPU("4242 (manager) S 1 4242")
	assert.Error(t, err)
}
