package docker

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSignalNameReadsTheSignalFromExitCodesAbove128(t *testing.T) {
	cases := []struct {
		exitCode int
		want     string
	}{
		{exitCode: 0, want: ""},
		{exitCode: 1, want: ""},
		{exitCode: 42, want: ""},
		{exitCode: 127, want: ""},
		{exitCode: 128, want: ""},
		{exitCode: 129, want: "SIGHUP"},
		{exitCode: 130, want: "SIGINT"},
		{exitCode: 134, want: "SIGABRT"},
		{exitCode: 137, want: "SIGKILL"},
		{exitCode: 139, want: "SIGSEGV"},
		{exitCode: 141, want: "SIGPIPE"},
		{exitCode: 143, want: "SIGTERM"},
		{exitCode: 255, want: ""},
		{exitCode: -1, want: ""},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, SignalName(tc.exitCode), "exit code %d", tc.exitCode)
	}
}
