package main

import (
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// localFiles are the files a test pretends to have on disk, and stdin its standard input.
func localFiles(stdin string, files map[string]string) inputs {
	return inputs{
		open: func(name string) (io.ReadCloser, error) {
			content, ok := files[name]
			if !ok {
				return nil, fs.ErrNotExist
			}
			return io.NopCloser(strings.NewReader(content)), nil
		},
		stdin: strings.NewReader(stdin),
	}
}

// noTTL is runOptions as the flags leave it when --ttl is not given.
func noTTL(o runOptions) runOptions {
	o.ttl = -1
	return o
}

func TestBuildExecutionTakesTheCodeFromAFileAndGuessesItsLanguage(t *testing.T) {
	exec, err := buildExecution(noTTL(runOptions{file: "hello.py"}),
		localFiles("", map[string]string{"hello.py": "print('hi')\n"}))
	require.NoError(t, err)

	assert.Equal(t, "python", exec.Spec.Language)
	assert.Equal(t, "print('hi')\n", exec.Spec.Code)
	assert.Equal(t, "run-", exec.GenerateName)
	assert.Empty(t, exec.Name)
	assert.Equal(t, "kubectl-runlet", exec.Labels[createdByLabel])
	assert.Nil(t, exec.Spec.TTLSecondsAfterFinished)
}

func TestBuildExecutionMapsEveryFlagToTheSpec(t *testing.T) {
	o := runOptions{
		language: "node", code: "console.log(1)", codeSet: true,
		stdin: "input", stdinSet: true, image: "runlet.local/node:custom",
		timeout: 5, memory: "64Mi", cpu: "500m",
		env:      []string{"A=1", "EMPTY=", "WITH_EQUALS=x=y"},
		addFiles: []string{"lib.js", "data/in.txt:input.txt"},
		network:  "bridge", workspace: "agent-1", ttl: 30, name: "my-run",
		args: []string{"--flag", "value"},
	}
	exec, err := buildExecution(o, localFiles("", map[string]string{
		"lib.js": "module.exports = 1\n", "data/in.txt": "42\n"}))
	require.NoError(t, err)

	spec := exec.Spec
	assert.Equal(t, "my-run", exec.Name)
	assert.Empty(t, exec.GenerateName)
	assert.Equal(t, "node", spec.Language)
	assert.Equal(t, "console.log(1)", spec.Code)
	assert.Equal(t, "input", spec.Stdin)
	assert.Equal(t, "runlet.local/node:custom", spec.Image)
	assert.Equal(t, int32(5), spec.TimeoutSeconds)
	assert.True(t, resource.MustParse("64Mi").Equal(*spec.Resources.Memory))
	assert.True(t, resource.MustParse("500m").Equal(*spec.Resources.CPU))
	assert.Equal(t, []runletv1.EnvVar{{Name: "A", Value: "1"}, {Name: "EMPTY"},
		{Name: "WITH_EQUALS", Value: "x=y"}}, spec.Env)
	assert.Equal(t, []runletv1.File{{Path: "lib.js", Content: "module.exports = 1\n"},
		{Path: "input.txt", Content: "42\n"}}, spec.Files)
	assert.Equal(t, runletv1.NetworkBridge, spec.Network)
	assert.Equal(t, &runletv1.Workspace{SubPath: "agent-1"}, spec.Workspace)
	assert.Equal(t, int32(30), *spec.TTLSecondsAfterFinished)
	assert.Equal(t, []string{"--flag", "value"}, spec.Args)
	assert.Empty(t, spec.Command)
}

func TestBuildExecutionLeavesUnsetFlagsToTheServersDefaults(t *testing.T) {
	exec, err := buildExecution(noTTL(runOptions{language: "bash", code: "true", codeSet: true}),
		localFiles("", nil))
	require.NoError(t, err)

	spec := exec.Spec
	assert.Zero(t, spec.TimeoutSeconds)
	assert.Nil(t, spec.Resources.CPU)
	assert.Nil(t, spec.Resources.Memory)
	assert.Empty(t, spec.Network)
	assert.Nil(t, spec.Workspace)
	assert.Empty(t, spec.Env)
	assert.Empty(t, spec.Files)
}

func TestBuildExecutionMakesTheWordsAfterDashesTheCommandOfAnImageWithoutLanguage(t *testing.T) {
	exec, err := buildExecution(noTTL(runOptions{image: "runlet.local/busybox:1.35-static",
		args: []string{"echo", "hi"}}), localFiles("", nil))
	require.NoError(t, err)

	assert.Empty(t, exec.Spec.Language)
	assert.Equal(t, []string{"echo", "hi"}, exec.Spec.Command)
	assert.Empty(t, exec.Spec.Args)
}

func TestBuildExecutionReadsCodeOrStdinFromItsOwnStandardInput(t *testing.T) {
	exec, err := buildExecution(noTTL(runOptions{language: "bash", file: "-"}),
		localFiles("echo piped\n", nil))
	require.NoError(t, err)
	assert.Equal(t, "echo piped\n", exec.Spec.Code)

	exec, err = buildExecution(noTTL(runOptions{file: "cat.py", stdinFile: "-"}),
		localFiles("line 1\nline 2\n", map[string]string{"cat.py": "import sys\n"}))
	require.NoError(t, err)
	assert.Equal(t, "line 1\nline 2\n", exec.Spec.Stdin)
}

func TestBuildExecutionKeepsAnEmptyStdinThatWasGiven(t *testing.T) {
	exec, err := buildExecution(noTTL(runOptions{language: "python", code: "print(1)",
		codeSet: true, stdin: "", stdinSet: true}), localFiles("", nil))
	require.NoError(t, err)
	assert.Empty(t, exec.Spec.Stdin)
}

func TestBuildExecutionNeedsNoCodeToRunAnImage(t *testing.T) {
	for _, o := range []runOptions{
		{image: "runlet.local/busybox:1.35-static", args: []string{"true"}},
		{image: "runlet.local/python:custom", language: "python"},
		{image: "runlet.local/busybox:1.35-static", code: "", codeSet: true},
	} {
		exec, err := buildExecution(noTTL(o), localFiles("", nil))
		require.NoError(t, err, "%+v", o)
		assert.Empty(t, exec.Spec.Code)
		assert.Equal(t, o.image, exec.Spec.Image)
	}
}

func TestBuildExecutionRefusesInputItCannotPassOnFaithfully(t *testing.T) {
	files := map[string]string{
		"a.py":      "print(1)",
		"notes.txt": "no extension to guess from",
		"big.py":    strings.Repeat("x", runletv1.MaxCodeChars+1),
		"big.txt":   strings.Repeat("x", runletv1.MaxFileChars+1),
		"binary.py": "\xff\xfe\x00",
		"empty.py":  "",
	}
	for _, tc := range []struct {
		name    string
		opts    runOptions
		wantErr string
	}{
		{"code from two places", runOptions{file: "a.py", code: "x", codeSet: true},
			"--code or with -f"},
		{"stdin from two places", runOptions{file: "a.py", stdinSet: true, stdinFile: "a.py"},
			"--stdin or with --stdin-file"},
		{"standard input read twice", runOptions{language: "python", file: "-", stdinFile: "-"},
			"cannot both read standard input"},
		{"no language to guess", runOptions{file: "notes.txt"}, "-l LANGUAGE"},
		{"code without language", runOptions{code: "x", codeSet: true}, "-l LANGUAGE"},
		{"missing file", runOptions{file: "gone.py"}, "gone.py does not exist"},
		{"no code", runOptions{language: "python"}, "no code: give it with -f FILE or --code"},
		{"empty code", runOptions{language: "python", code: "", codeSet: true},
			"--code is empty"},
		{"empty file", runOptions{file: "empty.py"}, "-f empty.py is empty"},
		{"empty standard input", runOptions{language: "bash", file: "-"},
			"standard input was empty"},
		{"code too long", runOptions{file: "big.py"}, "longer than 262144 characters"},
		{"extra file too long", runOptions{file: "a.py", addFiles: []string{"big.txt"}},
			"longer than 65536 characters"},
		{"code on the command line too long", runOptions{language: "python",
			code: strings.Repeat("x", runletv1.MaxCodeChars+1), codeSet: true},
			"--code: longer than 262144 characters"},
		{"stdin too long", runOptions{file: "a.py",
			stdin: strings.Repeat("é", runletv1.MaxStdinChars+1), stdinSet: true},
			"--stdin: longer than 262144 characters"},
		{"bytes that are not text", runOptions{file: "binary.py"}, "not UTF-8"},
		{"stdin that is not text", runOptions{file: "a.py", stdin: "\xff", stdinSet: true},
			"not UTF-8"},
		{"extra file given twice", runOptions{file: "a.py",
			addFiles: []string{"a.py:lib.py", "notes.txt:lib.py"}}, "lib.py is given twice"},
		{"env without value", runOptions{file: "a.py", env: []string{"NAME"}}, "want NAME=VALUE"},
		{"env without name", runOptions{file: "a.py", env: []string{"=x"}}, "want NAME=VALUE"},
		{"env given twice", runOptions{file: "a.py", env: []string{"A=1", "A=2"}},
			"A is given twice"},
		{"memory that is no quantity", runOptions{file: "a.py", memory: "lots"}, "--memory"},
		{"cpu that is no quantity", runOptions{file: "a.py", cpu: "fast"}, "--cpu"},
		{"unknown network", runOptions{file: "a.py", network: "host"}, "want None or Bridge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildExecution(noTTL(tc.opts), localFiles("", files))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// TestBuildExecutionCountsSizeCapsInCharactersAsTheAPIServerDoes holds text of characters
// that take several bytes each, which the CRD's maxLength (a count of characters) accepts
// up to the cap however many bytes it is.
func TestBuildExecutionCountsSizeCapsInCharactersAsTheAPIServerDoes(t *testing.T) {
	const emoji = "\U0001F600" // four bytes in UTF-8
	atCap := func(limit int) string { return strings.Repeat(emoji, limit) }
	files := map[string]string{
		"full.py":       atCap(runletv1.MaxCodeChars),
		"over.py":       atCap(runletv1.MaxCodeChars) + "x",
		"full.txt":      atCap(runletv1.MaxFileChars),
		"over.txt":      atCap(runletv1.MaxFileChars) + "x",
		"full-stdin.in": atCap(runletv1.MaxStdinChars),
	}

	exec, err := buildExecution(noTTL(runOptions{file: "full.py", addFiles: []string{"full.txt"},
		stdinFile: "full-stdin.in"}), localFiles("", files))
	require.NoError(t, err)
	assert.Equal(t, files["full.py"], exec.Spec.Code)
	assert.Equal(t, files["full.txt"], exec.Spec.Files[0].Content)
	assert.Equal(t, files["full-stdin.in"], exec.Spec.Stdin)

	exec, err = buildExecution(noTTL(runOptions{language: "python",
		code: atCap(runletv1.MaxCodeChars), codeSet: true}), localFiles("", nil))
	require.NoError(t, err)
	assert.Len(t, exec.Spec.Code, runletv1.MaxCodeChars*4)

	_, err = buildExecution(noTTL(runOptions{file: "over.py"}), localFiles("", files))
	assert.ErrorContains(t, err, "-f over.py: longer than 262144 characters")
	_, err = buildExecution(noTTL(runOptions{file: "full.py", addFiles: []string{"over.txt"}}),
		localFiles("", files))
	assert.ErrorContains(t, err, "--add-file over.txt: longer than 65536 characters")
	_, err = buildExecution(noTTL(runOptions{language: "bash", file: "-"}),
		localFiles(files["over.py"], nil))
	assert.ErrorContains(t, err, "-f -: longer than 262144 characters")
}
