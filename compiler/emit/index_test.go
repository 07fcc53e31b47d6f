//go:build linux || darwin

package emit

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/internal/wire"
)

// indexTree is a tree of two clusters with a few tenant folders.
func indexTree() *Tree {
	t := &Tree{}
	for _, c := range []string{"prod", "staging"} {
		t.add(c+"/"+KustomizationFile, kustomization([]string{"tenants/a", "tenants/b"}))
		for _, tn := range []string{"a", "b"} {
			dir := c + "/tenants/" + tn
			t.add(dir+"/"+KustomizationFile, kustomization([]string{"x.yaml", "y.yaml"}))
			for _, n := range []string{"x", "y"} {
				t.add(dir+"/"+n+".yaml", fmt.Appendf(nil, "kind: %s\nname: %s-%s\n", strings.ToUpper(n), c, tn))
			}
		}
	}
	return t
}

// clockAt makes the index's clock run ahead by *ahead, for the test.
func clockAt(t *testing.T, ahead *time.Duration) {
	t.Cleanup(func() { now = time.Now })
	now = func() time.Time { return time.Now().Add(*ahead) }
}

// writeCounting writes the tree with the index and returns how many files it read;
// with lookAhead, after a look ahead at the files (see TestIndexLookingAhead).
func writeCounting(t *testing.T, tree *Tree, dir, index string) int {
	t.Helper()
	opts := []WriteOption{WithIndex(index)}
	if lookAhead {
		p := StartPrestat(dir, opts...)
		defer p.Stop()
		opts = append(opts, WithPrestat(p))
	}
	before := fileReads.Load()
	if err := tree.WriteDir(dir, opts...); err != nil {
		t.Fatal(err)
	}
	return int(fileReads.Load() - before)
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
		rel = filepath.ToSlash(rel)
		if rel == ManifestFile {
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

// TestIndexSkipsReadingUnchangedFiles: with an index, a tree written over itself reads
// no file, once the files' stat is recorded and old enough. The index lives where it is
// asked to (its folder is created), not in the output directory.
func TestIndexSkipsReadingUnchangedFiles(t *testing.T) {
	ahead := 10 * time.Second
	clockAt(t, &ahead)
	tree, out := indexTree(), t.TempDir()
	index := filepath.Join(t.TempDir(), "not", "yet", "index")
	n := len(tree.Files)
	if got := writeCounting(t, tree, out, index); got != 0 {
		t.Errorf("first write read %d files", got)
	}
	if _, err := os.Stat(index); err != nil {
		t.Fatalf("no index: %v", err)
	}
	// The files mlc wrote are read once: their stat, taken after writing them, vouches
	// for nothing.
	if got := writeCounting(t, tree, out, index); got != n {
		t.Errorf("second write read %d files, want %d", got, n)
	}
	ahead += 10 * time.Second
	for i := range 2 {
		if got := writeCounting(t, tree, out, index); got != 0 {
			t.Errorf("write %d read %d files, want none", i+3, got)
		}
	}
	checkTree(t, tree, out)

	// Files of the same sizes with other bytes are read, and written: the sums differ.
	changed, differ := &Tree{}, 0
	for _, f := range tree.Files {
		data := bytes.ReplaceAll(f.Data, []byte("prod"), []byte("PROD"))
		if !bytes.Equal(data, f.Data) {
			differ++
		}
		changed.add(f.Path, data)
	}
	if got := writeCounting(t, changed, out, index); got != differ || differ == 0 {
		t.Errorf("a changed tree: read %d files, want the %d that changed", got, differ)
	}
	checkTree(t, changed, out)
}

// TestIndexDetectsEditedFile: a file edited after the index recorded it, to the same
// size and with its modification time put back, is read and written again: its change
// time moved.
func TestIndexDetectsEditedFile(t *testing.T) {
	ahead := 10 * time.Second
	clockAt(t, &ahead)
	tree, out, index := indexTree(), t.TempDir(), filepath.Join(t.TempDir(), "index")
	writeCounting(t, tree, out, index)
	writeCounting(t, tree, out, index)
	if got := writeCounting(t, tree, out, index); got != 0 {
		t.Fatalf("read %d files, want none", got)
	}
	p := filepath.Join(out, filepath.FromSlash(tree.Files[3].Path))
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	// Past the tick of a coarse clock, so that the change time surely differs.
	time.Sleep(20 * time.Millisecond)
	edited := bytes.ToUpper(tree.Files[3].Data)
	if bytes.Equal(edited, tree.Files[3].Data) || len(edited) != len(tree.Files[3].Data) {
		t.Fatal("the edit must keep the size and change the bytes")
	}
	if err := os.WriteFile(p, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	if got := writeCounting(t, tree, out, index); got != 1 {
		t.Errorf("read %d files, want the edited one", got)
	}
	checkTree(t, tree, out)
}

// TestIndexRacyEntriesAreRead: entries whose times are not safely older than the
// index's stamp are not trusted, and are recorded again once they are.
func TestIndexRacyEntriesAreRead(t *testing.T) {
	var ahead time.Duration
	clockAt(t, &ahead)
	tree, out, index := indexTree(), t.TempDir(), filepath.Join(t.TempDir(), "index")
	n := len(tree.Files)
	writeCounting(t, tree, out, index)
	for i := range 2 {
		// Within a second of writing: every entry is racy.
		if got := writeCounting(t, tree, out, index); got != n {
			t.Errorf("write %d read %d files, want %d", i+2, got, n)
		}
	}
	ahead = 10 * time.Second
	// The entries were stamped by the true clock, so they are still racy; recorded
	// again, they are not.
	if got := writeCounting(t, tree, out, index); got != n {
		t.Errorf("read %d files, want %d", got, n)
	}
	if got := writeCounting(t, tree, out, index); got != 0 {
		t.Errorf("read %d files, want none", got)
	}
}

// TestIndexIgnoredWhenNotThisDirs: an index that is damaged, of another version, of
// another directory, or not a file at all, is no error: every file is read, and a good
// index is written in its place.
func TestIndexIgnoredWhenNotThisDirs(t *testing.T) {
	ahead := 10 * time.Second
	clockAt(t, &ahead)
	tree := indexTree()
	n := len(tree.Files)
	// trusted writes the tree into a new directory until its index vouches for every
	// file, and returns the directory and the index's bytes.
	trusted := func(index string) (string, []byte) {
		out := t.TempDir()
		for range 2 {
			writeCounting(t, tree, out, index)
		}
		if got := writeCounting(t, tree, out, index); got != 0 {
			t.Fatalf("read %d files, want none", got)
		}
		b, err := os.ReadFile(index)
		if err != nil {
			t.Fatal(err)
		}
		return out, b
	}
	resum := func(b []byte) []byte {
		body := b[:len(b)-sha256.Size]
		sum := sha256.Sum256(body)
		return append(body[:len(body):len(body)], sum[:]...)
	}
	for _, tc := range []struct {
		name   string
		damage func(index string, good []byte) error
	}{
		{"garbage", func(p string, _ []byte) error { return os.WriteFile(p, []byte("not an index\n"), 0o644) }},
		{"empty", func(p string, _ []byte) error { return os.WriteFile(p, nil, 0o644) }},
		{"truncated", func(p string, b []byte) error { return os.WriteFile(p, b[:len(b)-1], 0o644) }},
		{"a byte flipped", func(p string, b []byte) error {
			b = bytes.Clone(b)
			b[len(b)/2] ^= 1
			return os.WriteFile(p, b, 0o644)
		}},
		{"another version", func(p string, b []byte) error {
			b = bytes.Replace(b, []byte(indexMagic), []byte("mlc tree index 0\n"), 1)
			return os.WriteFile(p, resum(b), 0o644)
		}},
		{"entries past the end", func(p string, b []byte) error {
			// A well-formed sum over an entry count far beyond the data.
			d := &wire.Reader{B: b[len(indexMagic) : len(b)-sha256.Size]}
			d.Bytes()
			d.Varint()
			optionalStat(d)
			head := len(b) - sha256.Size - len(d.B)
			out := append(bytes.Clone(b[:head]), 0xff, 0xff, 0x03)
			d.Uvarint()
			out = append(out, d.B...)
			return os.WriteFile(p, resum(append(out, make([]byte, sha256.Size)...)), 0o644)
		}},
		{"a folder", func(p string, _ []byte) error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.MkdirAll(filepath.Join(p, "sub"), 0o755)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			index := filepath.Join(t.TempDir(), "index")
			out, good := trusted(index)
			if err := tc.damage(index, good); err != nil {
				t.Fatal(err)
			}
			if got := writeCounting(t, tree, out, index); got != n {
				t.Errorf("read %d files, want %d", got, n)
			}
			checkTree(t, tree, out)
			if tc.name != "a folder" {
				if got := writeCounting(t, tree, out, index); got != 0 {
					t.Errorf("after the index was written again: read %d files, want none", got)
				}
			}
		})
	}

	t.Run("another directory", func(t *testing.T) {
		index := filepath.Join(t.TempDir(), "index")
		out, good := trusted(index)
		abs, err := filepath.Abs(out)
		if err != nil {
			t.Fatal(err)
		}
		if decodeIndex(good, abs) == nil {
			t.Fatal("the index of the directory does not decode")
		}
		if decodeIndex(good, abs+"2") != nil || decodeIndex(good, filepath.Dir(abs)) != nil {
			t.Error("the index of a directory decodes for another")
		}
		// The other directory is a copy holding the same files (hard links, so even the
		// inodes match): its index is still not used.
		other := t.TempDir()
		if err := tree.WriteDir(other); err != nil {
			t.Fatal(err)
		}
		for _, f := range tree.Files {
			p := filepath.Join(other, filepath.FromSlash(f.Path))
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(filepath.Join(out, filepath.FromSlash(f.Path)), p); err != nil {
				t.Fatal(err)
			}
		}
		if got := writeCounting(t, tree, other, index); got != n {
			t.Errorf("read %d files, want %d", got, n)
		}
	})
}

// TestIndexRemovedWhileTreeChanges: before a tree that differs is written, the index is
// removed, so that a write failing half-way leaves none; after, a new one is written
// without entries for the files written.
func TestIndexRemovedWhileTreeChanges(t *testing.T) {
	ahead := 10 * time.Second
	clockAt(t, &ahead)
	tree, out, index := indexTree(), t.TempDir(), filepath.Join(t.TempDir(), "index")
	for range 3 {
		writeCounting(t, tree, out, index)
	}
	changed := &Tree{}
	for i, f := range tree.Files {
		if i == 3 {
			f.Data = []byte("kind: Changed\n")
		}
		changed.Files = append(changed.Files, f)
	}
	// A file where the changed file's new copy must go makes the write fail.
	p := filepath.Join(out, filepath.FromSlash(tree.Files[3].Path))
	blocker := filepath.Dir(p)
	if err := os.Rename(blocker, blocker+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := changed.WriteDir(out, WithIndex(index)); err == nil {
		t.Fatal("no error writing over a file in place of a folder")
	}
	if _, err := os.Stat(index); err == nil {
		t.Error("the index survived a failed write")
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(blocker+".away", blocker); err != nil {
		t.Fatal(err)
	}
	if got := writeCounting(t, changed, out, index); got != len(tree.Files) {
		t.Errorf("without an index: read %d files, want %d", got, len(tree.Files))
	}
	checkTree(t, changed, out)
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(out)
	x := decodeIndex(b, abs)
	if x == nil {
		t.Fatal("no index after the write")
	}
	known := 0
	for i := range x.files {
		if x.paths[i] != tree.Files[i].Path {
			t.Fatalf("entry %d is %s, want %s", i, x.paths[i], tree.Files[i].Path)
		}
		if x.known(i) {
			known++
		}
	}
	if x.known(3) {
		t.Error("the index has a stat for the file just written")
	}
	if known != len(tree.Files)-1 {
		t.Errorf("%d stats known, want %d", known, len(tree.Files)-1)
	}
}

// TestIndexManifestEdited: the ManifestFile, which the index lets WriteDir skip reading,
// is read once it changed: a file it no longer lists is not mlc's to overwrite.
func TestIndexManifestEdited(t *testing.T) {
	ahead := 10 * time.Second
	clockAt(t, &ahead)
	tree, out, index := indexTree(), t.TempDir(), filepath.Join(t.TempDir(), "index")
	for range 3 {
		writeCounting(t, tree, out, index)
	}
	p := filepath.Join(out, ManifestFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	edited := bytes.Replace(b, []byte(tree.Files[5].Path+"\n"), nil, 1)
	if err := os.WriteFile(p, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tree.WriteDir(out, WithIndex(index)); err == nil || !strings.Contains(err.Error(), "mlc did not write this file") {
		t.Errorf("got %v, want a refusal to overwrite %s", err, tree.Files[5].Path)
	}
}

// TestIndexRoundTrip: an index reads back as written, its folders only when all their
// files are summed; stats of any size are kept exactly.
func TestIndexRoundTrip(t *testing.T) {
	files := []File{{Path: "a/b.yaml"}, {Path: strings.Repeat("x", 200)}, {Path: "c"}}
	for _, st := range []fileStat{
		{},
		{Size: 1, Mode: 0o100644, Dev: 2049, Ino: 1 << 40, Mtime: -1, Ctime: 1 << 62},
		{Size: 1 << 63, Mode: 1 << 63, Dev: 1 << 63, Ino: 1 << 63, Mtime: -1 << 63, Ctime: 1<<63 - 1},
	} {
		entry := func(i int) indexEntry {
			return indexEntry{known: i == 0, summed: i != 1, stat: st, sum: [32]byte{byte(i)}}
		}
		keyed := []keyedFolder{{0, 1, Key{1}}, {0, 2, Key{2}}, {2, 3, Key{3}}, {1, 2, Key{3}}}
		var buf bytes.Buffer
		if err := writeIndex(&buf, "/out", -5, st, true, files, entry, keyed); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		x := decodeIndex(b, "/out")
		if x == nil || x.manifest != st || x.stat(0) != st || x.known(1) || x.summed(1) || x.known(2) || !x.summed(2) || x.sum(2)[0] != 2 || x.stamp != -5 {
			t.Fatalf("stat %+v: decodes as %+v", st, x)
		}
		// A key's folders are kept only when every file of them is summed.
		if want := []keyedFolder{keyed[0]}; !slices.Equal(x.folders, want) {
			t.Errorf("stat %+v: folders %v, want %v", st, x.folders, want)
		}
		if got := x.foldersOf(Key{1}); len(got) != 1 || x.folders[got[0]] != keyed[0] {
			t.Errorf("folders of key 1: %v", got)
		}
		if got := x.foldersOf(Key{3}); len(got) != 0 {
			t.Errorf("folders of key 3, one of which is not summed: %v", got)
		}
	}
}

// TestLargeIndexRoundTrip: an index larger than the buffer it is written through reads
// back whole.
func TestLargeIndexRoundTrip(t *testing.T) {
	files := make([]File, 5000)
	for i := range files {
		files[i].Path = fmt.Sprintf("cluster/tenants/team-%05d/%s.yaml", i/10, strings.Repeat("n", i%150))
	}
	entry := func(i int) indexEntry {
		return indexEntry{known: i%3 == 0, summed: i%3 != 2, stat: fileStat{Size: uint64(i), Ino: uint64(i) << 20}, sum: [32]byte{byte(i), byte(i >> 8)}}
	}
	keyed := []keyedFolder{{0, 2, Key{1}}, {3, 5, Key{2}}, {4990, 5000, Key{3}}}
	var buf bytes.Buffer
	if err := writeIndex(&buf, "/out", 7, fileStat{}, false, files, entry, keyed); err != nil {
		t.Fatal(err)
	}
	x := decodeIndex(buf.Bytes(), "/out")
	if x == nil || len(x.paths) != len(files) {
		t.Fatalf("%d bytes do not decode", buf.Len())
	}
	for i, f := range files {
		e := entry(i)
		if x.paths[i] != f.Path || x.known(i) != e.known || x.summed(i) != e.summed || e.known && x.stat(i) != e.stat || e.summed && !bytes.Equal(x.sum(i), e.sum[:]) {
			t.Fatalf("file %d reads back as %q %+v", i, x.paths[i], x.entry(i))
		}
	}
	if want := keyed[:2]; !slices.Equal(x.folders, want) { // file 4991 is not summed
		t.Errorf("folders %v, want %v", x.folders, want)
	}
}
