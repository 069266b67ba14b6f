package controllers

import (
	"testing"

	"github.com/stretchr/testify/assert"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
	"github.com/runlet-dev/runlet/internal/presets"
	"github.com/runlet-dev/runlet/internal/workspace"
)

func TestFileUnderFile(t *testing.T) {
	cases := []struct {
		name        string
		paths       []string
		file, under string
	}{
		{"no files", nil, "", ""},
		{"siblings", []string{"a", "b", "lib/c"}, "", ""},
		{"shared directory", []string{"lib/a", "lib/b"}, "", ""},
		{"a file and one below it", []string{"a", "a/b"}, "a", "a/b"},
		{"a file and one deeper below it", []string{"x/y/z", "x"}, "x", "x/y/z"},
		{"a directory-like prefix is no clash", []string{"ab", "a/b"}, "", ""},
	}
	for _, c := range cases {
		var files []workspace.File
		for _, p := range c.paths {
			files = append(files, workspace.File{Path: p})
		}
		file, under := fileUnderFile(files)
		assert.Equal(t, c.file, file, c.name)
		assert.Equal(t, c.under, under, c.name)
	}
}

func TestAFileThatWouldBeADirectoryIsAnInvalidSpec(t *testing.T) {
	spec := runletv1.ExecutionSpec{Language: "python", Code: "print(1)",
		Files: []runletv1.File{{Path: "lib", Content: "x"}, {Path: "lib/util.py", Content: "y"}}}
	_, err := recipeFor(spec, presets.Defaults())
	message, invalid := isInvalidSpec(err)
	assert.True(t, invalid)
	assert.Equal(t, `Files "lib" and "lib/util.py" clash: "lib" cannot be both a file and a directory.`,
		message)
}
