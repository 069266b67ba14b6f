package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Images the daemon tests run; hack/images.sh builds them under these names.
var (
	busyboxImage = imageFromEnv("RUNLET_IMAGE_BUSYBOX", "runlet.local/busybox:1.35-static")
	pythonImage  = imageFromEnv("RUNLET_IMAGE_PYTHON", "runlet.local/python:3.11-bookworm")
	nodeImage    = imageFromEnv("RUNLET_IMAGE_NODE", "runlet.local/node:18-bookworm")
)

const (
	testKeepBytes = 64 << 10
	// runTimeout bounds every wait on a container, so that a broken daemon fails a test
	// instead of hanging it.
	runTimeout = 2 * time.Minute
)

func imageFromEnv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// newTestClient returns a Client of the default daemon. It fails the test when no daemon
// answers: these tests exist to run against a real one, and a skip would pass them unseen.
func newTestClient(t testing.TB) *Client {
	t.Helper()
	c, err := New("", Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("no docker daemon answers (%v): run hack/docker.sh, or set DOCKER_HOST", err)
	}
	return c
}

// requireImage fails the test when the daemon lacks a test image.
func requireImage(t testing.TB, c *Client, ref string) {
	t.Helper()
	_, err := c.api.ImageInspect(context.Background(), ref)
	require.NoError(t, err, "test image %s is missing: build it with hack/images.sh", ref)
}

var unsafeNameChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// uniqueName is a container name no other test or run uses.
func uniqueName(t testing.TB) string {
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	base := strings.ToLower(unsafeNameChars.ReplaceAllString(t.Name(), "-"))
	if len(base) > 60 {
		base = base[:60]
	}
	return "runlet-test-" + base + "-" + hex.EncodeToString(suffix)
}

// newPlan is a plan for image and command with a unique name, execution labels, output
// into a temporary directory, and the container removed when the test ends.
func newPlan(t testing.TB, c *Client, image string, cmd ...string) Plan {
	t.Helper()
	requireImage(t, c, image)
	name := uniqueName(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Remove(ctx, name); err != nil {
			t.Errorf("remove %s: %v", name, err)
		}
	})
	return Plan{
		Name:  name,
		Image: image,
		Cmd:   cmd,
		Labels: map[string]string{
			LabelExecutionUID: "uid-" + name,
			LabelNamespace:    "test",
			LabelName:         name,
		},
		Output: OutputSpec{Dir: t.TempDir(), KeepBytes: testKeepBytes},
	}
}

// run starts plan and returns its final state and output.
func run(t testing.TB, c *Client, plan Plan) (State, Output) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()

	_, err := c.Start(ctx, plan)
	require.NoError(t, err)
	state := waitFinished(t, c, plan.Name)
	return state, waitOutput(t, c, plan.Name, plan.Output)
}

// waitFinished polls until the container named name has exited.
func waitFinished(t testing.TB, c *Client, name string) State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	for {
		state, err := c.Inspect(ctx, name)
		require.NoError(t, err)
		if state.Exited {
			return state
		}
		select {
		case <-ctx.Done():
			t.Fatalf("container %s did not finish within %s", name, runTimeout)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// waitOutput polls until the output of the container named name is complete.
func waitOutput(t testing.TB, c *Client, name string, spec OutputSpec) Output {
	t.Helper()
	return waitOutputWithin(t, c, name, spec, runTimeout)
}

func waitOutputWithin(t testing.TB, c *Client, name string, spec OutputSpec,
	timeout time.Duration) Output {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		out, done, err := c.Output(ctx, name, spec)
		require.NoError(t, err)
		if done {
			return out
		}
		select {
		case <-ctx.Done():
			t.Fatalf("output of %s was not complete within %s", name, timeout)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// readFile returns a file's content as a string.
func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func ptr[T any](v T) *T { return &v }
