//go:build linux || darwin

package emit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// lookAhead makes writeCounting look at the files ahead (StartPrestat) before each
// write, as a render does while it compiles.
var lookAhead bool

// TestIndexLookingAhead runs the index's tests with the files looked at ahead: nothing
// they find differs.
func TestIndexLookingAhead(t *testing.T) {
	lookAhead = true
	t.Cleanup(func() { lookAhead = false })
	t.Run("SkipsReadingUnchangedFiles", TestIndexSkipsReadingUnchangedFiles)
	t.Run("DetectsEditedFile", TestIndexDetectsEditedFile)
	t.Run("RacyEntriesAreRead", TestIndexRacyEntriesAreRead)
	t.Run("IgnoredWhenNotThisDirs", TestIndexIgnoredWhenNotThisDirs)
	t.Run("RemovedWhileTreeChanges", TestIndexRemovedWhileTreeChanges)
	t.Run("ManifestEdited", TestIndexManifestEdited)
}

// lookedAhead returns a Prestat of dir with the index, once it looked at every file.
func lookedAhead(t *testing.T, dir, index string) *Prestat {
	t.Helper()
	p := StartPrestat(dir, WithIndex(index))
	<-p.ready
	if p.check != nil {
		p.check.pending.Wait()
	}
	return p
}

// settled writes the tree into a new directory until its index vouches for every file,
// and returns the directory and the index.
func settled(t *testing.T, tree *Tree) (out, index string) {
	t.Helper()
	out, index = t.TempDir(), filepath.Join(t.TempDir(), "index")
	writeCounting(t, tree, out, index)
	writeCounting(t, tree, out, index)
	if got := writeCounting(t, tree, out, index); got != 0 {
		t.Fatalf("read %d files, want none", got)
	}
	return out, index
}

// editInPlace rewrites the file with other bytes of the same size, its modification
// time put back.
func editInPlace(t *testing.T, p string) {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// Past the tick of a coarse clock, so that the change time surely differs.
	time.Sleep(20 * time.Millisecond)
	edited := bytes.ToUpper(data)
	if bytes.Equal(edited, data) {
		t.Fatal("the edit must change the bytes")
	}
	if err := os.WriteFile(p, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
}

// TestPrestatSkipsReading: a write that takes the look ahead reads no file of a settled
// tree, and leaves it as it was; an edit made before the look is restored.
func TestPrestatSkipsReading(t *testing.T) {
	ahead := 10 * time.Second
	clockAt(t, &ahead)
	tree := indexTree()
	out, index := settled(t, tree)
	p := lookedAhead(t, out, index)
	before := fileReads.Load()
	if err := tree.WriteDir(out, WithIndex(index), WithPrestat(p)); err != nil {
		t.Fatal(err)
	}
	if got := fileReads.Load() - before; got != 0 {
		t.Errorf("read %d files, want none", got)
	}
	checkTree(t, tree, out)
	p.Stop()

	editInPlace(t, filepath.Join(out, filepath.FromSlash(tree.Files[3].Path)))
	p = lookedAhead(t, out, index)
	before = fileReads.Load()
	if err := tree.WriteDir(out, WithIndex(index), WithPrestat(p)); err != nil {
		t.Fatal(err)
	}
	if got := fileReads.Load() - before; got != 1 {
		t.Errorf("read %d files, want the one edited", got)
	}
	checkTree(t, tree, out)
}

// TestPrestatEditAfterLook: a file edited after the look ahead, before the write, to
// the same size and with its modification time put back, is never vouched for: the
// index still records the stat seen before the edit, so the next write reads the file
// and writes it again. Also when the write that took the look rebuilt the file's folder
// (linking the edited file into it), or replaced another file.
func TestPrestatEditAfterLook(t *testing.T) {
	ahead := 10 * time.Second
	clockAt(t, &ahead)
	base := indexTree()
	const edited = 3 // prod/tenants/a/y.yaml
	for _, tc := range []struct {
		name string
		// changes are the other files that differ in the tree written with the look;
		// reads, how many files the next write reads: the edited file, and those whose
		// stat the write that took the look did not record.
		changes []int
		reads   int64
	}{
		{"nothing else changed", nil, 1},
		{"its folder rebuilt", []int{1, 2}, 3}, // prod/tenants/a/{kustomization,x}.yaml
		{"another file replaced", []int{9}, 2}, // staging/tenants/a/x.yaml
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, index := settled(t, base)
			tree := &Tree{Files: append([]File(nil), base.Files...)}
			for _, i := range tc.changes {
				tree.Files[i].Data = []byte("kind: Changed\n")
			}
			p := lookedAhead(t, out, index)
			path := filepath.Join(out, filepath.FromSlash(base.Files[edited].Path))
			editInPlace(t, path)
			if err := tree.WriteDir(out, WithIndex(index), WithPrestat(p)); err != nil {
				t.Fatal(err)
			}
			p.Stop()
			// What the write did with the edited file is of the tree as the look saw
			// it; the index must not vouch for the edit.
			b, err := os.ReadFile(index)
			if err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(out)
			x := decodeIndex(b, abs)
			if x == nil {
				t.Fatal("no index")
			}
			if st, ok := filestat.Lstat(path); ok && x.known(edited) && x.stat(edited) == st {
				t.Fatal("the index records the stat of the edited file")
			}
			for i, look := range []bool{false, true, true} {
				var opts []WriteOption
				if look {
					opts = append(opts, WithPrestat(lookedAhead(t, out, index)))
				}
				before := fileReads.Load()
				if err := tree.WriteDir(out, append(opts, WithIndex(index))...); err != nil {
					t.Fatal(err)
				}
				// Then the files just written, and none.
				got := fileReads.Load() - before
				if i == 0 && got != tc.reads || i == 2 && got != 0 {
					t.Errorf("write %d after the edit: read %d files", i+1, got)
				}
				checkTree(t, tree, out)
			}
		})
	}
}

// TestPrestatServesOneWrite: a look ahead is used by one write only, into the directory
// and with the index it was made for. A second write with it reads its own index: had it
// trusted the look, made before the first write changed a file, it would take the file
// back as unchanged.
func TestPrestatServesOneWrite(t *testing.T) {
	ahead := 10 * time.Second
	clockAt(t, &ahead)
	base := indexTree()
	out, index := settled(t, base)
	changed := &Tree{Files: append([]File(nil), base.Files...)}
	changed.Files[3].Data = []byte("kind: Changed\n")
	p := lookedAhead(t, out, index)
	for _, tree := range []*Tree{changed, base} {
		if err := tree.WriteDir(out, WithIndex(index), WithPrestat(p)); err != nil {
			t.Fatal(err)
		}
		checkTree(t, tree, out)
	}
	p.Stop()

	// Another directory, or another index: not used.
	other, otherIndex := settled(t, changed)
	p = lookedAhead(t, out, index)
	if got := writeWith(t, changed, other, otherIndex, WithPrestat(p)); got != 0 {
		t.Errorf("read %d files, want none", got)
	}
	checkTree(t, changed, other)
	editInPlace(t, filepath.Join(other, filepath.FromSlash(base.Files[5].Path)))
	for _, p := range []*Prestat{lookedAhead(t, out, index), lookedAhead(t, other, index)} {
		// The second time, the file written the first.
		if got := writeWith(t, changed, other, otherIndex, WithPrestat(p)); got != 1 {
			t.Errorf("read %d files, want the one edited", got)
		}
		checkTree(t, changed, other)
		p.Stop()
	}

	// Stopped, it is not used either.
	if got := writeWith(t, base, out, index); got != 1 {
		t.Errorf("read %d files, want the one written last", got)
	}
	p = StartPrestat(out, WithIndex(index))
	p.Stop()
	editInPlace(t, filepath.Join(out, filepath.FromSlash(base.Files[5].Path)))
	if got := writeWith(t, base, out, index, WithPrestat(p)); got != 1 {
		t.Errorf("read %d files, want the one edited", got)
	}
	checkTree(t, base, out)
}

// TestPrestatStamp: the index written after a look ahead is stamped no later than the
// look began: a file's stat recorded by the write is trusted only when settled before
// the look.
func TestPrestatStamp(t *testing.T) {
	ahead := 10 * time.Second
	clockAt(t, &ahead)
	base := indexTree()
	out, index := settled(t, base)
	begun := now().UnixNano()
	p := lookedAhead(t, out, index)
	ahead += time.Hour
	changed := &Tree{Files: append([]File(nil), base.Files...)}
	changed.Files[3].Data = []byte("kind: Changed\n")
	if err := changed.WriteDir(out, WithIndex(index), WithPrestat(p)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(out)
	if x := decodeIndex(b, abs); x == nil || x.stamp < begun || x.stamp > begun+int64(time.Minute) {
		t.Errorf("index stamped %v after the look began, want the look's beginning", time.Duration(x.stamp-begun))
	}
}

// TestPrestatWithoutIndex: without an index, or before anything was written, a look
// ahead finds nothing and the write does all.
func TestPrestatWithoutIndex(t *testing.T) {
	tree := indexTree()
	out := filepath.Join(t.TempDir(), "out")
	index := filepath.Join(t.TempDir(), "index")
	for _, opts := range [][]WriteOption{nil, {WithIndex(index)}} {
		p := StartPrestat(out, opts...)
		if err := tree.WriteDir(out, append(opts, WithPrestat(p))...); err != nil {
			t.Fatal(err)
		}
		p.Stop()
		checkTree(t, tree, out)
	}
	var none *Prestat
	none.Stop()
}

// writeWith writes the tree with the index and the options and returns how many files
// it read.
func writeWith(t *testing.T, tree *Tree, dir, index string, opts ...WriteOption) int {
	t.Helper()
	before := fileReads.Load()
	if err := tree.WriteDir(dir, append(opts, WithIndex(index))...); err != nil {
		t.Fatal(err)
	}
	return int(fileReads.Load() - before)
}
