package controllers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/docker"
	"github.com/runlet-dev/runlet/internal/presets"
	"github.com/runlet-dev/runlet/internal/workspace"
)

// programDir is where the program's directory is mounted inside its container.
const programDir = "/workspace"

// invalidSpecError is a spec the API server accepted but runlet cannot run. It ends the
// Execution as Failed/InvalidSpec instead of being retried.
type invalidSpecError struct{ message string }

func (e *invalidSpecError) Error() string { return e.message }

func invalidSpec(format string, args ...any) error {
	return &invalidSpecError{message: fmt.Sprintf(format, args...)}
}

// recipe is the part of a plan that follows from the spec and the presets alone.
type recipe struct {
	image   string
	files   []workspace.File
	cmd     []string
	user    string
	baseEnv []docker.EnvVar
}

// recipeFor resolves the language preset and the spec's own image and command into what
// to run. It fails only with an invalidSpecError.
func recipeFor(spec runletv1.ExecutionSpec, cfg presets.Config) (recipe, error) {
	var r recipe
	if spec.Language != "" {
		preset, ok := cfg.Lookup(spec.Language)
		if !ok {
			return recipe{}, invalidSpec("Unknown language %q; this runlet knows %v.",
				spec.Language, cfg.Names())
		}
		r.image, r.user, r.cmd = preset.Image, preset.User, preset.Command
		if spec.Code != "" {
			r.files = append(r.files, workspace.File{Path: preset.File, Content: spec.Code})
		}
		r.baseEnv = sortedEnv(preset.Env)
	}
	if spec.Image != "" {
		// An image of the user's own choice may have no unprivileged user named like the
		// preset's, so its own user applies.
		r.image, r.user = spec.Image, ""
	}
	if len(spec.Command) > 0 {
		r.cmd = spec.Command
	}
	r.cmd = append(append([]string{}, r.cmd...), spec.Args...)

	for _, arg := range r.cmd {
		if strings.ContainsRune(arg, 0) {
			return recipe{}, invalidSpec("The command or its arguments contain a NUL byte.")
		}
	}
	for _, f := range spec.Files {
		if len(r.files) > 0 && path.Clean(f.Path) == path.Clean(r.files[0].Path) {
			return recipe{}, invalidSpec("File %q would overwrite the program's code.", f.Path)
		}
		r.files = append(r.files, workspace.File{Path: f.Path, Content: f.Content})
	}
	if file, dir := fileUnderFile(r.files); file != "" {
		return recipe{}, invalidSpec("Files %q and %q clash: %q cannot be both a file and a "+
			"directory.", file, dir, file)
	}
	return r, nil
}

// fileUnderFile finds two files of which one would have to be a directory holding the
// other, such as "a" and "a/b". It returns them, or empty strings.
func fileUnderFile(files []workspace.File) (file, under string) {
	paths := make(map[string]bool, len(files))
	for _, f := range files {
		paths[path.Clean(f.Path)] = true
	}
	for _, f := range files {
		for dir := path.Dir(path.Clean(f.Path)); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if paths[dir] {
				return dir, f.Path
			}
		}
	}
	return "", ""
}

func sortedEnv(env map[string]string) []docker.EnvVar {
	out := make([]docker.EnvVar, 0, len(env))
	for name, value := range env {
		out = append(out, docker.EnvVar{Name: name, Value: value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// resolveEnv reads the spec's env, taking secret values from Secrets in the Execution's
// namespace. A missing Secret or key is an invalidSpecError.
func resolveEnv(ctx context.Context, reader client.Reader, exec *runletv1.Execution) (
	[]docker.EnvVar, error) {
	out := make([]docker.EnvVar, 0, len(exec.Spec.Env))
	secrets := map[string]*corev1.Secret{}
	for _, env := range exec.Spec.Env {
		ref := env.SecretKeyRef
		if ref == nil {
			if strings.ContainsRune(env.Value, 0) {
				return nil, invalidSpec("The value of env %s contains a NUL byte.", env.Name)
			}
			out = append(out, docker.EnvVar{Name: env.Name, Value: env.Value})
			continue
		}
		secret, ok := secrets[ref.Name]
		if !ok {
			secret = &corev1.Secret{}
			key := types.NamespacedName{Namespace: exec.Namespace, Name: ref.Name}
			err := reader.Get(ctx, key, secret)
			if apierrors.IsNotFound(err) {
				return nil, invalidSpec("Secret %q for env %s does not exist.", ref.Name, env.Name)
			}
			if err != nil {
				return nil, fmt.Errorf("read secret %s: %w", ref.Name, err)
			}
			secrets[ref.Name] = secret
		}
		value, ok := secret.Data[ref.Key]
		if !ok {
			return nil, invalidSpec("Secret %q has no key %q for env %s.", ref.Name, ref.Key, env.Name)
		}
		if bytes.IndexByte(value, 0) >= 0 || !utf8.Valid(value) {
			// Named, never shown: the daemon's own error would quote the value, and the
			// daemon's API would hand the program a changed value that redaction misses.
			return nil, invalidSpec("Secret %q key %q for env %s is not text without NUL bytes.",
				ref.Name, ref.Key, env.Name)
		}
		out = append(out, docker.EnvVar{Name: env.Name, Value: string(value), Secret: true})
	}
	return out, nil
}

// redactions lists the secret values to hide in kept output.
func redactions(env []docker.EnvVar) []string {
	var out []string
	for _, e := range env {
		if e.Secret && e.Value != "" {
			out = append(out, e.Value)
		}
	}
	return out
}

// redactedError hides secret values in an error's text, which can end up in the status
// message and in Events, while keeping its chain for errors.Is.
type redactedError struct {
	err  error
	text string
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }

// redactError replaces each secret, as is and as Go would quote it, with "***".
func redactError(err error, secrets []string) error {
	if err == nil || len(secrets) == 0 {
		return err
	}
	text := err.Error()
	for _, secret := range secrets {
		quoted := strconv.Quote(secret)
		text = strings.ReplaceAll(text, quoted[1:len(quoted)-1], "***")
		text = strings.ReplaceAll(text, secret, "***")
	}
	return &redactedError{err: err, text: text}
}

// containerName is the one container name an Execution can ever have.
func containerName(exec *runletv1.Execution) string {
	return "runlet-" + string(exec.UID)
}

// limitsFor turns the spec's quantities into daemon limits.
func limitsFor(res runletv1.Resources) docker.Limits {
	var l docker.Limits
	if res.Memory != nil {
		l.MemoryBytes = res.Memory.Value()
	}
	if res.CPU != nil {
		l.NanoCPUs = res.CPU.MilliValue() * 1_000_000
	}
	l.PidsLimit = res.Pids
	return l
}

// isInvalidSpec reports whether err says the spec cannot run, and its message.
func isInvalidSpec(err error) (string, bool) {
	var invalid *invalidSpecError
	if errors.As(err, &invalid) {
		return invalid.message, true
	}
	return "", false
}
