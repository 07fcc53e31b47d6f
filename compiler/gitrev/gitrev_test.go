package gitrev_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/gitrev"
	"github.com/mlc-gitops/mlc/compiler/gitrev/gittest"
)

var ctx = context.Background()

func TestOpen(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.New(t)
	g.Write("deploy/ml/platform.cue", "package ml\n")
	for _, tc := range []struct{ dir, prefix string }{
		{g.Dir, ""},
		{filepath.Join(g.Dir, "deploy", "ml"), "deploy/ml"},
		{filepath.Join(g.Dir, "deploy", "ml") + "/", "deploy/ml"},
	} {
		r, err := gitrev.Open(ctx, tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		top, _ := filepath.EvalSymlinks(g.Dir)
		if got, _ := filepath.EvalSymlinks(r.Top); got != top || r.Prefix != tc.prefix {
			t.Errorf("Open(%s) = %+v; want top %s, prefix %q", tc.dir, r, top, tc.prefix)
		}
	}
}

func TestOpenNotARepository(t *testing.T) {
	gittest.Isolate(t)
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	_, err := gitrev.Open(ctx, dir)
	if !errors.Is(err, gitrev.ErrNotRepository) || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open of a plain directory: %v", err)
	}
}

func TestResolve(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.New(t)
	first := g.Commit("first")
	g.Git("tag", "v1")
	second := g.Commit("second")
	r, err := gitrev.Open(ctx, g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for rev, want := range map[string]string{"HEAD": second, "main": second, "v1": first, "HEAD~1": first, first[:10]: first} {
		if got, err := r.Resolve(ctx, rev); err != nil || got != want {
			t.Errorf("Resolve(%s) = %s, %v; want %s", rev, got, err, want)
		}
	}
	for _, rev := range []string{"nope", "origin/main", "HEAD~5", "--all", ""} {
		_, err := r.Resolve(ctx, rev)
		var re *gitrev.RevisionError
		if !errors.As(err, &re) || re.Shallow || !strings.Contains(err.Error(), "unknown revision") {
			t.Errorf("Resolve(%q): %v", rev, err)
		}
	}
	tree := g.Git("rev-parse", "HEAD^{tree}")
	if _, err := r.Resolve(ctx, tree); err == nil {
		t.Errorf("a tree is not a commit")
	}
}

func TestResolveInShallowClone(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.New(t)
	first := g.Commit("first")
	g.Commit("second")
	clone := filepath.Join(t.TempDir(), "clone")
	g.Git("clone", "--quiet", "--depth=1", "file://"+g.Dir, clone)
	r, err := gitrev.Open(ctx, clone)
	if err != nil {
		t.Fatal(err)
	}
	if shallow, err := r.Shallow(ctx); err != nil || !shallow {
		t.Fatalf("Shallow: %v, %v", shallow, err)
	}
	for _, rev := range []string{"HEAD~1", first} {
		_, err := r.Resolve(ctx, rev)
		var re *gitrev.RevisionError
		if !errors.As(err, &re) || !re.Shallow || !strings.Contains(err.Error(), "git fetch --unshallow") || !strings.Contains(err.Error(), "fetch-depth: 0") {
			t.Errorf("Resolve(%s) in a shallow clone: %v", rev, err)
		}
	}
}

func TestExport(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.New(t)
	g.Write("README.md", "top\n")
	g.Write("deploy/ml/platform.cue", "package ml\n")
	g.Write("deploy/ml/tenants/vision/tenant.cue", "package ml\n\ntenant: owner: \"a\"\n")
	g.Write("deploy/ml/tools/run.sh", "#!/bin/sh\n")
	g.Write("deploy/ml/.gitattributes", "*.cue export-subst\n*.cue export-ignore\n")
	g.Write("deploy/ml/version.cue", "// $Format:%H$\n")
	if err := os.Chmod(filepath.Join(g.Dir, "deploy/ml/tools/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("platform.cue", filepath.Join(g.Dir, "deploy/ml/link.cue")); err != nil {
		t.Fatal(err)
	}
	commit := g.Commit("base")
	// The work tree changes after the commit; the export must not see it.
	g.Write("deploy/ml/platform.cue", "package ml\n\n// edited\n")
	g.Write("deploy/ml/untracked.cue", "package ml\n")

	r, err := gitrev.Open(ctx, filepath.Join(g.Dir, "deploy", "ml"))
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := r.Export(ctx, commit, dst); err != nil {
		t.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := ".gitattributes link.cue platform.cue tenants/vision/tenant.cue tools/run.sh version.cue"
	if got := strings.Join(files, " "); got != want {
		t.Errorf("exported %s\nwant     %s", got, want)
	}
	for rel, content := range map[string]string{
		"platform.cue":              "package ml\n",     // as committed, not as edited
		"version.cue":               "// $Format:%H$\n", // no export-subst
		"link.cue":                  "package ml\n",     // the link, followed
		"tools/run.sh":              "#!/bin/sh\n",      // executable, below
		"tenants/vision/tenant.cue": "package ml\n\ntenant: owner: \"a\"\n",
	} {
		if b, err := os.ReadFile(filepath.Join(dst, rel)); err != nil || string(b) != content {
			t.Errorf("%s: %q, %v; want %q", rel, b, err, content)
		}
	}
	if st, err := os.Stat(filepath.Join(dst, "tools/run.sh")); err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("tools/run.sh lost its executable bit: %v %v", st.Mode(), err)
	}
	if target, err := os.Readlink(filepath.Join(dst, "link.cue")); err != nil || target != "platform.cue" {
		t.Errorf("link.cue: %q, %v", target, err)
	}
	if got := g.Git("status", "--porcelain"); got != "M deploy/ml/platform.cue\n?? deploy/ml/untracked.cue" {
		t.Errorf("the work tree changed: %q", got)
	}
}

func TestExportWithoutTheDirectory(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.New(t)
	g.Write("README.md", "top\n")
	before := g.Commit("before")
	g.Write("deploy/ml/platform.cue", "package ml\n")
	g.Commit("after")
	r, err := gitrev.Open(ctx, filepath.Join(g.Dir, "deploy", "ml"))
	if err != nil {
		t.Fatal(err)
	}
	err = r.Export(ctx, before, t.TempDir())
	if !errors.Is(err, gitrev.ErrNoDirectory) || !strings.Contains(err.Error(), "deploy/ml") {
		t.Errorf("Export of a commit before the directory existed: %v", err)
	}
}

func TestTempExportCleansUp(t *testing.T) {
	gittest.Isolate(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	g := gittest.New(t)
	g.Write("a.cue", "package ml\n")
	commit := g.Commit("a")
	r, err := gitrev.Open(ctx, g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	dir, cleanup, err := r.TempExport(ctx, commit)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a.cue")); err != nil || string(b) != "package ml\n" {
		t.Errorf("a.cue: %q, %v", b, err)
	}
	cleanup()
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("left behind in TMPDIR: %v", entries)
	}
}
