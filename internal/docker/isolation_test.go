package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryContainerIsLockedDown(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c",
		"grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; cat /proc/1/comm")
	plan.Limits = Limits{MemoryBytes: 64 << 20, NanoCPUs: 500_000_000}

	state, out := run(t, c, plan)
	require.Equal(t, 0, state.ExitCode, out.Stderr.Kept)

	assert.Contains(t, out.Stdout.Kept, "CapEff:\t0000000000000000\n")
	assert.Contains(t, out.Stdout.Kept, "NoNewPrivs:\t1\n")
	assert.True(t, strings.HasSuffix(out.Stdout.Kept, "docker-init\n"), "PID 1 is the init process")

	info, err := c.api.ContainerInspect(context.Background(), state.ID)
	require.NoError(t, err)
	host := info.HostConfig
	assert.EqualValues(t, "none", host.NetworkMode)
	assert.Equal(t, []string{"ALL"}, []string(host.CapDrop))
	assert.Contains(t, host.SecurityOpt, "no-new-privileges")
	assert.False(t, host.Privileged)
	require.NotNil(t, host.Init)
	assert.True(t, *host.Init)
	assert.EqualValues(t, 64<<20, host.Memory)
	assert.EqualValues(t, 64<<20, host.MemorySwap, "no swap beyond the memory limit")
	assert.EqualValues(t, 500_000_000, host.NanoCPUs)
	require.NotNil(t, host.PidsLimit)
	assert.EqualValues(t, DefaultPidsLimit, *host.PidsLimit)
	assert.Equal(t, "json-file", host.LogConfig.Type)
	assert.Equal(t, map[string]string{"max-size": "1m", "max-file": "1"}, host.LogConfig.Config)
	assert.Empty(t, info.Mounts, "nothing is mounted without a host dir")
	assert.Equal(t, ManagedByValue, info.Config.Labels[LabelManagedBy])
	assert.Equal(t, plan.Labels[LabelExecutionUID], info.Config.Labels[LabelExecutionUID])
}

func TestMemoryLimitEndsAGreedyProgramAsOOMKilled(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c",
		`x=$(head -c 200000000 /dev/zero | tr '\0' a); echo survived ${#x}`)
	plan.Limits.MemoryBytes = 16 << 20

	state, out := run(t, c, plan)

	assert.Equal(t, 137, state.ExitCode)
	assert.True(t, state.OOMKilled)
	assert.False(t, state.KilledByRuntime)
	assert.NotContains(t, out.Stdout.Kept, "survived")
}

func TestPythonOverItsMemoryLimitIsOOMKilled(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, pythonImage, "python3", "-c", `data = b"x" * (256 << 20); print(len(data))`)
	plan.Limits.MemoryBytes = 64 << 20

	state, out := run(t, c, plan)

	assert.Equal(t, 137, state.ExitCode)
	assert.True(t, state.OOMKilled, "the daemon's own flag, not the exit code, says OOM")
	assert.Empty(t, out.Stdout.Kept)
	assert.Zero(t, out.Stdout.Bytes)
}

func TestProgramWithinItsMemoryLimitRuns(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := newPlan(t, c, busyboxImage, "sh", "-c",
		`x=$(head -c 2000000 /dev/zero | tr '\0' a); echo ${#x}`)
	plan.Limits.MemoryBytes = 32 << 20

	state, out := run(t, c, plan)

	assert.Equal(t, 0, state.ExitCode)
	assert.False(t, state.OOMKilled)
	assert.Equal(t, "2000000\n", out.Stdout.Kept)
}

// sleepersScript starts up to 200 background sleepers in a child shell, which dies at the
// first fork that fails, and reports how many it started; the parent only uses builtins
// afterwards, so it can report even when every pid is taken.
const sleepersScript = `
sh -c 'i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); echo $i > /tmp/count; done' 2>/dev/null
read n < /tmp/count; echo "started $n sleepers"`

func TestPidsLimitBoundsTheProcessesOfAProgram(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	limited := newPlan(t, c, busyboxImage, "sh", "-c", sleepersScript)
	limited.Limits.PidsLimit = 32
	unlimited := newPlan(t, c, busyboxImage, "sh", "-c", sleepersScript)
	unlimited.Limits.PidsLimit = 300

	_, limitedOut := run(t, c, limited)
	_, unlimitedOut := run(t, c, unlimited)

	var started int
	_, err := fmt.Sscanf(limitedOut.Stdout.Kept, "started %d sleepers", &started)
	require.NoError(t, err, limitedOut.Stdout.Kept)
	assert.Less(t, started, 32, "init and two shells count against the limit too")
	assert.Greater(t, started, 20)
	assert.Equal(t, "started 200 sleepers\n", unlimitedOut.Stdout.Kept,
		"with room for them all, all start")
}

// forkBombScript runs a fork bomb that never gives up: every process forks in a loop and
// retries when a fork fails, so the container stays at its pids limit. Each process says
// once why a fork failed. The shell forks its timer and the bomb before any pid runs
// out, then only uses builtins: it ends the container after the timer and reports the
// kernel's count of forks the pids limit refused, from the cgroup v2 or the v1 file.
const forkBombScript = `
sleep 10 & timer=$!
python3 -c '
import os, sys, time
told = False
while True:
    try:
        os.fork()
    except OSError as err:
        if not told:
            print("fork failed:", err.strerror, file=sys.stderr, flush=True)
            told = True
        time.sleep(0.01)
' &
wait $timer
for f in /sys/fs/cgroup/pids.events /sys/fs/cgroup/pids/pids.events; do
  if [ -r $f ]; then read -r line < $f; echo "pids.events: $line"; fi
done
echo bomb-over`

// pidsInUse returns how many pids the running container holds, and its limit, as the
// daemon's stats report them.
func pidsInUse(t *testing.T, c *Client, id string) (current, limit uint64) {
	t.Helper()
	stats, err := c.api.ContainerStatsOneShot(context.Background(), id)
	require.NoError(t, err)
	defer stats.Body.Close()
	var body container.StatsResponse
	require.NoError(t, json.NewDecoder(stats.Body).Decode(&body))
	return body.PidsStats.Current, body.PidsStats.Limit
}

func TestPidsLimitStopsAForkBombWhileOtherProgramsRun(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	const pidsLimit = 32
	bomb := newPlan(t, c, pythonImage, "sh", "-c", forkBombScript)
	bomb.Limits.PidsLimit = pidsLimit
	other := newPlan(t, c, busyboxImage, "echo", "ok")
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()

	started, err := c.Start(ctx, bomb)
	require.NoError(t, err)
	// The other program starts only once the bomb holds every pid it may.
	for deadline := time.Now().Add(8 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if current, _ := pidsInUse(t, c, started.ID); current == pidsLimit {
			break
		}
		require.True(t, time.Now().Before(deadline), "the bomb never took every pid it may")
	}

	otherState, otherOut := run(t, c, other)
	current, limit := pidsInUse(t, c, started.ID)
	bombState := waitFinished(t, c, bomb.Name)
	bombOut := waitOutput(t, c, bomb.Name, bomb.Output)

	assert.Equal(t, 0, otherState.ExitCode)
	assert.Equal(t, "ok\n", otherOut.Stdout.Kept)
	assert.EqualValues(t, pidsLimit, limit)
	assert.EqualValues(t, pidsLimit, current, "the bomb held its limit while the other program ran")

	assert.Equal(t, 0, bombState.ExitCode)
	assert.Contains(t, bombOut.Stderr.Kept, "fork failed: Resource temporarily unavailable")
	var refused int
	_, err = fmt.Sscanf(bombOut.Stdout.Kept, "pids.events: max %d\nbomb-over\n", &refused)
	require.NoError(t, err, bombOut.Stdout.Kept)
	assert.Positive(t, refused, "the kernel refused forks for the pids limit")
}

func TestNoNetworkCannotReachTheHost(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)

	listener, err := net.Listen("tcp", "0.0.0.0:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = listener.Close() })
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			_, _ = conn.Write([]byte("hello-from-host\n"))
			_ = conn.Close()
		}
	}()
	port := listener.Addr().(*net.TCPAddr).Port

	// The bridge's gateway is the host as a bridged container sees it.
	probe := newPlan(t, c, busyboxImage, "sh", "-c", "ip route | awk '/^default/ { print $3 }'")
	probe.Network = "bridge"
	_, probeOut := run(t, c, probe)
	gateway := strings.TrimSpace(probeOut.Stdout.Kept)
	require.NotNil(t, net.ParseIP(gateway), "no gateway in %q", probeOut.Stdout.Kept)

	script := fmt.Sprintf(`
		for host in 127.0.0.1 %s; do
			if reply=$(nc -w 3 $host %d </dev/null 2>&1); then echo "$host reached: $reply"
			else echo "$host unreachable"; fi
		done`, gateway, port)

	isolated := newPlan(t, c, busyboxImage, "sh", "-c", script)
	_, isolatedOut := run(t, c, isolated)
	assert.Equal(t, fmt.Sprintf("127.0.0.1 unreachable\n%s unreachable\n", gateway),
		isolatedOut.Stdout.Kept)

	// The same probe over the bridge shows that the listener is reachable at all, so the
	// failure above is the isolation and not the probe.
	bridged := newPlan(t, c, busyboxImage, "sh", "-c", script)
	bridged.Network = "bridge"
	_, bridgedOut := run(t, c, bridged)
	assert.Contains(t, bridgedOut.Stdout.Kept, gateway+" reached: hello-from-host")
}
