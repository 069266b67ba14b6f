package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The validation markers in this file are the only lines past 120 columns: controller-gen
// reads each marker from one comment line, and a CEL rule with its message cannot be split.

// Limits that the API server enforces. The object as a whole must also stay under the API
// server's request size limit (about 1.5 MiB), so code, files and stdin share that budget.
const (
	// MaxCodeChars caps spec.code, in characters (Unicode code points), as the API
	// server's maxLength counts them.
	MaxCodeChars = 262144
	// MaxFiles caps the number of entries in spec.files.
	MaxFiles = 16
	// MaxFileChars caps the content of one entry in spec.files, in characters.
	MaxFileChars = 65536
	// MaxStdinChars caps spec.stdin, in characters.
	MaxStdinChars = 262144
	// MaxEnv caps the number of entries in spec.env.
	MaxEnv = 64
	// MaxTimeoutSeconds caps spec.timeoutSeconds (one day).
	MaxTimeoutSeconds = 86400
	// DefaultTimeoutSeconds is spec.timeoutSeconds when it is not set.
	DefaultTimeoutSeconds = 60
)

// ExecutionSpec is what to run and within which limits. It cannot change after creation,
// except cancel.
//
// +kubebuilder:validation:XValidation:rule="has(self.language) || has(self.image) || has(self.build)",message="one of language, image or build is required"
// +kubebuilder:validation:XValidation:rule="!has(self.code) || has(self.language) || has(self.command)",message="code needs a language, or a command that runs it"
// +kubebuilder:validation:XValidation:rule="!(has(self.image) && has(self.build))",message="image and build cannot both be set"
// +kubebuilder:validation:XValidation:rule="!has(self.language) || (has(self.code) && size(self.code) > 0) || has(self.command) || has(self.files)",message="a language needs code to run (or files, or a command of its own)"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.cancel) || !oldSelf.cancel || (has(self.cancel) && self.cancel)",message="cancel cannot be unset once it is true"
// +kubebuilder:validation:XValidation:rule="has(self.language) == has(oldSelf.language) && has(self.code) == has(oldSelf.code) && has(self.files) == has(oldSelf.files) && has(self.image) == has(oldSelf.image) && has(self.command) == has(oldSelf.command) && has(self.args) == has(oldSelf.args) && has(self.stdin) == has(oldSelf.stdin) && has(self.env) == has(oldSelf.env) && has(self.resources) == has(oldSelf.resources) && has(self.workspace) == has(oldSelf.workspace) && has(self.build) == has(oldSelf.build) && has(self.ttlSecondsAfterFinished) == has(oldSelf.ttlSecondsAfterFinished)",message="spec is immutable after creation, except cancel"
type ExecutionSpec struct {
	// language is the name of a language preset (python, node, bash, sh, ruby, go, or one the
	// operator configured). A preset gives the image, the file the code is written to, and
	// the command that runs it. Required unless image or build is set.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9.+-]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="language is immutable"
	Language string `json:"language,omitempty"`

	// code is the main source text, written to the preset's file. At most 262144
	// characters (256 KiB of ASCII).
	// +optional
	// +kubebuilder:validation:MaxLength=262144
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="code is immutable"
	Code string `json:"code,omitempty"`

	// files are extra files written beside the code before the program starts. At most 16
	// files of at most 65536 characters each; paths are relative and unique.
	// +optional
	// +listType=map
	// +listMapKey=path
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="files are immutable"
	Files []File `json:"files,omitempty"`

	// image runs this image instead of the preset's image. With no language it needs a
	// command, or the image's own entrypoint runs. At most 512 characters.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="image is immutable"
	Image string `json:"image,omitempty"`

	// command replaces the preset's command (or the image's entrypoint). At most 64 items.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="command is immutable"
	Command []string `json:"command,omitempty"`

	// args are appended to the command. At most 64 items.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="args are immutable"
	Args []string `json:"args,omitempty"`

	// stdin is text fed to the program's standard input, which is then closed. Unset or
	// empty means the program reads end-of-file at once. At most 262144
	// characters.
	// +optional
	// +kubebuilder:validation:MaxLength=262144
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="stdin is immutable"
	Stdin string `json:"stdin,omitempty"`

	// env sets environment variables, from literal values or from keys of Secrets in the
	// Execution's namespace. Values from Secrets are replaced by *** in recorded output.
	// At most 64 entries; names are unique.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="env is immutable"
	Env []EnvVar `json:"env,omitempty"`

	// resources limit the container. Unset fields take their defaults.
	// +optional
	// +kubebuilder:default={}
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="resources are immutable"
	Resources Resources `json:"resources,omitempty"`

	// timeoutSeconds is the wall-clock deadline in seconds, counted from status.startTime.
	// Default 60, from 1 to 86400.
	// +optional
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="timeoutSeconds is immutable"
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`

	// network is the container's network: None (default, no interface but loopback) or
	// Bridge (the daemon's default bridge, with outbound access).
	// +optional
	// +kubebuilder:default=None
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="network is immutable"
	Network Network `json:"network,omitempty"`

	// workspace mounts a sub-path of the namespace's persistent workspace instead of a
	// private scratch directory, so that files persist across Executions.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="workspace is immutable"
	Workspace *Workspace `json:"workspace,omitempty"`

	// build builds an image from a Dockerfile on the daemon and runs it.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="build is immutable"
	Build *Build `json:"build,omitempty"`

	// ttlSecondsAfterFinished deletes the Execution this many seconds after it finishes.
	// Unset keeps it. From 0 to 604800 (a week).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=604800
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="ttlSecondsAfterFinished is immutable"
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`

	// cancel stops a pending or running Execution when set to true; it ends Cancelled.
	// The only field that may change after creation, and only from false to true.
	// Default false.
	// +optional
	Cancel bool `json:"cancel,omitempty"`
}

// File is one extra file of a multi-file program.
// +kubebuilder:validation:XValidation:rule="!(self.path == '..' || self.path.startsWith('../') || self.path.endsWith('/..') || self.path.contains('/../'))",message="path must not contain '..'"
// +kubebuilder:validation:XValidation:rule="!(self.path == '.' || self.path.startsWith('./') || self.path.endsWith('/.') || self.path.contains('/./'))",message="path must not contain '.' as a directory"
type File struct {
	// path is where the file is written, relative to the program's directory: names
	// joined by single '/', none of them '.' or '..', no NUL. At most 255 characters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[^/\x00]+(/[^/\x00]+)*$`
	Path string `json:"path"`

	// content is the file's text. At most 65536 characters.
	// +required
	// +kubebuilder:validation:MaxLength=65536
	Content string `json:"content"`
}

// EnvVar is one environment variable, from a literal value or a Secret key.
// +kubebuilder:validation:XValidation:rule="!(has(self.value) && has(self.secretKeyRef))",message="value and secretKeyRef cannot both be set"
type EnvVar struct {
	// name is the variable's name, a C identifier of at most 256 characters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	Name string `json:"name"`

	// value is the literal value. At most 32 KiB.
	// +optional
	// +kubebuilder:validation:MaxLength=32768
	Value string `json:"value,omitempty"`

	// secretKeyRef takes the value from a key of a Secret in the Execution's namespace.
	// +optional
	SecretKeyRef *SecretKeySelector `json:"secretKeyRef,omitempty"`
}

// SecretKeySelector names one key of a Secret in the same namespace.
type SecretKeySelector struct {
	// name is the Secret's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// key is the key within the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// Resources limit one execution's container.
type Resources struct {
	// cpu is the CPU limit in cores, a Kubernetes quantity (e.g. 500m, 2). Default 1,
	// from 10m to 64.
	// +optional
	// +kubebuilder:default="1"
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('10m')) >= 0 && quantity(string(self)).compareTo(quantity('64')) <= 0",message="cpu must be between 10m and 64"
	CPU *resource.Quantity `json:"cpu,omitempty"`

	// memory is the memory limit in bytes, a Kubernetes quantity (e.g. 256Mi); swap is
	// limited to the same amount, so no swap is used. Default 256Mi, from 6Mi to 64Gi.
	// +optional
	// +kubebuilder:default="256Mi"
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('6Mi')) >= 0 && quantity(string(self)).compareTo(quantity('64Gi')) <= 0",message="memory must be between 6Mi and 64Gi"
	Memory *resource.Quantity `json:"memory,omitempty"`

	// pids is the most processes and threads the program may have at once. Default 256,
	// from 8 to 32768.
	// +optional
	// +kubebuilder:default=256
	// +kubebuilder:validation:Minimum=8
	// +kubebuilder:validation:Maximum=32768
	Pids int64 `json:"pids,omitempty"`
}

// Network is the network an execution's container joins.
// +kubebuilder:validation:Enum=None;Bridge
type Network string

const (
	// NetworkNone gives the container only a loopback interface.
	NetworkNone Network = "None"
	// NetworkBridge attaches the container to the daemon's default bridge.
	NetworkBridge Network = "Bridge"
)

// Workspace selects a part of the namespace's persistent workspace.
type Workspace struct {
	// subPath is the directory, directly under the namespace's workspace, mounted as the
	// program's directory; it is created when missing. One level only: a letter or digit,
	// then letters, digits, '.', '_' or '-', at most 63 characters. Nested paths are refused
	// because a program that can write a directory's parent could swap it for a link
	// between runlet's check and the daemon's mount.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._-]*$`
	SubPath string `json:"subPath"`
}

// Build describes an image built on the daemon before the program runs.
// +kubebuilder:validation:XValidation:rule="has(self.dockerfile) != has(self.contextPath)",message="exactly one of dockerfile or contextPath is required"
type Build struct {
	// dockerfile is an inline Dockerfile, built with an empty context. At most 64 KiB.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Dockerfile string `json:"dockerfile,omitempty"`

	// contextPath is a directory directly under the namespace's workspace holding a
	// Dockerfile and its build context; the same rules as workspace.subPath apply.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._-]*$`
	ContextPath string `json:"contextPath,omitempty"`
}

// Phase is where an Execution is in its life. It only moves forward:
// Pending, then Running, then Succeeded or Failed.
// +kubebuilder:validation:Enum=Pending;Running;Succeeded;Failed
type Phase string

const (
	// PhasePending means the program has not started yet.
	PhasePending Phase = "Pending"
	// PhaseRunning means the program's container is running.
	PhaseRunning Phase = "Running"
	// PhaseSucceeded means the program exited with code 0.
	PhaseSucceeded Phase = "Succeeded"
	// PhaseFailed means the program did not run to a zero exit; reason says why.
	PhaseFailed Phase = "Failed"
)

// Reason says why an Execution is in its phase.
// +kubebuilder:validation:Enum=Completed;Error;OOMKilled;Signaled;DeadlineExceeded;Cancelled;ImageUnavailable;BuildFailed;InvalidSpec;ContainerLost;Queued;DaemonUnavailable;Creating;Building;Started
type Reason string

const (
	// ReasonCompleted: the program exited with code 0.
	ReasonCompleted Reason = "Completed"
	// ReasonError: the program exited with a non-zero code.
	ReasonError Reason = "Error"
	// ReasonOOMKilled: the kernel killed the program for exceeding its memory limit.
	ReasonOOMKilled Reason = "OOMKilled"
	// ReasonSignaled: the program was ended by a signal runlet did not send.
	ReasonSignaled Reason = "Signaled"
	// ReasonDeadlineExceeded: the program ran past timeoutSeconds and was stopped.
	ReasonDeadlineExceeded Reason = "DeadlineExceeded"
	// ReasonCancelled: cancel was set and the program was stopped.
	ReasonCancelled Reason = "Cancelled"
	// ReasonImageUnavailable: the image is not on the daemon and could not be pulled.
	ReasonImageUnavailable Reason = "ImageUnavailable"
	// ReasonBuildFailed: the spec.build image failed to build.
	ReasonBuildFailed Reason = "BuildFailed"
	// ReasonInvalidSpec: the spec names something that does not exist or cannot be used.
	ReasonInvalidSpec Reason = "InvalidSpec"
	// ReasonContainerLost: the container disappeared while the program ran.
	ReasonContainerLost Reason = "ContainerLost"
	// ReasonQueued: waiting for a free slot under the running-container cap.
	ReasonQueued Reason = "Queued"
	// ReasonDaemonUnavailable: waiting for the Docker daemon to answer.
	ReasonDaemonUnavailable Reason = "DaemonUnavailable"
	// ReasonCreating: the container is being created.
	ReasonCreating Reason = "Creating"
	// ReasonBuilding: the spec.build image is being built.
	ReasonBuilding Reason = "Building"
	// ReasonStarted: the program's container is running.
	ReasonStarted Reason = "Started"
)

// Condition types set on an Execution.
const (
	// ConditionStarted is True once the program's container has started.
	ConditionStarted = "Started"
	// ConditionFinished is True once the Execution reached Succeeded or Failed.
	ConditionFinished = "Finished"
)

// ExecutionStatus is what happened, written by the controller.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.phase) || !(oldSelf.phase in ['Succeeded', 'Failed']) || (has(self.phase) && self.phase == oldSelf.phase)",message="a finished Execution's phase cannot change"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.phase) || oldSelf.phase != 'Running' || (has(self.phase) && self.phase != 'Pending')",message="phase cannot move back from Running to Pending"
type ExecutionStatus struct {
	// phase is Pending, Running, Succeeded or Failed; it never moves backwards.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// reason says why the Execution is in its phase.
	// +optional
	Reason Reason `json:"reason,omitempty"`

	// message is one human sentence about the phase and reason.
	// +optional
	Message string `json:"message,omitempty"`

	// conditions are Started and Finished, with the generation they were computed for.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the spec generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// exitCode is the program's exit code, set once it finished.
	// +optional
	ExitCode *int32 `json:"exitCode,omitempty"`

	// signal names the signal that ended the program (e.g. SIGKILL) when its exit code
	// was above 128 and it was not OOM-killed.
	// +optional
	Signal string `json:"signal,omitempty"`

	// oomKilled is true when the kernel killed the program for exceeding its memory limit.
	// +optional
	OOMKilled bool `json:"oomKilled,omitempty"`

	// stdout holds the first and last part of standard output, valid UTF-8, within the
	// controller's output cap (default 16 KiB per stream).
	// +optional
	Stdout string `json:"stdout,omitempty"`

	// stderr holds the first and last part of standard error, like stdout.
	// +optional
	Stderr string `json:"stderr,omitempty"`

	// stdoutBytes is how many bytes the program wrote to standard output.
	// +optional
	StdoutBytes int64 `json:"stdoutBytes,omitempty"`

	// stderrBytes is how many bytes the program wrote to standard error.
	// +optional
	StderrBytes int64 `json:"stderrBytes,omitempty"`

	// stdoutTruncated is true when stdout holds less than the program wrote.
	// +optional
	StdoutTruncated bool `json:"stdoutTruncated,omitempty"`

	// stderrTruncated is true when stderr holds less than the program wrote.
	// +optional
	StderrTruncated bool `json:"stderrTruncated,omitempty"`

	// logPath is the directory on the workspace volume that holds stdout.log and
	// stderr.log, the complete streams.
	// +optional
	LogPath string `json:"logPath,omitempty"`

	// startTime is when the program's container started.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// completionTime is when the Execution finished.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// duration is completionTime minus startTime, as text (e.g. 1.52s).
	// +optional
	Duration string `json:"duration,omitempty"`

	// containerID is the Docker container that ran the program.
	// +optional
	ContainerID string `json:"containerID,omitempty"`

	// image is the image that actually ran.
	// +optional
	Image string `json:"image,omitempty"`
}

// Execution runs one program in a container and records how it ended.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=exec;execs,categories=runlet
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.reason`
// +kubebuilder:printcolumn:name="Exit",type=integer,JSONPath=`.status.exitCode`
// +kubebuilder:printcolumn:name="Language",type=string,JSONPath=`.spec.language`
// +kubebuilder:printcolumn:name="Duration",type=string,JSONPath=`.status.duration`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Execution struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is what to run.
	// +required
	Spec ExecutionSpec `json:"spec"`

	// status is what happened.
	// +optional
	Status ExecutionStatus `json:"status,omitempty"`
}

// ExecutionList is a list of Executions.
//
// +kubebuilder:object:root=true
type ExecutionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Execution `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Execution{}, &ExecutionList{})
}

// IsFinished reports whether the phase is Succeeded or Failed.
func (p Phase) IsFinished() bool {
	return p == PhaseSucceeded || p == PhaseFailed
}
