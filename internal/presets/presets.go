// Package presets maps a language name to the image, file and command that run its code.
package presets

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Preset says how to run code in one language.
type Preset struct {
	// Image is the image the code runs in.
	Image string `json:"image"`
	// File is the name the code is written to, relative to the program's directory.
	File string `json:"file"`
	// Command runs the program; it usually names File.
	Command []string `json:"command"`
	// User is the "uid:gid" the program runs as; empty keeps the image's own user.
	User string `json:"user,omitempty"`
	// Env is extra environment the language needs (caches in writable places, say).
	Env map[string]string `json:"env,omitempty"`
}

// Config is the languages file: preset names to presets.
type Config struct {
	Languages map[string]Preset `json:"languages"`
}

// nobody is the unprivileged user every Debian- and Alpine-based image has.
const nobody = "65534:65534"

// Defaults are the built-in presets, on public images. Operators replace them with a
// languages file, for example to point at a private registry.
func Defaults() Config {
	return Config{Languages: map[string]Preset{
		"python": {Image: "python:3.12-slim", File: "main.py", Command: []string{"python3", "main.py"},
			User: nobody, Env: map[string]string{"PYTHONDONTWRITEBYTECODE": "1", "HOME": "/tmp"}},
		"node": {Image: "node:22-slim", File: "main.js", Command: []string{"node", "main.js"},
			User: nobody, Env: map[string]string{"HOME": "/tmp"}},
		"bash": {Image: "bash:5.2", File: "main.sh", Command: []string{"bash", "main.sh"},
			User: nobody, Env: map[string]string{"HOME": "/tmp"}},
		"sh": {Image: "busybox:1.37", File: "main.sh", Command: []string{"sh", "main.sh"},
			User: nobody, Env: map[string]string{"HOME": "/tmp"}},
		"ruby": {Image: "ruby:3.3-slim", File: "main.rb", Command: []string{"ruby", "main.rb"},
			User: nobody, Env: map[string]string{"HOME": "/tmp"}},
		"go": {Image: "golang:1.23", File: "main.go", Command: []string{"go", "run", "main.go"},
			User: nobody, Env: map[string]string{"HOME": "/tmp", "GOCACHE": "/tmp/go-cache",
				"GOPATH": "/tmp/go", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}},
	}}
}

// Load reads a languages file. An empty path gives the built-in defaults.
func Load(file string) (Config, error) {
	if file == "" {
		return Defaults(), nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return Config{}, fmt.Errorf("read languages file: %w", err)
	}
	return Parse(data)
}

// Parse decodes and checks a languages file.
func Parse(data []byte) (Config, error) {
	var cfg Config
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return Config{}, fmt.Errorf("parse languages file: %w", err)
	}
	if len(cfg.Languages) == 0 {
		return Config{}, fmt.Errorf("languages file defines no languages")
	}
	for name, p := range cfg.Languages {
		if err := p.validate(); err != nil {
			return Config{}, fmt.Errorf("language %q: %w", name, err)
		}
	}
	return cfg, nil
}

func (p Preset) validate() error {
	switch {
	case p.Image == "":
		return fmt.Errorf("image is required")
	case p.File == "":
		return fmt.Errorf("file is required")
	case path.IsAbs(p.File) || strings.Contains(p.File, ".."):
		return fmt.Errorf("file %q must be a relative path without '..'", p.File)
	case len(p.Command) == 0:
		return fmt.Errorf("command is required")
	}
	return nil
}

// Lookup returns the preset for a language and whether it exists.
func (c Config) Lookup(language string) (Preset, bool) {
	p, ok := c.Languages[language]
	return p, ok
}

// Names lists the configured languages in order, for messages.
func (c Config) Names() []string {
	names := make([]string, 0, len(c.Languages))
	for name := range c.Languages {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
