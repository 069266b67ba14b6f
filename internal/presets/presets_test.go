package presets

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultsCoverTheDocumentedLanguages(t *testing.T) {
	cfg := Defaults()
	for _, name := range []string{"python", "node", "bash", "sh", "ruby", "go"} {
		p, ok := cfg.Lookup(name)
		require.True(t, ok, name)
		assert.NoError(t, p.validate(), name)
	}
}

func TestParseReplacesTheDefaults(t *testing.T) {
	cfg, err := Parse([]byte(`
languages:
  python:
    image: runlet.local/python:3.11-bookworm
    file: main.py
    command: [python3, main.py]
`))
	require.NoError(t, err)
	assert.Equal(t, []string{"python"}, cfg.Names())
	p, _ := cfg.Lookup("python")
	assert.Equal(t, "runlet.local/python:3.11-bookworm", p.Image)
}

func TestParseRejectsBadFiles(t *testing.T) {
	cases := map[string]string{
		"empty":            ``,
		"no languages":     `languages: {}`,
		"missing image":    "languages:\n  x: {file: a, command: [a]}",
		"missing command":  "languages:\n  x: {image: i, file: a}",
		"absolute file":    "languages:\n  x: {image: i, file: /a, command: [a]}",
		"escaping file":    "languages:\n  x: {image: i, file: ../a, command: [a]}",
		"unknown field":    "languages:\n  x: {image: i, file: a, command: [a], shell: yes}",
		"not a preset map": "languages: [python]",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(text))
			assert.Error(t, err)
		})
	}
}
