package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat. Linux fixes USER_HZ, the
// unit it exports to user space, at 100 on every architecture it runs on.
const clockTick = 10 * time.Millisecond

// memory is a process's resident memory as /proc/PID/status reports it.
type memory struct {
	// RSS is the resident set size now (VmRSS).
	RSS int64
	// Peak is the largest resident set size since the process started (VmHWM).
	Peak int64
}

func readMemory(pid int) (memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("read process status: %w", err)
	}
	return parseStatus(string(data))
}

// parseStatus reads VmRSS and VmHWM (given in kB) from the text of /proc/PID/status.
func parseStatus(text string) (memory, error) {
	var m memory
	found := 0
	for _, line := range strings.Split(text, "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return memory{}, fmt.Errorf("unexpected %s line %q", key, line)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("parse %s: %w", key, err)
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
		found++
	}
	if found != 2 {
		return memory{}, fmt.Errorf("VmRSS or VmHWM missing from process status")
	}
	return m, nil
}

// readCPU returns the CPU time (user plus system) the process has used.
func readCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read process stat: %w", err)
	}
	return parseStatCPU(string(data))
}

// parseStatCPU reads utime and stime, fields 14 and 15 of /proc/PID/stat. The command name
// in field 2 may hold spaces and parentheses, so fields are counted after its last ')'.
func parseStatCPU(text string) (time.Duration, error) {
	end := strings.LastIndexByte(text, ')')
	if end < 0 {
		return 0, fmt.Errorf("unexpected process stat %q", text)
	}
	// After the command name come field 3 (state) onwards, so utime is at index 11.
	fields := strings.Fields(text[end+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("process stat has %d fields after the name, want 13 or more", len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse cpu ticks: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// loadAverage returns the 1, 5 and 15 minute load averages as /proc/loadavg shows them.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], " ")
}
