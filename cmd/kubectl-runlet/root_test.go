package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// executeLocally runs the plugin with a kubeconfig that does not exist, so that any
// command that got as far as the API server would fail with a different message.
func executeLocally(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	args = append(args, "--kubeconfig", "/nonexistent/kubeconfig")
	code = execute(args, streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

func TestMistakesOnTheCommandLineExit125WithAMessage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown flag", []string{"run", "--bogus"}, "unknown flag: --bogus\n" +
			"See 'kubectl runlet run --help'."},
		{"argument before --", []string{"run", "-l", "python", "--code", "x", "extra"},
			`unexpected argument "extra": arguments for the program go after --`},
		{"no language", []string{"run", "--code", "x"}, "-l LANGUAGE"},
		{"no code", []string{"run", "-l", "python"}, "no code: give it with -f FILE or --code"},
		{"empty code", []string{"run", "-l", "python", "--code", ""}, "--code is empty"},
		{"deleting what is not waited for", []string{"run", "-l", "python", "--code", "x",
			"--wait=false", "--keep=false"}, "--keep=false"},
		{"bad progress mode", []string{"run", "-l", "python", "--code", "x",
			"--progress", "loud"}, "want auto, always or never"},
		{"get without a name", []string{"get"}, "accepts 1 arg(s), received 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := executeLocally(tc.args...)
			assert.Equal(t, exitToolError, code)
			assert.Empty(t, stdout)
			assert.True(t, strings.HasPrefix(stderr, "Error: "), stderr)
			assert.Contains(t, stderr, tc.wantErr)
		})
	}
}

func TestHelpExitsZeroAndNamesTheCommandAsKubectlDoes(t *testing.T) {
	code, stdout, _ := executeLocally("run", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "kubectl runlet run [-l LANGUAGE]")
	assert.Contains(t, stdout, "exits 130")
}
