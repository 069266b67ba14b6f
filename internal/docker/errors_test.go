package docker

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAnUnreachableDaemonIsErrDaemonUnavailable(t *testing.T) {
	t.Parallel()
	c, err := New("unix://"+filepath.Join(t.TempDir(), "missing.sock"), Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	plan := Plan{Name: "runlet-unreachable", Image: "runlet.local/any:1"}

	assert.ErrorIs(t, c.Ping(ctx), ErrDaemonUnavailable)
	_, err = c.Start(ctx, plan)
	assert.ErrorIs(t, err, ErrDaemonUnavailable)
	_, err = c.Inspect(ctx, plan.Name)
	assert.ErrorIs(t, err, ErrDaemonUnavailable)
	_, _, err = c.Output(ctx, plan.Name, OutputSpec{})
	assert.ErrorIs(t, err, ErrDaemonUnavailable)
	assert.ErrorIs(t, c.Kill(ctx, plan.Name, time.Second), ErrDaemonUnavailable)
	assert.ErrorIs(t, c.Remove(ctx, plan.Name), ErrDaemonUnavailable)
	_, err = c.List(ctx)
	assert.ErrorIs(t, err, ErrDaemonUnavailable)
	_, err = c.Build(ctx, BuildPlan{Tag: "runlet.local/x:y", Dockerfile: "FROM scratch\n"})
	assert.ErrorIs(t, err, ErrDaemonUnavailable)
}

func TestAnImageTheDaemonLacksIsErrImageUnavailable(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	plan := Plan{Name: uniqueName(t), Image: "runlet.local/no-such-image:none"}

	_, err := c.Start(context.Background(), plan)

	require.ErrorIs(t, err, ErrImageUnavailable)
	assert.Contains(t, err.Error(), "runlet.local/no-such-image:none")
	assert.Empty(t, managedNamed(t, c, plan.Name), "no container is left behind")
}
