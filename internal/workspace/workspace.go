// Package workspace lays out an Execution's files on the workspace volume.
//
// The layout under the root is:
//
//	<root>/<namespace>/<subPath>      a namespace's persistent workspace (spec.workspace)
//	<root>/.runlet/<uid>/work         an Execution's private scratch directory
//	<root>/.runlet/<uid>/logs         its complete stdout.log and stderr.log
//
// Namespace names cannot start with a dot, so runlet's own directory never meets one.
package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Errors that say the spec asked for something that cannot be laid out.
var (
	// ErrOutside means a path would leave the directory it must stay in.
	ErrOutside = errors.New("path leaves the workspace")
	// ErrUnwritable means a file of the spec cannot be written where it asks: its path
	// names a directory, or runs through a file, say.
	ErrUnwritable = errors.New("file cannot be written")
)

// Layout knows where things live under one workspace root.
type Layout struct {
	Root string
}

// File is one file to write before the program starts.
type File struct {
	Path    string
	Content string
}

// ExecutionDir is runlet's own directory for one Execution.
func (l Layout) ExecutionDir(uid string) string {
	return filepath.Join(l.Root, ".runlet", uid)
}

// ScratchDir is the private directory an Execution without spec.workspace runs in.
func (l Layout) ScratchDir(uid string) string {
	return filepath.Join(l.ExecutionDir(uid), "work")
}

// LogDir holds the complete output streams of one Execution.
func (l Layout) LogDir(uid string) string {
	return filepath.Join(l.ExecutionDir(uid), "logs")
}

// NamespaceDir is a namespace's own part of the persistent workspace.
func (l Layout) NamespaceDir(namespace string) string {
	return filepath.Join(l.Root, namespace)
}

// Prepare creates the directories an Execution needs and writes its files into the
// directory the program runs in, which it returns. With an empty subPath that is the
// private scratch directory; otherwise it is subPath directly inside the namespace's
// workspace, created when missing. Files are written without following symbolic links, so
// neither a file path nor a link left behind by an earlier program can reach outside that
// directory.
//
// No program can write the parent of the directory it gets: the namespace's directory and
// runlet's own are not writable to programs, and a subPath is one level deep. So no
// program can swap the directory for a link between this check and the daemon's mount.
func (l Layout) Prepare(namespace, uid, subPath string, files []File) (string, error) {
	if err := os.MkdirAll(l.LogDir(uid), 0o755); err != nil {
		return "", fmt.Errorf("create log directory: %w", err)
	}

	dir := l.ScratchDir(uid)
	if subPath != "" {
		resolved, err := l.resolveSubPath(namespace, subPath)
		if err != nil {
			return "", err
		}
		dir = resolved
	} else if err := mkdirOpen(dir); err != nil {
		return "", fmt.Errorf("create scratch directory: %w", err)
	}

	if err := writeFiles(dir, files); err != nil {
		return "", err
	}
	return dir, nil
}

// resolveSubPath creates subPath under the namespace's directory through an os.Root, which
// refuses to follow links out of it, and returns its real path after checking once more
// that it lies inside.
func (l Layout) resolveSubPath(namespace, subPath string) (string, error) {
	if err := checkName(subPath); err != nil {
		return "", err
	}
	nsDir := l.NamespaceDir(namespace)
	if err := os.MkdirAll(nsDir, 0o755); err != nil {
		return "", fmt.Errorf("create namespace workspace: %w", err)
	}
	root, err := os.OpenRoot(nsDir)
	if err != nil {
		return "", fmt.Errorf("open namespace workspace: %w", err)
	}
	defer root.Close()
	if err := root.MkdirAll(subPath, 0o777); err != nil {
		return "", fmt.Errorf("create workspace %q: %w", subPath, errOutsideOr(err))
	}
	// The program runs as an unprivileged user and must be able to write its results.
	if err := root.Chmod(subPath, 0o777); err != nil {
		return "", fmt.Errorf("open workspace %q to the program: %w", subPath, errOutsideOr(err))
	}

	real, err := filepath.EvalSymlinks(filepath.Join(nsDir, subPath))
	if err != nil {
		return "", fmt.Errorf("resolve workspace %q: %w", subPath, err)
	}
	realNS, err := filepath.EvalSymlinks(nsDir)
	if err != nil {
		return "", fmt.Errorf("resolve namespace workspace: %w", err)
	}
	if !within(realNS, real) {
		return "", fmt.Errorf("workspace %q: %w", subPath, ErrOutside)
	}
	return real, nil
}

// writeFiles writes each file through an os.Root on dir. Parent directories are created;
// an existing file is replaced.
func writeFiles(dir string, files []File) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open program directory: %w", err)
	}
	defer root.Close()
	for _, f := range files {
		if err := checkRelative(f.Path); err != nil {
			return err
		}
		if parent := filepath.Dir(f.Path); parent != "." {
			if err := root.MkdirAll(parent, 0o777); err != nil {
				return fmt.Errorf("create directory for %q: %w", f.Path, classify(err))
			}
		}
		if err := root.WriteFile(f.Path, []byte(f.Content), 0o644); err != nil {
			return fmt.Errorf("write %q: %w", f.Path, classify(err))
		}
	}
	return nil
}

// Remove deletes runlet's own directory for an Execution: scratch directory and logs.
// A namespace's persistent workspace is never removed.
func (l Layout) Remove(uid string) error {
	if err := os.RemoveAll(l.ExecutionDir(uid)); err != nil {
		return fmt.Errorf("remove execution directory: %w", err)
	}
	return nil
}

// ExecutionUIDs lists the UIDs that have a directory under runlet's own directory, for
// the start-up sweep.
func (l Layout) ExecutionUIDs() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(l.Root, ".runlet"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list execution directories: %w", err)
	}
	uids := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			uids = append(uids, e.Name())
		}
	}
	return uids, nil
}

// checkName accepts a single directory name: not empty, not '.' or '..', no separator.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("%q must be a single directory name: %w", name, ErrOutside)
	}
	return nil
}

// checkRelative refuses absolute paths and any '..' element, whatever the API server
// already checked, because the workspace is also reachable by other means.
func checkRelative(p string) error {
	if p == "" || filepath.IsAbs(p) {
		return fmt.Errorf("path %q must be relative: %w", p, ErrOutside)
	}
	for _, part := range strings.Split(filepath.ToSlash(p), "/") {
		if part == ".." {
			return fmt.Errorf("path %q must not contain '..': %w", p, ErrOutside)
		}
	}
	return nil
}

// mkdirOpen creates dir, world-writable so that the program's unprivileged user can write
// beside its code.
func mkdirOpen(dir string) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	return os.Chmod(dir, 0o777)
}

func within(parent, child string) bool {
	rel, err := filepath.Rel(parent, child)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// errOutsideOr marks the errors os.Root returns for escaping paths as ErrOutside.
func errOutsideOr(err error) error {
	if strings.Contains(err.Error(), "path escapes from parent") {
		return fmt.Errorf("%w: %w", ErrOutside, err)
	}
	return err
}

// classify marks why a file could not be written: an escape is ErrOutside; a path that the
// directory's contents make impossible (a directory in the way, a file used as a directory,
// a NUL) is ErrUnwritable. Anything else, a full disk say, stays as it is and is retried.
func classify(err error) error {
	err = errOutsideOr(err)
	switch {
	case errors.Is(err, ErrOutside):
		return err
	case errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTDIR),
		errors.Is(err, syscall.EEXIST), errors.Is(err, syscall.EINVAL),
		errors.Is(err, syscall.ENAMETOOLONG), errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("%w: %w", ErrUnwritable, err)
	}
	return err
}
