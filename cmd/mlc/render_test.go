package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/emit"
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
