package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// createdByLabel marks the Executions this plugin created, so that
// `kubectl get executions -l app.kubernetes.io/created-by=kubectl-runlet` lists them.
const createdByLabel = "app.kubernetes.io/created-by"

// stdinName is the file name that stands for the plugin's own standard input.
const stdinName = "-"

// runOptions are the flags of `run` that shape the Execution.
type runOptions struct {
	language  string
	file      string
	code      string
	codeSet   bool
	stdin     string
	stdinSet  bool
	stdinFile string
	image     string
	timeout   int32
	memory    string
	cpu       string
	env       []string
	addFiles  []string
	network   string
	workspace string
	ttl       int32
	name      string
	// args are the words after --: the program's arguments with a language, its whole
	// command line without one.
	args []string
}

// inputs are where the plugin reads code, files and stdin from.
type inputs struct {
	open  func(name string) (io.ReadCloser, error)
	stdin io.Reader
}

// languageByExtension guesses the language of a code file for the built-in presets.
var languageByExtension = map[string]string{
	".py": "python", ".js": "node", ".mjs": "node", ".cjs": "node",
	".sh": "bash", ".bash": "bash", ".rb": "ruby", ".go": "go",
}

// buildExecution turns the flags of `run` into the Execution to create. It checks what the
// API server cannot: where text comes from, that it is text, and that local files fit.
func buildExecution(o runOptions, in inputs) (*runletv1.Execution, error) {
	if o.file == stdinName && o.stdinFile == stdinName {
		return nil, errors.New("-f - and --stdin-file - cannot both read standard input")
	}
	spec := runletv1.ExecutionSpec{
		Image:          o.image,
		TimeoutSeconds: o.timeout,
		Workspace:      workspaceFor(o.workspace),
	}

	var err error
	if spec.Code, err = codeFrom(o, in); err != nil {
		return nil, err
	}
	if spec.Stdin, err = stdinFrom(o, in); err != nil {
		return nil, err
	}
	if spec.Language, err = languageFor(o); err != nil {
		return nil, err
	}
	if spec.Code == "" && o.image == "" {
		// A preset's command runs the code file, which runlet writes only from code that
		// is not empty; without it the program would fail only once it ran.
		return nil, missingCode(o)
	}
	if spec.Files, err = filesFrom(o.addFiles, in); err != nil {
		return nil, err
	}
	if spec.Env, err = envFrom(o.env); err != nil {
		return nil, err
	}
	if spec.Resources, err = resourcesFrom(o.cpu, o.memory); err != nil {
		return nil, err
	}
	if spec.Network, err = networkFrom(o.network); err != nil {
		return nil, err
	}
	if o.ttl >= 0 {
		ttl := o.ttl
		spec.TTLSecondsAfterFinished = &ttl
	}
	if spec.Language != "" {
		spec.Args = o.args
	} else {
		spec.Command = o.args
	}

	exec := &runletv1.Execution{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{createdByLabel: "kubectl-runlet"}},
		Spec:       spec,
	}
	if o.name != "" {
		exec.Name = o.name
	} else {
		exec.GenerateName = "run-"
	}
	return exec, nil
}

func codeFrom(o runOptions, in inputs) (string, error) {
	switch {
	case o.codeSet && o.file != "":
		return "", errors.New("give the code with --code or with -f, not both")
	case o.codeSet:
		return checkText("--code", []byte(o.code), runletv1.MaxCodeChars)
	case o.file != "":
		return readText("-f", o.file, runletv1.MaxCodeChars, in)
	}
	return "", nil
}

// missingCode says what to give when there is no code and no image to run instead.
func missingCode(o runOptions) error {
	const what = "give the code to run, or an image with --image IMAGE"
	switch {
	case o.codeSet:
		return errors.New("--code is empty: " + what)
	case o.file == stdinName:
		return errors.New("-f -: standard input was empty: " + what)
	case o.file != "":
		return fmt.Errorf("-f %s is empty: %s", o.file, what)
	}
	return errors.New("no code: give it with -f FILE or --code CODE, " +
		"or run an image with --image IMAGE")
}

func stdinFrom(o runOptions, in inputs) (string, error) {
	switch {
	case o.stdinSet && o.stdinFile != "":
		return "", errors.New("give standard input with --stdin or with --stdin-file, not both")
	case o.stdinSet:
		return checkText("--stdin", []byte(o.stdin), runletv1.MaxStdinChars)
	case o.stdinFile != "":
		return readText("--stdin-file", o.stdinFile, runletv1.MaxStdinChars, in)
	}
	return "", nil
}

// languageFor is --language, or a guess from the code file's extension when neither a
// language nor an image was given.
func languageFor(o runOptions) (string, error) {
	if o.language != "" || o.image != "" {
		return o.language, nil
	}
	if o.file != "" && o.file != stdinName {
		if lang, ok := languageByExtension[strings.ToLower(filepath.Ext(o.file))]; ok {
			return lang, nil
		}
	}
	return "", errors.New("say what runs the code: -l LANGUAGE (python, node, bash, ...) " +
		"or --image IMAGE")
}

// filesFrom reads --add-file SRC[:DEST]; DEST defaults to SRC's base name.
func filesFrom(specs []string, in inputs) ([]runletv1.File, error) {
	if len(specs) > runletv1.MaxFiles {
		return nil, fmt.Errorf("--add-file: at most %d files, got %d", runletv1.MaxFiles, len(specs))
	}
	var files []runletv1.File
	seen := map[string]bool{}
	for _, s := range specs {
		src, dest, hasDest := strings.Cut(s, ":")
		if !hasDest {
			dest = filepath.Base(src)
		}
		if src == "" || src == stdinName || dest == "" {
			return nil, fmt.Errorf("--add-file %q: want a local file, optionally :DEST", s)
		}
		dest = path.Clean(filepath.ToSlash(dest))
		if seen[dest] {
			return nil, fmt.Errorf("--add-file: %s is given twice", dest)
		}
		seen[dest] = true
		content, err := readText("--add-file", src, runletv1.MaxFileChars, in)
		if err != nil {
			return nil, err
		}
		files = append(files, runletv1.File{Path: dest, Content: content})
	}
	return files, nil
}

// envFrom parses --env NAME=VALUE. The value may be empty; the name may not.
func envFrom(pairs []string) ([]runletv1.EnvVar, error) {
	var env []runletv1.EnvVar
	seen := map[string]bool{}
	for _, pair := range pairs {
		name, value, ok := strings.Cut(pair, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--env %q: want NAME=VALUE", pair)
		}
		if seen[name] {
			return nil, fmt.Errorf("--env: %s is given twice", name)
		}
		seen[name] = true
		env = append(env, runletv1.EnvVar{Name: name, Value: value})
	}
	return env, nil
}

func resourcesFrom(cpu, memory string) (runletv1.Resources, error) {
	var r runletv1.Resources
	if cpu != "" {
		q, err := resource.ParseQuantity(cpu)
		if err != nil {
			return r, fmt.Errorf("--cpu %q: want cores as a quantity such as 500m or 2", cpu)
		}
		r.CPU = &q
	}
	if memory != "" {
		q, err := resource.ParseQuantity(memory)
		if err != nil {
			return r, fmt.Errorf("--memory %q: want bytes as a quantity such as 64Mi or 1Gi", memory)
		}
		r.Memory = &q
	}
	return r, nil
}

func networkFrom(s string) (runletv1.Network, error) {
	switch strings.ToLower(s) {
	case "":
		return "", nil
	case "none":
		return runletv1.NetworkNone, nil
	case "bridge":
		return runletv1.NetworkBridge, nil
	}
	return "", fmt.Errorf("--network %q: want None or Bridge", s)
}

func workspaceFor(subPath string) *runletv1.Workspace {
	if subPath == "" {
		return nil
	}
	return &runletv1.Workspace{SubPath: subPath}
}

// readText reads a local file, or standard input for "-", as text of at most limit
// characters.
func readText(flag, name string, limit int, in inputs) (string, error) {
	var r io.Reader = in.stdin
	if name != stdinName {
		f, err := in.open(name)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: %s does not exist", flag, name)
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", flag, err)
		}
		defer func() { _ = f.Close() }()
		r = f
	}
	// A character takes at most utf8.UTFMax bytes, so one byte past that many for each
	// character allowed is enough to know the text is too long.
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)*utf8.UTFMax+1))
	if err != nil {
		return "", fmt.Errorf("%s: read %s: %w", flag, name, err)
	}
	return checkText(flag+" "+name, data, limit)
}

// checkText refuses what the Execution cannot hold as given: more than limit characters,
// or bytes that are not UTF-8, which JSON would silently replace. The limits are the CRD's
// maxLength, which the API server counts in characters (Unicode code points), not bytes.
func checkText(what string, data []byte, limit int) (string, error) {
	if utf8.RuneCount(data) > limit {
		return "", fmt.Errorf("%s: longer than %d characters, the most runlet accepts",
			what, limit)
	}
	if !utf8.Valid(data) {
		return "", fmt.Errorf("%s: not UTF-8 text; runlet passes text only", what)
	}
	return string(data), nil
}
