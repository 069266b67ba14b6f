// Package docker is runlet's only door to the Docker daemon. It turns a resolved Plan into a
// container and a finished container into an Outcome, and reports container endings as
// Events. Nothing outside this package imports the Docker client.
package docker

import (
	"context"
	"errors"
	"time"
)

// Labels put on every container runlet creates. Sweeps and the event stream filter on
// LabelManagedBy, and the controller maps an event back to its Execution through the others.
const (
	LabelManagedBy    = "app.kubernetes.io/managed-by"
	ManagedByValue    = "runlet"
	LabelExecutionUID = "runlet.dev/execution-uid"
	LabelNamespace    = "runlet.dev/namespace"
	LabelName         = "runlet.dev/name"
)

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrNotFound means no container (or image) exists under the given name.
	ErrNotFound = errors.New("not found")
	// ErrImageUnavailable means the image is not on the daemon and could not be pulled.
	ErrImageUnavailable = errors.New("image unavailable")
	// ErrDaemonUnavailable means the daemon could not be reached at all.
	ErrDaemonUnavailable = errors.New("docker daemon unavailable")
	// ErrBuildFailed means an image build ran and failed; BuildError carries the log.
	ErrBuildFailed = errors.New("image build failed")
	// ErrInvalidPlan means a Plan or BuildPlan cannot be run as given (a bad name, network,
	// path or limit, or a build context that points outside itself); retrying cannot help.
	ErrInvalidPlan = errors.New("invalid plan")
	// ErrStartFailed means the daemon created the container but could not start the
	// program (for example an unknown user); State.Error holds the daemon's reason.
	ErrStartFailed = errors.New("container start failed")
)

// Runtime is what the controller needs from a container engine. Every method takes the
// context first and is safe for concurrent use.
type Runtime interface {
	// Ping reports whether the daemon answers; the readiness probe uses it.
	Ping(ctx context.Context) error

	// Start creates the container for plan (or adopts the one already named plan.Name),
	// feeds it plan.Stdin, begins capturing its output into plan.Output.Dir and starts it.
	// Calling it again for a container that is already running or finished changes
	// nothing and returns the same container.
	Start(ctx context.Context, plan Plan) (State, error)

	// Inspect returns the state of the container named name, or ErrNotFound.
	Inspect(ctx context.Context, name string) (State, error)

	// Output returns the captured output of a finished container. done is false while the
	// capture is still draining; the caller should look again shortly. When this process
	// did not capture the container live (a restart), the output is read back from the
	// daemon's retained log.
	Output(ctx context.Context, name string, spec OutputSpec) (out Output, done bool, err error)

	// Kill stops the container: SIGTERM, then SIGKILL after grace. A missing or finished
	// container is not an error.
	Kill(ctx context.Context, name string, grace time.Duration) error

	// Remove deletes the container and forgets its capture. Removing a missing container
	// is not an error.
	Remove(ctx context.Context, name string) error

	// List returns every container that runlet manages, running or not.
	List(ctx context.Context) ([]Summary, error)

	// Build builds an image from a Dockerfile and tags it plan.Tag. A failed build returns
	// a *BuildError that wraps ErrBuildFailed.
	Build(ctx context.Context, plan BuildPlan) (BuildResult, error)

	// RemoveImage deletes an image runlet built. A missing image is not an error.
	RemoveImage(ctx context.Context, ref string) error

	// Events streams container endings (and a resync of every managed container after the
	// stream reconnects) until ctx ends. The channel is closed when ctx ends.
	Events(ctx context.Context) <-chan Event
}

// Plan is everything needed to run one Execution's container.
type Plan struct {
	// Name is the container name, derived from the Execution's UID.
	Name string
	// Image is the image reference to run.
	Image string
	// Entrypoint replaces the image's entrypoint when not empty.
	Entrypoint []string
	// Cmd replaces the image's command when not empty.
	Cmd []string
	// WorkDir is the directory inside the container where HostDir is mounted and where the
	// program starts.
	WorkDir string
	// HostDir is the directory the daemon bind-mounts at WorkDir. Empty means no mount.
	HostDir string
	// Env is passed to the program in order.
	Env []EnvVar
	// Stdin is fed to the program and then closed. nil means the program's stdin is empty.
	Stdin *string
	// Limits bound the container's resources.
	Limits Limits
	// Network is "none" or "bridge".
	Network string
	// User runs the program as this user ("uid:gid"); empty keeps the image's user.
	User string
	// Labels are added to the managed-by label.
	Labels map[string]string
	// Output says where complete output goes and how much of it is kept.
	Output OutputSpec
}

// EnvVar is one environment variable. Secret values are redacted from kept output.
type EnvVar struct {
	Name   string
	Value  string
	Secret bool
}

// Limits bound a container. Zero means "use the package default" for PidsLimit and
// "unlimited" for the others.
type Limits struct {
	MemoryBytes int64
	NanoCPUs    int64
	PidsLimit   int64
}

// OutputSpec says where the complete streams are written and how much of each is kept.
type OutputSpec struct {
	// Dir receives stdout.log and stderr.log with everything the program wrote.
	Dir string
	// KeepBytes is the most bytes of each stream kept in Output: the first half and the
	// last half, cut on UTF-8 boundaries.
	KeepBytes int
	// Redact lists secret values replaced by "***" in kept output.
	Redact []string
}

// State is what the daemon reports about one container.
type State struct {
	ID   string
	Name string
	// Image is the image reference the container was created from.
	Image string
	// ImageID is the content-addressed ID of the image that actually ran.
	ImageID    string
	Running    bool
	Exited     bool
	ExitCode   int
	OOMKilled  bool
	StartedAt  time.Time
	FinishedAt time.Time
	// KilledByRuntime is true when this process asked the daemon to kill the container.
	KilledByRuntime bool
	// Error is the daemon's reason when it could not start the program; empty otherwise.
	Error string
}

// Output is the captured output of one container.
type Output struct {
	Stdout Stream
	Stderr Stream
}

// Stream is one captured output stream.
type Stream struct {
	// Kept is the first and last part of the stream, valid UTF-8, redacted.
	Kept string
	// Bytes is how many bytes the program wrote.
	Bytes int64
	// Truncated is true when Kept holds less than the program wrote.
	Truncated bool
	// Path is the file holding the complete stream.
	Path string
}

// Summary is one managed container as List sees it.
type Summary struct {
	ID     string
	Name   string
	Labels map[string]string
	State  string
}

// BuildPlan describes an image build.
type BuildPlan struct {
	// Tag names the resulting image.
	Tag string
	// Dockerfile is the inline Dockerfile text; used when ContextDir is empty.
	Dockerfile string
	// ContextDir is a directory holding a Dockerfile and its build context.
	ContextDir string
	// Labels are put on the image.
	Labels map[string]string
	// LogBytes bounds the build log kept in BuildResult and BuildError.
	LogBytes int
	// Limits bound the memory (swap included) and CPU of the build's RUN steps; the
	// classic builder has no pids limit.
	Limits Limits
}

// BuildResult is a successful build.
type BuildResult struct {
	Image string
	Log   string
}

// BuildError is a build that ran and failed.
type BuildError struct {
	Message string
	Log     string
}

func (e *BuildError) Error() string { return "image build failed: " + e.Message }

// Unwrap lets errors.Is match ErrBuildFailed.
func (e *BuildError) Unwrap() error { return ErrBuildFailed }

// Event reports that a managed container changed state, or asks for a resync of it.
type Event struct {
	ContainerID  string
	ExecutionUID string
	Namespace    string
	Name         string
	// Action is the daemon's action ("die") or "resync" after the stream reconnected, or
	// "output" when a live capture finished draining.
	Action string
}
