package docker

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartRejectsPlansItCannotRun(t *testing.T) {
	valid := Plan{Name: "runlet-valid", Image: "runlet.local/busybox:1"}
	cases := map[string]func(p *Plan){
		"empty name":             func(p *Plan) { p.Name = "" },
		"name with a slash":      func(p *Plan) { p.Name = "a/b" },
		"no image":               func(p *Plan) { p.Image = " " },
		"host network":           func(p *Plan) { p.Network = "host" },
		"relative work dir":      func(p *Plan) { p.WorkDir = "work" },
		"relative host dir":      func(p *Plan) { p.HostDir, p.WorkDir = "data", "/w" },
		"host dir without mount": func(p *Plan) { p.HostDir = "/srv/data" },
		"docker socket dir":      func(p *Plan) { p.HostDir, p.WorkDir = "/var/run", "/w" },
		"root dir":               func(p *Plan) { p.HostDir, p.WorkDir = "/", "/w" },
		"negative memory":        func(p *Plan) { p.Limits.MemoryBytes = -1 },
		"tiny memory":            func(p *Plan) { p.Limits.MemoryBytes = 1 << 20 },
		"negative pids":          func(p *Plan) { p.Limits.PidsLimit = -1 },
		"env name with =":        func(p *Plan) { p.Env = []EnvVar{{Name: "A=B", Value: "x"}} },
		"empty env name":         func(p *Plan) { p.Env = []EnvVar{{Value: "x"}} },
	}
	require.NoError(t, validatePlan(valid))
	c, err := New("unix:///nonexistent/docker.sock", Options{})
	require.NoError(t, err)

	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			plan := valid
			mutate(&plan)
			_, err := c.Start(context.Background(), plan)
			assert.ErrorIs(t, err, ErrInvalidPlan, "rejected before the daemon is asked")
		})
	}
}

func TestStartRejectsAHostDirHoldingTheClientsOwnSocket(t *testing.T) {
	dir := t.TempDir()
	c, err := New("unix://"+filepath.Join(dir, "sub", "docker.sock"), Options{})
	require.NoError(t, err)

	_, err = c.Start(context.Background(), Plan{Name: "runlet-x", Image: "i", HostDir: dir, WorkDir: "/w"})

	assert.ErrorIs(t, err, ErrInvalidPlan)
}

func TestContainerConfigAppliesDefaultsAndTheManagedLabel(t *testing.T) {
	plan := Plan{
		Name:   "runlet-x",
		Image:  "img",
		Stdin:  ptr(""),
		Labels: map[string]string{LabelManagedBy: "someone-else", "k": "v"},
		Env:    []EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "two words"}},
	}

	cfg, host := containerConfig(plan, Options{}.withDefaults())

	assert.Equal(t, ManagedByValue, cfg.Labels[LabelManagedBy], "the plan cannot unset it")
	assert.Equal(t, "v", cfg.Labels["k"])
	assert.Equal(t, []string{"A=1", "B=two words"}, cfg.Env)
	assert.True(t, cfg.OpenStdin && cfg.StdinOnce, "an empty stdin is still stdin with EOF")
	assert.EqualValues(t, "none", host.NetworkMode)
	assert.EqualValues(t, DefaultPidsLimit, *host.PidsLimit)
	assert.Zero(t, host.Memory, "no memory limit asked, none set")
	assert.Zero(t, host.MemorySwap)
	assert.Empty(t, host.Mounts)
	assert.Equal(t, "1m", host.LogConfig.Config["max-size"])

	plan.Stdin = nil
	plan.Network = "bridge"
	cfg, host = containerConfig(plan, Options{DefaultPidsLimit: 64, LogMaxSize: "2m"}.withDefaults())
	assert.False(t, cfg.OpenStdin)
	assert.EqualValues(t, "bridge", host.NetworkMode)
	assert.EqualValues(t, 64, *host.PidsLimit)
	assert.Equal(t, "2m", host.LogConfig.Config["max-size"])
}
