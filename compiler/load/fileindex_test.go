package load

import (
	"cmp"
	"crypto/sha256"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// TestFileIndexEncoding: an index made by hand, out of order and with a directory that
// lists a file it has no entry for, is encoded in the repository's order, to the byte
// of the length reckoned, and read back the same; its entries are found by path, and
// an index that names a path twice is not encoded.
func TestFileIndexEncoding(t *testing.T) {
	st := func(n uint64) filestat.Stat {
		return filestat.Stat{Size: n, Mode: 0o100644, Dev: math.MaxUint64, Ino: n << 40, Mtime: -int64(n), Ctime: math.MaxInt64}
	}
	x := &FileIndex{
		Root:  "/repo",
		Stamp: 1e18,
		Files: []IndexedFile{
			{Path: "tenants/a/x.cue", Stat: st(1), Sum: Sum{1}},
			{Path: "zz.cue", Stat: st(2), Sum: Sum{2}},
			{Path: "tenants/a-b/x.cue", Stat: st(3), Sum: Sum{3}},
			{Path: "tenants/defaults.cue", Stat: st(4), Sum: Sum{4}},
			{Path: "platform.cue", Stat: st(5), Sum: Sum{5}},
		},
		Dirs: []IndexedDir{
			{Path: "tenants/a-b", Stat: st(6), Files: []string{"tenants/a-b/x.cue"}},
			{Path: "tenants/a", Stat: st(7), Files: []string{"tenants/a/broken.cue", "tenants/a/x.cue"}},
			{Path: "tenants/c", Stat: st(8)},
		},
	}
	b, err := x.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != cap(b) {
		t.Errorf("%d bytes encoded in %d", len(b), cap(b))
	}
	var back FileIndex
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range back.Files {
		paths = append(paths, f.Path)
	}
	if want := []string{"platform.cue", "zz.cue", "tenants/defaults.cue", "tenants/a/x.cue", "tenants/a-b/x.cue"}; !slices.Equal(paths, want) {
		t.Errorf("files in the order %q, want %q", paths, want)
	}
	if back.Root != x.Root || back.Stamp != x.Stamp || len(back.Dirs) != 3 || back.Dirs[0].Path != "tenants/a" {
		t.Errorf("read back as %+v", back)
	}
	for _, f := range x.Files {
		if got, ok := back.File(f.Path); !ok || got != f {
			t.Errorf("%s: %+v, want %+v", f.Path, got, f)
		}
	}
	for _, d := range x.Dirs {
		if got, ok := back.Dir(d.Path); !ok || got.Stat != d.Stat || !slices.Equal(got.Files, d.Files) {
			t.Errorf("%s: %+v, want %+v", d.Path, got, d)
		}
	}
	if _, ok := back.File("tenants/a/broken.cue"); ok {
		t.Error("an entry for a file listed only")
	}
	if _, ok := back.Dir("tenants/b"); ok {
		t.Error("an entry for a directory not indexed")
	}
	again, err := back.MarshalBinary()
	if err != nil || !slices.Equal(again, b) {
		t.Errorf("encoded again differently (%v)", err)
	}
	if !reflect.DeepEqual(back.Dirs[2], IndexedDir{Path: "tenants/c", Stat: st(8), Files: []string{}}) {
		t.Errorf("an empty directory read back as %+v", back.Dirs[2])
	}

	x.Files = append(x.Files, x.Files[0])
	if _, err := x.MarshalBinary(); err == nil {
		t.Error("an index with a file twice was encoded")
	}
}

// TestComparePaths: paths are ordered as a repository lists its files.
func TestComparePaths(t *testing.T) {
	sorted := []string{"a.cue", "platform.cue", "z.cue", "tenants/a.cue", "tenants/z.cue", "tenants/a/z.cue", "tenants/a-b/a.cue", "tenants/b/a.cue"}
	for i, a := range sorted {
		for j, b := range sorted {
			if got, want := comparePaths(a, b), cmp.Compare(i, j); got != want {
				t.Errorf("comparePaths(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

// TestFileIndexDecodesNoPanic: an encoding changed in any byte, its checksum made again,
// is decoded or refused, without a panic; what is decoded is in order.
func TestFileIndexDecodesNoPanic(t *testing.T) {
	x := &FileIndex{
		Root: "/repo",
		Files: []IndexedFile{
			{Path: "platform.cue"},
			{Path: "tenants/a/x.cue", Sum: Sum{1}},
		},
		Dirs: []IndexedDir{{Path: "tenants/a", Files: []string{"tenants/a/w.cue", "tenants/a/x.cue"}}},
	}
	b, err := x.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	body := b[:len(b)-sha256.Size]
	for i := len(fileIndexMagic); i < len(body); i++ {
		for _, v := range []byte{0, 1, 0x7f, 0x80, 0xff, body[i] ^ 1} {
			changed := slices.Clone(body)
			changed[i] = v
			sum := sha256.Sum256(changed)
			var y FileIndex
			if y.UnmarshalBinary(append(changed, sum[:]...)) != nil {
				continue
			}
			if !slices.IsSortedFunc(y.Files, fileBefore) || !slices.IsSortedFunc(y.Dirs, dirBefore) {
				t.Errorf("byte %d as %#x: decoded out of order: %+v", i, v, y)
			}
		}
	}
}
