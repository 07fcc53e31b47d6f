//go:build linux || darwin

package emit

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/internal/statindex"
)

// indexTree is a tree of two clusters with a few tenant folders.
func indexTree() *Tree {
	t := &Tree{}
	add := func(p string, data []byte) { t.Files = append(t.Files, File{Path: p, Data: data}) }
	for _, c := range []string{"prod", "staging"} {
		add(c+"/"+KustomizationFile, kustomization([]string{"tenants/a", "tenants/b"}))
		for _, tn := range []string{"a", "b"} {
			dir := c + "/tenants/" + tn
			add(dir+"/"+KustomizationFile, kustomization([]string{"x.yaml", "y.yaml"}))
			for _, n := range []string{"x", "y"} {
				add(dir+"/"+n+".yaml", fmt.Appendf(nil, "kind: %s\nname: %s-%s\n", strings.ToUpper(n), c, tn))
			}
		}
	}
	return t
}

// ahead is a clock far enough ahead for the index to trust the stat of every file
// written so far.
func ahead() time.Time { return time.Now().Add(10 * time.Second) }

// at is a clock stopped at t.
func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// writeCounting writes the tree with the index, stamped by clock, and returns how many
// files it read.
func writeCounting(t *testing.T, tree *Tree, dir, index string, clock func() time.Time) int {
	t.Helper()
	var reads int
	if err := tree.WriteDir(dir, WithIndex(index), withClock(clock), withReads(&reads)); err != nil {
		t.Fatal(err)
	}
	return reads
}

// settled writes the tree into dir until its index trusts every file's stat: the first
// write records nothing of the files it wrote, the second reads them all.
func settled(t *testing.T, tree *Tree, dir, index string) {
	t.Helper()
	for range 2 {
		writeCounting(t, tree, dir, index, ahead)
	}
	if got := writeCounting(t, tree, dir, index, ahead); got != 0 {
		t.Fatalf("read %d files of a settled tree, want none", got)
	}
}

// checkTree requires dir to hold exactly the tree's files and the ManifestFile.
func checkTree(t *testing.T, tree *Tree, dir string) {
	t.Helper()
	want := map[string]string{}
	for _, f := range tree.Files {
		want[f.Path] = string(f.Data)
	}
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel = filepath.ToSlash(rel); rel == ManifestFile {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if s, ok := want[rel]; !ok || s != string(b) {
			t.Errorf("%s: %q, want %q", rel, b, s)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(tree.Files) {
		t.Errorf("%d files in %s, want %d", n, dir, len(tree.Files))
	}
}

// stats returns the lstat of every file and folder in dir, and of the index: any
// write, link or rename there changes one. (dir itself changes: WriteDir makes and
// removes its SwapFolder.)
func stats(t *testing.T, dir, index string) map[string]statindex.Stat {
	t.Helper()
	m := map[string]statindex.Stat{}
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if p != dir {
			m[p], _ = statindex.Lstat(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m[index], _ = statindex.Lstat(index)
	return m
}

// editKeepingSizeAndTime rewrites the file at p with other bytes of the same size, its
// modification time put back, as an editor might. It writes again while the change
// time is the one before (a coarse clock's tick): the change time is how git's index,
// and mlc's, see such an edit, and an index trusts only stats older than a tick.
func editKeepingSizeAndTime(t *testing.T, p string, edit func([]byte) []byte) {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := statindex.Lstat(p)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(data)
	if bytes.Equal(edited, data) || len(edited) != len(data) {
		t.Fatal("the edit must keep the size and change the bytes")
	}
	for after := before; after.Ctime == before.Ctime; after, _ = statindex.Lstat(p) {
		if err := os.WriteFile(p, edited, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, info.ModTime(), info.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	if after, _ := statindex.Lstat(p); after.Size != before.Size || after.Mtime != before.Mtime {
		t.Fatalf("the edit changed size or modification time: %+v vs %+v", after, before)
	}
}

// TestIndexSkipsReadingUnchangedFiles: with an index, a tree written over itself reads
// no file and writes nothing, once the files' stats are recorded and old enough; a tree
// of other bytes is written without reading the files either. The index lives where it
// is asked to (its folder is made), not in the output directory.
func TestIndexSkipsReadingUnchangedFiles(t *testing.T) {
	t.Parallel()
	tree, out := indexTree(), t.TempDir()
	index := filepath.Join(t.TempDir(), "not", "yet", "index")
	n := len(tree.Files)
	if got := writeCounting(t, tree, out, index, ahead); got != 0 {
		t.Errorf("first write read %d files", got)
	}
	if _, err := os.Stat(index); err != nil {
		t.Fatalf("no index: %v", err)
	}
	// The files mlc wrote are read once: their stat, taken after writing them, is not
	// trusted.
	if got := writeCounting(t, tree, out, index, ahead); got != n {
		t.Errorf("second write read %d files, want %d", got, n)
	}
	for i := range 2 {
		before := stats(t, out, index)
		if got := writeCounting(t, tree, out, index, ahead); got != 0 {
			t.Errorf("write %d read %d files, want none", i+3, got)
		}
		for p, st := range stats(t, out, index) {
			if st != before[p] {
				t.Errorf("write %d changed %s", i+3, p)
			}
		}
	}
	checkTree(t, tree, out)

	// Files the index trusts, whose new bytes have another sum, are written unread.
	changed := &Tree{}
	for _, f := range tree.Files {
		changed.Files = append(changed.Files, File{f.Path, bytes.ReplaceAll(f.Data, []byte("prod"), []byte("PROD"))})
	}
	if got := writeCounting(t, changed, out, index, ahead); got != 0 {
		t.Errorf("a changed tree: read %d files, want none", got)
	}
	checkTree(t, changed, out)
}

// TestIndexRewritesEditedFile: a file edited after the index recorded it, to the same
// size and with its modification time put back, is read and written again: its change
// time moved.
func TestIndexRewritesEditedFile(t *testing.T) {
	t.Parallel()
	tree, out, index := indexTree(), t.TempDir(), filepath.Join(t.TempDir(), "index")
	settled(t, tree, out, index)
	editKeepingSizeAndTime(t, filepath.Join(out, filepath.FromSlash(tree.Files[3].Path)), bytes.ToUpper)
	if got := writeCounting(t, tree, out, index, ahead); got != 1 {
		t.Errorf("read %d files, want the edited one", got)
	}
	checkTree(t, tree, out)
}

// TestIndexDistrustsRecentStats: a stat that is not older than the index's stamp by
// more than a tick is not trusted: the file is read. Once recorded by an index stamped
// later, it is trusted.
func TestIndexDistrustsRecentStats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// stamp is the index's, from the first and last change of the tree's files.
		stamp func(first, last time.Time) time.Time
		reads bool
	}{
		{"stamped before the changes", func(first, _ time.Time) time.Time { return first.Add(-time.Second) }, true},
		{"stamped in the changes' tick", func(first, _ time.Time) time.Time { return first.Add(time.Second / 2) }, true},
		{"stamped past the tick", func(_, last time.Time) time.Time { return last.Add(2 * time.Second) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tree, out, index := indexTree(), t.TempDir(), filepath.Join(t.TempDir(), "index")
			writeCounting(t, tree, out, index, ahead)
			first, last := int64(1<<63-1), int64(0)
			for _, f := range tree.Files {
				st, _ := statindex.Lstat(filepath.Join(out, filepath.FromSlash(f.Path)))
				first, last = min(first, st.Ctime), max(last, st.Ctime, st.Mtime)
			}
			stamp := at(tc.stamp(time.Unix(0, first), time.Unix(0, last)))
			n := len(tree.Files)
			if got := writeCounting(t, tree, out, index, stamp); got != n {
				t.Fatalf("read %d files, want %d: the first index records nothing of them", got, n)
			}
			want := 0
			if tc.reads {
				want = n
			}
			if got := writeCounting(t, tree, out, index, stamp); got != want {
				t.Errorf("read %d files, want %d", got, want)
			}
		})
	}
}

// TestIndexIgnoredWhenNotThisDirs: an index that is missing, damaged, of another
// version, of another directory, or not a file at all, is no error and costs only
// reads: every file is read, the tree written right, and a good index written in its
// place.
func TestIndexIgnoredWhenNotThisDirs(t *testing.T) {
	t.Parallel()
	tree := indexTree()
	n := len(tree.Files)
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, index string, good []byte)
	}{
		{"missing", func(t *testing.T, p string, _ []byte) { must(t, os.Remove(p)) }},
		{"garbage", func(t *testing.T, p string, _ []byte) { must(t, os.WriteFile(p, []byte("not an index\n"), 0o644)) }},
		{"empty", func(t *testing.T, p string, _ []byte) { must(t, os.WriteFile(p, nil, 0o644)) }},
		{"truncated", func(t *testing.T, p string, b []byte) { must(t, os.WriteFile(p, b[:len(b)-1], 0o644)) }},
		{"a byte flipped", func(t *testing.T, p string, b []byte) {
			b = bytes.Clone(b)
			b[len(b)/2] ^= 1
			must(t, os.WriteFile(p, b, 0o644))
		}},
		{"another version", func(t *testing.T, p string, b []byte) {
			must(t, os.WriteFile(p, bytes.Replace(b, []byte(indexMagic), []byte("mlc tree index 0\n"), 1), 0o644))
		}},
		{"a folder", func(t *testing.T, p string, _ []byte) {
			must(t, os.Remove(p))
			must(t, os.MkdirAll(filepath.Join(p, "sub"), 0o755))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, index := t.TempDir(), filepath.Join(t.TempDir(), "index")
			settled(t, tree, out, index)
			good, err := os.ReadFile(index)
			must(t, err)
			tc.damage(t, index, good)
			if got := writeCounting(t, tree, out, index, ahead); got != n {
				t.Errorf("read %d files, want %d", got, n)
			}
			checkTree(t, tree, out)
			if tc.name != "a folder" {
				if got := writeCounting(t, tree, out, index, ahead); got != 0 {
					t.Errorf("after the index was written again: read %d files, want none", got)
				}
			}
		})
	}

	t.Run("another directory", func(t *testing.T) {
		t.Parallel()
		out, index := t.TempDir(), filepath.Join(t.TempDir(), "index")
		settled(t, tree, out, index)
		// The other directory holds the same files (hard links, the same inodes): the
		// index of the first is still not used for it.
		other := t.TempDir()
		must(t, tree.WriteDir(other))
		for _, f := range tree.Files {
			p := filepath.Join(other, filepath.FromSlash(f.Path))
			must(t, os.Remove(p))
			must(t, os.Link(filepath.Join(out, filepath.FromSlash(f.Path)), p))
		}
		if got := writeCounting(t, tree, other, index, ahead); got != n {
			t.Errorf("read %d files, want %d", got, n)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestIndexRemovedWhileTreeChanges: before a tree that differs is written, the index is
// removed, so that a write failing half-way leaves none; after, a new one is written
// without an entry for the file written.
func TestIndexRemovedWhileTreeChanges(t *testing.T) {
	t.Parallel()
	tree, out, index := indexTree(), t.TempDir(), filepath.Join(t.TempDir(), "index")
	settled(t, tree, out, index)
	changed := &Tree{Files: append([]File(nil), tree.Files...)}
	changed.Files[3].Data = []byte("kind: Changed\n")
	// A file in place of the changed file's folder makes the write fail.
	folder := filepath.Dir(filepath.Join(out, filepath.FromSlash(tree.Files[3].Path)))
	must(t, os.Rename(folder, folder+".away"))
	must(t, os.WriteFile(folder, nil, 0o644))
	if err := changed.WriteDir(out, WithIndex(index), withClock(ahead)); err == nil {
		t.Fatal("no error writing over a file in place of a folder")
	}
	if _, err := os.Stat(index); err == nil {
		t.Error("the index survived a failed write")
	}
	must(t, os.Remove(folder))
	must(t, os.Rename(folder+".away", folder))
	if got := writeCounting(t, changed, out, index, ahead); got != len(tree.Files) {
		t.Errorf("without an index: read %d files, want %d", got, len(tree.Files))
	}
	checkTree(t, changed, out)
	abs, err := filepath.EvalSymlinks(out)
	must(t, err)
	x, _ := readIndex(index, abs)
	if x == nil {
		t.Fatal("no index after the write")
	}
	for i, f := range changed.Files {
		if _, ok := x.Entry(f.Path); ok == (i == 3) {
			t.Errorf("%s: recorded %v", f.Path, ok)
		}
	}
	if _, ok := x.Entry(ManifestFile); !ok {
		t.Error("the ManifestFile, read and unchanged, is not recorded")
	}
}

// TestIndexManifestEdited: the ManifestFile, which the index lets WriteDir skip reading,
// is read once it changed: a file it no longer lists is not mlc's to overwrite.
func TestIndexManifestEdited(t *testing.T) {
	t.Parallel()
	tree, out, index := indexTree(), t.TempDir(), filepath.Join(t.TempDir(), "index")
	settled(t, tree, out, index)
	editKeepingSizeAndTime(t, filepath.Join(out, ManifestFile), func(b []byte) []byte {
		return bytes.Replace(b, []byte(tree.Files[5].Path+"\n"), []byte(strings.Repeat("\n", len(tree.Files[5].Path)+1)), 1)
	})
	err := tree.WriteDir(out, WithIndex(index), withClock(ahead))
	if err == nil || !strings.Contains(err.Error(), "mlc did not write this file") {
		t.Errorf("got %v, want a refusal to overwrite %s", err, tree.Files[5].Path)
	}
}
