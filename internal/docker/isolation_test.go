package docker

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

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

func TestPidsLimitStopsAForkBombWhileOtherProgramsRun(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	// The bomb runs under timeout and the script ends with a shell builtin, so the
	// container ends even while every pid is taken.
	bomb := newPlan(t, c, busyboxImage, "sh", "-c",
		`timeout -s KILL 5 sh -c 'b() { b | b & }; b; wait' 2>/dev/null; echo bomb-over`)
	bomb.Limits.PidsLimit = 32
	other := newPlan(t, c, busyboxImage, "echo", "ok")

	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	_, err := c.Start(ctx, bomb)
	require.NoError(t, err)
	otherState, otherOut := run(t, c, other)
	bombState := waitFinished(t, c, bomb.Name)
	bombOut := waitOutput(t, c, bomb.Name, bomb.Output)

	assert.Equal(t, 0, otherState.ExitCode)
	assert.Equal(t, "ok\n", otherOut.Stdout.Kept)
	assert.Equal(t, 0, bombState.ExitCode)
	assert.Equal(t, "bomb-over\n", bombOut.Stdout.Kept, "the bomb was stopped and the script went on")
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
