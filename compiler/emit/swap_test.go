package emit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// swapTrees are an old and a new tree whose swap takes every kind of step: cluster a
// has a folder rebuilt (a tenant changed, one added, one gone), b one file changed,
// c is gone and d new.
func swapTrees() (old, new *Tree) {
	files := func(pairs ...string) *Tree {
		t := &Tree{}
		for i := 0; i < len(pairs); i += 2 {
			t.Files = append(t.Files, File{Path: pairs[i], Data: []byte(pairs[i+1])})
		}
		return t
	}
	old = files(
		"a/kustomization.yaml", "resources: [tenants]\n",
		"a/tenants/t1/kustomization.yaml", "resources: [x.yaml]\n",
		"a/tenants/t1/x.yaml", "x: 1\n",
		"a/tenants/t2/kustomization.yaml", "resources: [y.yaml]\n",
		"a/tenants/t2/y.yaml", "y: 1\n",
		"b/kustomization.yaml", "resources: [sub]\n",
		"b/sub/kustomization.yaml", "resources: [w.yaml]\n",
		"b/sub/w.yaml", "w: 1\n",
		"c/kustomization.yaml", "resources: [sub]\n",
		"c/sub/v.yaml", "v: 1\n",
		"c/sub/deep/er/u.yaml", "u: 1\n",
	)
	new = files(
		"a/kustomization.yaml", "resources: [tenants]\n",
		"a/tenants/t1/kustomization.yaml", "resources: [x.yaml, x2.yaml]\n",
		"a/tenants/t1/x.yaml", "x: 2\n",
		"a/tenants/t1/x2.yaml", "x2: 2\n",
		"a/tenants/t3/kustomization.yaml", "resources: [z.yaml]\n",
		"a/tenants/t3/z.yaml", "z: 2\n",
		"b/kustomization.yaml", "resources: [sub]\n",
		"b/sub/kustomization.yaml", "resources: [w.yaml]\n",
		"b/sub/w.yaml", "w: 2\n",
		"d/kustomization.yaml", "resources: [sub]\n",
		"d/sub/u.yaml", "u: 2\n",
	)
	return old, new
}

// userFiles are files mlc did not write, in folders it rebuilds or removes.
var userFiles = map[string]string{
	"NOTES.md":          "mine\n",
	"a/tenants/mine.md": "mine too\n",
	"c/NOTES.md":        "kept when c goes\n",
}

// oldOutput writes the old tree and the user's files into a new directory.
func oldOutput(t *testing.T, old *Tree) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	if err := old.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for rel, content := range userFiles {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// dirState lists every folder, file (with its mode and bytes) and symlink under dir.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			fmt.Fprintf(&b, "%s/\n", rel)
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			fmt.Fprintf(&b, "%s -> %s\n", rel, target)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s %v %q\n", rel, info.Mode(), data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// swapReference returns the states of an output directory before and after the swap
// of the new tree over the old one, and the number of steps the swap takes.
func swapReference(t *testing.T) (before, after string, steps int) {
	t.Helper()
	old, new := swapTrees()
	dir := oldOutput(t, old)
	before = dirState(t, dir)
	swapStep = func(int) error { steps++; return nil }
	err := new.WriteDir(dir)
	swapStep = nil
	if err != nil {
		t.Fatal(err)
	}
	after = dirState(t, dir)
	if after == before || strings.Contains(after, SwapFolder) {
		t.Fatalf("the swap did not happen as it should:\n%s", after)
	}
	for rel := range userFiles {
		if !strings.Contains(after, rel+" ") {
			t.Errorf("%s was not kept:\n%s", rel, after)
		}
	}
	for _, gone := range []string{"a/tenants/t2/", "c/sub/", "c/sub/deep/er/"} {
		if strings.Contains(after, filepath.FromSlash(gone)) {
			t.Errorf("the folder %s, which held only files mlc wrote, is left:\n%s", gone, after)
		}
	}
	return before, after, steps
}

// TestSwapStepFails: a swap whose step fails leaves the old tree, and no swap folder;
// one that fails once every rename is done leaves the new tree once Recover ran.
func TestSwapStepFails(t *testing.T) {
	before, after, steps := swapReference(t)
	// The steps: the commit, the renames, the removal of the journal, of the swap folder.
	if steps < 10 {
		t.Fatalf("the swap took %d steps", steps)
	}
	injected := errors.New("injected")
	for k := range steps {
		old, new := swapTrees()
		dir := oldOutput(t, old)
		swapStep = func(n int) error {
			if n == k {
				return injected
			}
			return nil
		}
		err := new.WriteDir(dir)
		swapStep = nil
		if !errors.Is(err, injected) {
			t.Fatalf("step %d failed: WriteDir returned %v", k, err)
		}
		want := before
		if k >= steps-2 {
			want = after // every rename done
			if err := Recover(dir); err != nil {
				t.Fatal(err)
			}
		} else if k > 0 && !strings.Contains(err.Error(), "it holds the old one") {
			t.Errorf("step %d: the error does not say the old tree is kept: %v", k, err)
		}
		if got := dirState(t, dir); got != want {
			t.Errorf("step %d failed; the directory holds\n%s\nwant\n%s", k, got, want)
		}
	}
}

// TestRecoverRemovesUncommitted: what a swap staged before its commit is removed, and
// nothing else is touched.
func TestRecoverRemovesUncommitted(t *testing.T) {
	old, _ := swapTrees()
	dir := oldOutput(t, old)
	before := dirState(t, dir)
	for _, p := range []string{"new-0/tenants/t1", "new-3"} {
		if err := os.MkdirAll(filepath.Join(dir, SwapFolder, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, SwapFolder, "journal.tmp"), []byte(journalMagic+"\nreplace \"a\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Recover(dir); err != nil {
		t.Fatal(err)
	}
	if got := dirState(t, dir); got != before {
		t.Errorf("after Recover:\n%s\nwant\n%s", got, before)
	}
}

// TestRecoverRefusesForeignJournal: a journal that would move things out of the output
// directory, or is of another version, is refused and nothing is moved; so is a swap
// folder that is not a folder.
func TestRecoverRefusesForeignJournal(t *testing.T) {
	old, _ := swapTrees()
	for _, journal := range []string{
		journalMagic + "\nreplace \"../elsewhere\"\nend\n",
		journalMagic + "\nremove \"/etc/passwd\"\nend\n",
		journalMagic + "\nreplace \"a/../../x\"\nend\n",
		journalMagic + "\nreplace \".mlc-swap/new-0\"\nend\n",
		journalMagic + "\nrename \"a\"\nend\n",
		journalMagic + "\nreplace \"a\"\n", // no end
		"mlc swap journal 0\nreplace \"a\"\nend\n",
	} {
		dir := oldOutput(t, old)
		if err := os.MkdirAll(filepath.Join(dir, SwapFolder, "new-0"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, SwapFolder, journalFile), []byte(journal), 0o644); err != nil {
			t.Fatal(err)
		}
		before := dirState(t, dir)
		err := Recover(dir)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(SwapFolder, journalFile)) {
			t.Errorf("journal %q: Recover returned %v, want an error naming the journal", journal, err)
		}
		if got := dirState(t, dir); got != before {
			t.Errorf("journal %q: the directory changed", journal)
		}
	}
	dir := oldOutput(t, old)
	if err := os.WriteFile(filepath.Join(dir, SwapFolder), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Recover(dir); err == nil {
		t.Error("a file named like the swap folder was taken for one")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, SwapFolder)); string(b) != "mine\n" {
		t.Error("a file named like the swap folder was removed")
	}
	_, new := swapTrees()
	if err := new.WriteDir(dir); err == nil {
		t.Error("WriteDir wrote past a file named like the swap folder")
	}
}

// TestSwapJournalRoundTrip: the steps a journal records are read back as they were,
// paths with spaces, quotes and newlines included.
func TestSwapJournalRoundTrip(t *testing.T) {
	want := []swapOp{{opReplace, "a b/c\"d"}, {opRemove, "x/y\n.yaml"}, {opReplace, ManifestFile}}
	got, err := parseJournal(formatJournal(want))
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("read back %v, %v; want %v", got, err, want)
	}
}

// TestWriteDirKeepsWhatTheListLeadsOutOf: paths in the ManifestFile that leave the
// output directory, or lead into its swap folder, are not taken for files mlc wrote:
// nothing there is removed.
func TestWriteDirKeepsWhatTheListLeadsOutOf(t *testing.T) {
	old, new := swapTrees()
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	if err := old.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(root, "victim.yaml")
	if err := os.WriteFile(victim, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	list, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	list = append(list, "../victim.yaml\n"+victim+"\nc/../../victim.yaml\n"...)
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), list, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := new.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "mine\n" {
		t.Errorf("a file outside the output directory, listed as mlc's, was removed: %q, %v", b, err)
	}
}
