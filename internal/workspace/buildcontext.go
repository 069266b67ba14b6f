package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrNoBuildContext means a build context names no directory of the workspace, or one
// without a Dockerfile. Its errors are BuildContextErrors.
var ErrNoBuildContext = errors.New("no usable build context")

// BuildContextError says why a build context cannot be used, in words for the user.
type BuildContextError struct {
	Problem string
}

func (e *BuildContextError) Error() string { return e.Problem }

// Is makes every BuildContextError an ErrNoBuildContext.
func (e *BuildContextError) Is(target error) bool { return target == ErrNoBuildContext }

// BuildContextDir is where the copy of an Execution's build context goes.
func (l Layout) BuildContextDir(uid string) string {
	return filepath.Join(l.ExecutionDir(uid), "build-context")
}

// CopyBuildContext copies the build context, the directory contextPath directly inside the
// namespace's workspace, into the Execution's own directory, which no program can write,
// and returns the copy's path. A program running in that directory could otherwise swap a
// directory for a link while the context is read, and have the build read files from
// anywhere. Reading goes through an os.Root, so no step leaves the namespace's workspace;
// links in the context are not copied. Nothing is created in the workspace: a context that
// is missing, or holds no Dockerfile, is ErrNoBuildContext.
func (l Layout) CopyBuildContext(namespace, uid, contextPath string) (string, error) {
	if err := checkName(contextPath); err != nil {
		return "", err
	}
	dst := l.BuildContextDir(uid)
	if err := os.RemoveAll(dst); err != nil {
		return "", fmt.Errorf("clear build context copy: %w", err)
	}
	missing := &BuildContextError{fmt.Sprintf("%q is not a directory of the namespace's "+
		"workspace", contextPath)}
	nsRoot, err := os.OpenRoot(l.NamespaceDir(namespace))
	if errors.Is(err, fs.ErrNotExist) {
		return "", missing
	}
	if err != nil {
		return "", fmt.Errorf("open namespace workspace: %w", err)
	}
	defer nsRoot.Close()
	root, err := nsRoot.OpenRoot(contextPath)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return "", missing
	}
	if err != nil {
		return "", fmt.Errorf("open build context: %w", errOutsideOr(err))
	}
	defer root.Close()
	if info, err := root.Lstat("Dockerfile"); err != nil || !info.Mode().IsRegular() {
		return "", &BuildContextError{fmt.Sprintf("%q holds no Dockerfile", contextPath)}
	}

	tree := root.FS()
	err = fs.WalkDir(tree, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, filepath.FromSlash(name))
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			data, err := fs.ReadFile(tree, name)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		default:
			return nil
		}
	})
	if err != nil {
		return "", fmt.Errorf("copy build context: %w", classify(err))
	}
	return dst, nil
}
