package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/emit"
	"github.com/mlc-gitops/mlc/internal/dirlock"
)

// TestRenderCacheAndStats: --stats goes to standard error, so the stream stays clean;
// a second render comes from the cache with the same bytes, and --no-cache evaluates
// every tenant again.
func TestRenderCacheAndStats(t *testing.T) {
	t.Setenv("MLC_CACHE_DIR", t.TempDir())
	repo := filepath.Join("..", "..", "examples", "quickstart")
	var streams []string
	for _, step := range []struct {
		args []string
		want string
	}{
		{nil, "(2 evaluated, 0 from the cache)"},
		{nil, "(0 evaluated, 2 from the cache)"},
		{[]string{"--no-cache"}, "(2 evaluated, 0 from the cache)"},
	} {
		code, out, stderr := mlc(t, append([]string{"render", repo, "-o", "-", "-q", "--stats"}, step.args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, step.want) || !strings.Contains(stderr, "tenant") {
			t.Errorf("%v: stats lack %q:\n%s", step.args, step.want, stderr)
		}
		if strings.Contains(out, "evaluated") {
			t.Errorf("stats leaked into the stream")
		}
		streams = append(streams, out)
	}
	if streams[1] != streams[0] || streams[2] != streams[0] {
		t.Errorf("cached and uncached renders differ")
	}
}

// TestRenderTenantNotOnCluster: a tenant the selected cluster does not run is a usage
// error naming the clusters that do.
func TestRenderTenantNotOnCluster(t *testing.T) {
	repo := filepath.Join("..", "..", "examples", "quickstart")
	code, out, stderr := mlc(t, "render", repo, "-o", "-", "--cluster", "staging", "--tenant", "nlp", "--no-cache")
	if code != 2 || out != "" || !strings.Contains(stderr, `cluster staging does not run tenant "nlp"; it runs on prod`) {
		t.Errorf("exit %d, %q, %q", code, out, stderr)
	}
}

// TestNoCacheOnEveryCompilingCommand: vet and push take --no-cache like render.
func TestNoCacheOnEveryCompilingCommand(t *testing.T) {
	for _, cmd := range []string{"vet", "push"} {
		if code, out, _ := mlc(t, cmd, "--help"); code != 0 || !strings.Contains(out, "--no-cache") {
			t.Errorf("%s --help: exit %d, no --no-cache", cmd, code)
		}
	}
	t.Setenv("MLC_CACHE_DIR", t.TempDir())
	if code, _, stderr := mlc(t, "vet", filepath.Join("..", "..", "examples", "quickstart"), "--no-cache"); code != 0 {
		t.Errorf("vet --no-cache: exit %d: %s", code, stderr)
	}
}

// TestRenderKeepsTreeIndexInCache: rendering a tree keeps its stat index in the cache,
// named by the output directory, never in the output; --no-cache keeps none.
func TestRenderKeepsTreeIndexInCache(t *testing.T) {
	cacheDir := t.TempDir()
	t.Setenv("MLC_CACHE_DIR", cacheDir)
	repo := filepath.Join("..", "..", "examples", "quickstart")
	out := filepath.Join(t.TempDir(), "out")
	for range 2 {
		if code, _, stderr := mlc(t, "render", repo, "-o", out, "-q"); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	index, err := treeIndexPath("", out)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(index) != filepath.Join(cacheDir, "trees") {
		t.Errorf("index %s is not in the cache's trees folder", index)
	}
	if _, err := os.Stat(index); err != nil {
		t.Errorf("no index: %v", err)
	}
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".yaml") && d.Name() != emit.ManifestFile {
			t.Errorf("%s in the output", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	other := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := mlc(t, "render", repo, "-o", other, "-q", "--no-cache"); code != 0 {
		t.Fatalf("--no-cache: exit %d: %s", code, stderr)
	}
	if index, err := treeIndexPath("", other); err != nil {
		t.Fatal(err)
	} else if _, err := os.Stat(index); err == nil {
		t.Error("--no-cache kept an index")
	}
}

// TestTreeIndexPathResolvesSymlinks: the index of an output directory has one name,
// whether the directory exists yet or not, and whichever symlink leads to it.
func TestTreeIndexPathResolvesSymlinks(t *testing.T) {
	root := t.TempDir()
	realDir := filepath.Join(root, "real")
	if err := os.Mkdir(realDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(realDir, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	before, err := treeIndexPath("c", filepath.Join(root, "link", "out", "sub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(realDir, "out", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	after, err := treeIndexPath("c", filepath.Join(realDir, "out", "sub"))
	if err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("%s before the directory exists, %s after", before, after)
	}
	elsewhere, _ := treeIndexPath("c", filepath.Join(realDir, "other"))
	if elsewhere == after {
		t.Error("two directories share an index")
	}
}

// TestRenderWaitsForTheOutputLock: a render into a directory another holds waits, says
// for whom, writes nothing meanwhile, and renders once the other is done.
func TestRenderWaitsForTheOutputLock(t *testing.T) {
	if !dirlock.Supported {
		t.Skip("no directory locks here")
	}
	out := t.TempDir()
	held, err := dirlock.Acquire(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	stderr := &watchedWriter{want: "waiting for another mlc render into " + out, seen: make(chan struct{})}
	done := make(chan int)
	go func() {
		done <- run([]string{"render", filepath.Join("..", "..", "examples", "quickstart"), "-o", out, "-q"}, io.Discard, stderr)
	}()
	<-stderr.seen
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("written while waiting: %v", entries)
	}
	if err := held.Release(); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	if runtime.GOOS == "linux" && !strings.Contains(stderr.String(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Errorf("the holder is not named:\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "prod", "kustomization.yaml")); err != nil {
		t.Errorf("not rendered after the wait: %v", err)
	}
}

// TestRenderRecoversFirst: a render into a directory where a killed render left what it
// staged removes it first, even when its own repository has errors; and leaves the tree.
func TestRenderRecoversFirst(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := mlc(t, "render", filepath.Join("..", "..", "examples", "quickstart"), "-o", out, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	tree := snapshotDir(t, out)
	staged := filepath.Join(out, emit.SwapFolder, "new-0", "tenants")
	if err := os.MkdirAll(staged, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(staged, "kustomization.yaml"), []byte("resources: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := mlc(t, "render", brokenRepo(t), "-o", out); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if got := snapshotDir(t, out); got != tree {
		t.Errorf("after the render, the output holds\n%s\nwant\n%s", got, tree)
	}
}

// TestRenderRefusesFolderLink: a tenant folder of the output replaced by a symlink
// leading out of it, as in the red-team report, makes the render fail with exit 2 and a
// message naming the link, before anything changes: the output and the link's target
// stay as they were, and no swap folder is left. So does every render after it.
func TestRenderRefusesFolderLink(t *testing.T) {
	t.Setenv("MLC_CACHE_DIR", t.TempDir()) // with the tree's index, which vouches for no folder
	root := t.TempDir()
	out, ext := filepath.Join(root, "o"), filepath.Join(root, "ext")
	repo := filepath.Join("..", "..", "examples", "quickstart")
	if code, _, stderr := mlc(t, "render", repo, "-o", out, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	vision := filepath.Join(out, "staging", "tenants", "vision")
	if err := os.RemoveAll(vision); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(ext, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ext, "kustomization.yaml"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "..", "..", "ext"), vision); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	before, beforeExt := snapshotDir(t, out), snapshotDir(t, ext)
	want := filepath.Join("o", "staging", "tenants", "vision") + " is a symlink: mlc does not write through links; remove it"
	for range 2 {
		code, _, stderr := mlc(t, "render", repo, "-o", out, "-q")
		if code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, %q; want 2 and %q", code, stderr, want)
		}
		if got := snapshotDir(t, out); got != before {
			t.Errorf("the output changed:\n%s\nwant\n%s", got, before)
		}
		if got := snapshotDir(t, ext); got != beforeExt {
			t.Errorf("the link's target changed:\n%s\nwant\n%s", got, beforeExt)
		}
		if _, err := os.Lstat(filepath.Join(out, emit.SwapFolder)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a swap folder is left: %v", err)
		}
	}
}

// snapshotDir lists every file under dir with its bytes, and every symlink with its
// target.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			fmt.Fprintf(&b, "%s -> %s\n", p, target)
			return err
		}
		data, err := os.ReadFile(p)
		fmt.Fprintf(&b, "%s %q\n", p, data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// watchedWriter keeps what is written, and closes seen once it holds want.
type watchedWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *watchedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
