package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/moby/go-archive"
	"github.com/moby/patternmatcher/ignorefile"
)

// DefaultBuildLogBytes bounds a build log when BuildPlan.LogBytes is zero.
const DefaultBuildLogBytes = 64 << 10

const dockerfileName = "Dockerfile"

// buildCPUPeriod is the CFS period, in microseconds, against which a build's CPU quota is
// set: the classic builder takes a quota, not NanoCPUs.
const buildCPUPeriod = 100000

// Build builds plan's Dockerfile with the daemon's classic builder and tags the image
// plan.Tag. The build's RUN steps get the daemon's default network (bridge), since they
// commonly fetch packages; only the containers that Start runs are cut off from the
// network. Their RUN steps get plan.Limits' memory (with no swap beyond it) and CPU.
//
// The build log is kept like program output: its first and last LogBytes/2 bytes. A build
// that the daemon rejects (a Dockerfile it cannot parse) or that fails in a step returns a
// *BuildError.
func (c *Client) Build(ctx context.Context, plan BuildPlan) (BuildResult, error) {
	if _, err := reference.ParseNormalizedNamed(plan.Tag); err != nil {
		return BuildResult{}, fmt.Errorf("%w: image tag %q: %w", ErrInvalidPlan, plan.Tag, err)
	}
	buildContext, err := buildContextOf(plan)
	if err != nil {
		return BuildResult{}, err
	}
	defer buildContext.Close()

	labels := make(map[string]string, len(plan.Labels)+1)
	maps.Copy(labels, plan.Labels)
	labels[LabelManagedBy] = ManagedByValue

	resp, err := c.api.ImageBuild(ctx, buildContext, build.ImageBuildOptions{
		Tags:        []string{plan.Tag},
		Labels:      labels,
		Dockerfile:  dockerfileName,
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
		Memory:      plan.Limits.MemoryBytes,
		MemorySwap:  plan.Limits.MemoryBytes,
		CPUPeriod:   buildCPUPeriod,
		CPUQuota:    plan.Limits.NanoCPUs * buildCPUPeriod / 1e9,
	})
	switch {
	case err == nil:
	case cerrdefs.IsInvalidArgument(err):
		return BuildResult{}, &BuildError{Message: daemonMessage(err)}
	default:
		return BuildResult{}, wrapAPIError("build image", err)
	}
	defer resp.Body.Close()

	logBytes := plan.LogBytes
	if logBytes <= 0 {
		logBytes = DefaultBuildLogBytes
	}
	buildLog := newStreamCapture(nil, logBytes)
	failure, err := readBuildStream(resp.Body, buildLog)
	logText, _ := keptText(buildLog.head, buildLog.tail.bytes(), buildLog.total, logBytes, nil)
	if err != nil {
		return BuildResult{}, wrapAPIError("read build output", err)
	}
	if failure != "" {
		return BuildResult{}, &BuildError{Message: failure, Log: logText}
	}
	return BuildResult{Image: plan.Tag, Log: logText}, nil
}

// readBuildStream copies the text of the daemon's build messages into buildLog and
// returns the build's error message, if the build failed.
func readBuildStream(stream io.Reader, buildLog io.Writer) (failure string, err error) {
	decoder := json.NewDecoder(stream)
	for {
		var msg jsonmessage.JSONMessage
		if err := decoder.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return failure, nil
			}
			return failure, err
		}
		switch {
		case msg.Error != nil:
			failure = msg.Error.Message
			_, _ = io.WriteString(buildLog, msg.Error.Message+"\n")
		case msg.Stream != "":
			_, _ = io.WriteString(buildLog, msg.Stream)
		case msg.Status != "" && msg.Progress == nil:
			_, _ = io.WriteString(buildLog, msg.Status+"\n")
		}
	}
}

// daemonMessage strips the client's prefix from a daemon error for a user to read.
func daemonMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "Error response from daemon: ")
}

// buildContextOf returns the tar stream the daemon builds from: a single Dockerfile for an
// inline one, or the context directory.
func buildContextOf(plan BuildPlan) (io.ReadCloser, error) {
	if plan.ContextDir == "" {
		if strings.TrimSpace(plan.Dockerfile) == "" {
			return nil, fmt.Errorf("%w: build has neither a Dockerfile nor a context dir", ErrInvalidPlan)
		}
		return inlineContext(plan.Dockerfile)
	}
	return dirContext(plan.ContextDir)
}

func inlineContext(dockerfile string) (io.ReadCloser, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	header := &tar.Header{
		Name:    dockerfileName,
		Mode:    0o644,
		Size:    int64(len(dockerfile)),
		ModTime: time.Unix(0, 0),
	}
	if err := tw.WriteHeader(header); err != nil {
		return nil, fmt.Errorf("write build context: %w", err)
	}
	if _, err := io.WriteString(tw, dockerfile); err != nil {
		return nil, fmt.Errorf("write build context: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("write build context: %w", err)
	}
	return io.NopCloser(&buf), nil
}

// dirContext tars dir, leaving out what its .dockerignore names, as the docker CLI does.
// Symbolic links are sent as links, never followed, and one that points outside dir
// rejects the whole context: it can only be a mistake or an attempt to reach the host.
func dirContext(dir string) (io.ReadCloser, error) {
	info, err := os.Stat(filepath.Join(dir, dockerfileName))
	if err != nil || !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: context dir %s holds no %s", ErrInvalidPlan, dir, dockerfileName)
	}
	if err := checkSymlinks(dir); err != nil {
		return nil, err
	}

	var excludes []string
	if f, err := os.Open(filepath.Join(dir, ".dockerignore")); err == nil {
		excludes, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: read .dockerignore: %w", ErrInvalidPlan, err)
		}
		// The daemon needs the Dockerfile whatever the ignore file says.
		excludes = append(excludes, "!"+dockerfileName)
	}

	tarball, err := archive.TarWithOptions(dir, &archive.TarOptions{ExcludePatterns: excludes})
	if err != nil {
		return nil, fmt.Errorf("tar build context: %w", err)
	}
	return tarball, nil
}

// checkSymlinks rejects a symbolic link under dir whose target is absolute or lies
// outside dir. A target that exists is judged by where it really leads, so that links
// through other links cannot climb out; a dangling one by its path alone.
func checkSymlinks(dir string) error {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("read build context: %w", err)
	}
	inside := func(path string) bool {
		rel, err := filepath.Rel(root, path)
		return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read build context: %w", err)
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return fmt.Errorf("read build context: %w", err)
		}
		resolved, err := filepath.EvalSymlinks(path)
		if err != nil {
			resolved = filepath.Join(filepath.Dir(path), target)
		}
		if filepath.IsAbs(target) || !inside(resolved) {
			relPath, _ := filepath.Rel(root, path)
			return fmt.Errorf("%w: build context link %s points outside the context (%s)",
				ErrInvalidPlan, relPath, target)
		}
		return nil
	})
}
