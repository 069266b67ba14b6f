package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	dockerclient "github.com/docker/docker/client"
)

// machineInfo describes where the benchmark ran.
type machineInfo struct {
	cpu        string
	cores      int
	memory     string
	kernel     string
	os         string
	docker     string
	goVersion  string
	apiserver  string
	date       string
	loadBefore string
}

func collectMachine(ctx context.Context, api *dockerclient.Client, plane *controlPlane) (
	machineInfo, error) {
	m := machineInfo{
		cpu:        procField("/proc/cpuinfo", "model name"),
		cores:      runtime.NumCPU(),
		kernel:     strings.TrimSpace(readText("/proc/sys/kernel/osrelease")),
		os:         strings.Trim(procField("/etc/os-release", "PRETTY_NAME"), `"`),
		goVersion:  runtime.Version(),
		apiserver:  plane.version,
		date:       time.Now().UTC().Format("2006-01-02 15:04 MST"),
		loadBefore: loadAverage(),
	}
	if kb, err := strconv.ParseInt(strings.Fields(procField("/proc/meminfo", "MemTotal") + " 0")[0],
		10, 64); err == nil {
		m.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	v, err := api.ServerVersion(ctx)
	if err != nil {
		return m, fmt.Errorf("docker version: %w", err)
	}
	m.docker = fmt.Sprintf("%s (API %s)", v.Version, v.APIVersion)
	return m, nil
}

// procField returns the value of the first "key: value" (or "key=value") line of a file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		for _, sep := range []string{":", "="} {
			k, v, ok := strings.Cut(line, sep)
			if ok && strings.TrimSpace(k) == key {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown"
}

func readText(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return string(data)
}
