package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrepareWritesFilesIntoThePrivateScratchDirectory(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	dir, err := l.Prepare("team-a", "uid-1", "", []File{
		{Path: "main.py", Content: "print(1)"},
		{Path: "pkg/util.py", Content: "X = 1"},
	})
	require.NoError(t, err)
	assert.Equal(t, l.ScratchDir("uid-1"), dir)
	got, err := os.ReadFile(filepath.Join(dir, "pkg/util.py"))
	require.NoError(t, err)
	assert.Equal(t, "X = 1", string(got))
	assert.DirExists(t, l.LogDir("uid-1"))
}

func TestPrepareUsesTheNamespaceWorkspaceSubPath(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	dir, err := l.Prepare("team-a", "uid-1", "agent-run", []File{{Path: "a.txt", Content: "a"}})
	require.NoError(t, err)
	real, _ := filepath.EvalSymlinks(filepath.Join(l.Root, "team-a", "agent-run"))
	assert.Equal(t, real, dir)
	info, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o777), info.Mode().Perm(), "the program's user can write there")
	info, err = os.Stat(l.NamespaceDir("team-a"))
	require.NoError(t, err)
	assert.Zero(t, info.Mode().Perm()&0o022, "no program can write the parent of its directory")
}

func TestPrepareRefusesPathsThatLeaveTheirDirectory(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	outside := t.TempDir()
	nsDir := l.NamespaceDir("team-a")
	require.NoError(t, os.MkdirAll(nsDir, 0o755))
	require.NoError(t, os.Symlink(outside, filepath.Join(nsDir, "escape")))
	require.NoError(t, os.Symlink("/etc", filepath.Join(nsDir, "etc")))

	cases := []struct {
		name    string
		subPath string
		files   []File
	}{
		{"dot-dot sub-path", "../team-b", nil},
		{"nested sub-path", "agent/run", nil},
		{"dot sub-path", ".", nil},
		{"absolute sub-path", "/etc", nil},
		{"sub-path through a link", "escape/x", nil},
		{"sub-path that is a link", "etc", nil},
		{"dot-dot file", "", []File{{Path: "../../x", Content: "x"}}},
		{"absolute file", "", []File{{Path: "/tmp/x", Content: "x"}}},
		{"file through a link", "ok", []File{{Path: "../escape/x", Content: "x"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.Prepare("team-a", "uid-1", tc.subPath, tc.files)
			require.ErrorIs(t, err, ErrOutside)
		})
	}
	entries, _ := os.ReadDir(outside)
	assert.Empty(t, entries, "nothing may be written outside the namespace's workspace")
}

func TestFileThroughALinkLeftInTheWorkspaceIsRefused(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	outside := t.TempDir()
	dir, err := l.Prepare("team-a", "uid-1", "agent", nil)
	require.NoError(t, err)
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "out")))

	_, err = l.Prepare("team-a", "uid-2", "agent", []File{{Path: "out/x", Content: "x"}})
	require.ErrorIs(t, err, ErrOutside)
	assert.NoFileExists(t, filepath.Join(outside, "x"))
}

func TestRemoveDeletesScratchAndLogsButNotTheWorkspace(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	_, err := l.Prepare("team-a", "uid-1", "", nil)
	require.NoError(t, err)
	_, err = l.Prepare("team-a", "uid-2", "keep", []File{{Path: "a", Content: "a"}})
	require.NoError(t, err)

	require.NoError(t, l.Remove("uid-1"))
	require.NoError(t, l.Remove("uid-2"))
	require.NoError(t, l.Remove("uid-2"), "removing twice is fine")
	assert.NoDirExists(t, l.ExecutionDir("uid-1"))
	assert.FileExists(t, filepath.Join(l.NamespaceDir("team-a"), "keep", "a"))
	uids, err := l.ExecutionUIDs()
	require.NoError(t, err)
	assert.Empty(t, uids)
}

func TestFilesThatCannotBeWrittenAreRefusedAsUnwritable(t *testing.T) {
	cases := map[string][]File{
		"a directory":              {{Path: ".", Content: "x"}},
		"a file used as directory": {{Path: "a", Content: "x"}, {Path: "a/b", Content: "x"}},
		"a directory used as file": {{Path: "a/b", Content: "x"}, {Path: "a", Content: "x"}},
		"a NUL in the name":        {{Path: "a\x00b", Content: "x"}},
		"the code as a directory":  {{Path: "main.py", Content: "x"}, {Path: "main.py/x", Content: "x"}},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			l := Layout{Root: t.TempDir()}
			_, err := l.Prepare("team-a", "uid-1", "", files)
			require.ErrorIs(t, err, ErrUnwritable)
		})
	}
}

func TestCopyBuildContextCopiesFilesButNoLinks(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("host"), 0o644))
	src, err := l.Prepare("team-a", "uid-1", "ctx", []File{
		{Path: "Dockerfile", Content: "FROM scratch\n"},
		{Path: "app/main.py", Content: "print(1)"},
	})
	require.NoError(t, err)
	require.NoError(t, os.Symlink(outside, filepath.Join(src, "app", "escape")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(src, "secret")))

	dst, err := l.CopyBuildContext("team-a", "uid-1", "ctx")
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dst, "app", "main.py"))
	require.NoError(t, err)
	assert.Equal(t, "print(1)", string(got))
	assert.FileExists(t, filepath.Join(dst, "Dockerfile"))
	assert.NoFileExists(t, filepath.Join(dst, "secret"))
	assert.NoDirExists(t, filepath.Join(dst, "app", "escape"))
	assert.True(t, strings.HasPrefix(dst, l.ExecutionDir("uid-1")))
	assert.NotEqual(t, src, dst)
}

func TestABuildContextThatIsMissingOrHasNoDockerfileIsRefusedAndNotCreated(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	_, err := l.CopyBuildContext("team-a", "uid-1", "ctx")
	require.ErrorIs(t, err, ErrNoBuildContext, "no workspace for the namespace yet")

	_, err = l.Prepare("team-a", "uid-2", "other", []File{{Path: "main.py", Content: "x"}})
	require.NoError(t, err)
	_, err = l.CopyBuildContext("team-a", "uid-1", "ctx")
	require.ErrorIs(t, err, ErrNoBuildContext)
	assert.Equal(t, `"ctx" is not a directory of the namespace's workspace`, err.Error())
	assert.NoDirExists(t, filepath.Join(l.NamespaceDir("team-a"), "ctx"), "nothing is created")

	_, err = l.CopyBuildContext("team-a", "uid-1", "other")
	require.ErrorIs(t, err, ErrNoBuildContext)
	assert.Equal(t, `"other" holds no Dockerfile`, err.Error())

	_, err = l.CopyBuildContext("team-a", "uid-1", "../team-b")
	require.ErrorIs(t, err, ErrOutside)
}
