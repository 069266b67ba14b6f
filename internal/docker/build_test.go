package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uniqueTag is an image tag for one test, removed with its image when the test ends.
func uniqueTag(t *testing.T, c *Client) string {
	t.Helper()
	tag := "runlet.local/test-build:" + strings.TrimPrefix(uniqueName(t), "runlet-test-")
	if len(tag) > 128 {
		tag = tag[:128]
	}
	t.Cleanup(func() {
		_, _ = c.api.ImageRemove(context.Background(), tag,
			image.RemoveOptions{Force: true, PruneChildren: true})
	})
	return tag
}

func TestBuildFromAnInlineDockerfileThenRunTheImage(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	requireImage(t, c, busyboxImage)
	tag := uniqueTag(t, c)
	ctx := context.Background()

	result, err := c.Build(ctx, BuildPlan{
		Tag: tag,
		Dockerfile: fmt.Sprintf("FROM %s\nRUN echo built-in-a-step > /built.txt\n"+
			"CMD [\"cat\", \"/built.txt\"]\n", busyboxImage),
		Labels: map[string]string{LabelExecutionUID: "build-uid"},
	})
	require.NoError(t, err)
	assert.Equal(t, tag, result.Image)
	assert.Contains(t, result.Log, "Successfully built")

	inspected, err := c.api.ImageInspect(ctx, tag)
	require.NoError(t, err)
	assert.Equal(t, ManagedByValue, inspected.Config.Labels[LabelManagedBy])
	assert.Equal(t, "build-uid", inspected.Config.Labels[LabelExecutionUID])

	plan := newPlan(t, c, tag)
	state, out := run(t, c, plan)
	assert.Equal(t, 0, state.ExitCode)
	assert.Equal(t, "built-in-a-step\n", out.Stdout.Kept)
}

func TestBuildFromAContextDirSendsItsFilesButNotTheIgnoredOnes(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	requireImage(t, c, busyboxImage)
	tag := uniqueTag(t, c)
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":     fmt.Sprintf("FROM %s\nCOPY . /app\nCMD [\"ls\", \"/app\"]\n", busyboxImage),
		"main.sh":        "echo main\n",
		"secret.env":     "TOKEN=x\n",
		".dockerignore":  "secret.env\n",
		"lib/helper.sh":  "echo helper\n",
		"lib/inner-link": "",
	}
	for name, content := range files {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		if name == "lib/inner-link" {
			require.NoError(t, os.Symlink("helper.sh", filepath.Join(dir, name)))
			continue
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}

	_, err := c.Build(context.Background(), BuildPlan{Tag: tag, ContextDir: dir})
	require.NoError(t, err)

	plan := newPlan(t, c, tag)
	_, out := run(t, c, plan)
	assert.Equal(t, "Dockerfile\nlib\nmain.sh\n", out.Stdout.Kept)
}

func TestBuildWithAFailingStepReturnsBuildErrorWithTheLog(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	requireImage(t, c, busyboxImage)
	tag := uniqueTag(t, c)

	_, err := c.Build(context.Background(), BuildPlan{
		Tag:        tag,
		Dockerfile: fmt.Sprintf("FROM %s\nRUN echo about-to-fail && exit 7\n", busyboxImage),
	})

	var buildErr *BuildError
	require.ErrorAs(t, err, &buildErr)
	assert.ErrorIs(t, err, ErrBuildFailed)
	assert.Contains(t, buildErr.Message, "returned a non-zero code: 7")
	assert.Contains(t, buildErr.Log, "about-to-fail")
	assert.Contains(t, buildErr.Log, "returned a non-zero code: 7")
}

func TestBuildOfAnUnparsableDockerfileReturnsBuildError(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	tag := uniqueTag(t, c)

	_, err := c.Build(context.Background(), BuildPlan{Tag: tag, Dockerfile: "FROBNICATE everything\n"})

	var buildErr *BuildError
	require.ErrorAs(t, err, &buildErr)
	assert.Contains(t, buildErr.Message, "unknown instruction")
}

func TestBuildFromAMissingBaseImageReturnsBuildError(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	tag := uniqueTag(t, c)

	_, err := c.Build(context.Background(), BuildPlan{
		Tag:        tag,
		Dockerfile: "FROM runlet.local/no-such-base:none\n",
	})

	assert.ErrorIs(t, err, ErrBuildFailed)
}

func TestBuildKeepsOnlyTheFirstAndLastPartOfALongLog(t *testing.T) {
	t.Parallel()
	c := newTestClient(t)
	requireImage(t, c, busyboxImage)
	tag := uniqueTag(t, c)

	result, err := c.Build(context.Background(), BuildPlan{
		Tag:        tag,
		Dockerfile: fmt.Sprintf("FROM %s\nRUN seq 1 20000\n", busyboxImage),
		LogBytes:   2048,
	})

	require.NoError(t, err)
	assert.LessOrEqual(t, len(result.Log), 2048)
	assert.Contains(t, result.Log, "bytes omitted")
	assert.Contains(t, result.Log, "Successfully tagged "+tag)
}

func TestBuildRejectsPlansItCannotRun(t *testing.T) {
	c, err := New("", Options{})
	require.NoError(t, err)
	escaping := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(escaping, "Dockerfile"), []byte("FROM scratch\n"), 0o644))
	require.NoError(t, os.Symlink("../../etc/passwd", filepath.Join(escaping, "passwd")))
	absolute := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(absolute, "Dockerfile"), []byte("FROM scratch\n"), 0o644))
	require.NoError(t, os.Symlink("/etc", filepath.Join(absolute, "etc")))

	cases := map[string]BuildPlan{
		"no tag":                       {Dockerfile: "FROM scratch\n"},
		"bad tag":                      {Tag: "Not A Tag", Dockerfile: "FROM scratch\n"},
		"nothing to build":             {Tag: "runlet.local/x:y"},
		"context without a Dockerfile": {Tag: "runlet.local/x:y", ContextDir: t.TempDir()},
		"link out of the context":      {Tag: "runlet.local/x:y", ContextDir: escaping},
		"absolute link":                {Tag: "runlet.local/x:y", ContextDir: absolute},
	}
	for name, plan := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.Build(context.Background(), plan)
			assert.ErrorIs(t, err, ErrInvalidPlan)
			assert.False(t, errors.Is(err, ErrBuildFailed))
		})
	}
}
