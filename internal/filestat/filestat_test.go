package filestat

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestStat: a file's stat changes when it is written, also when its size and
// modification time are put back; and it is settled only a second after its last change.
func TestStat(t *testing.T) {
	if !Supported {
		t.Skip("no stat here")
	}
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, ok := Lstat(p)
	if !ok || !before.IsRegular() || !before.IsFile(0o644) || before.IsFile(0o600) || before.Size != 3 {
		t.Fatalf("stat %+v", before)
	}
	info, _ := os.Lstat(p)
	if fromInfo, ok := FromInfo(info); !ok || fromInfo != before {
		t.Errorf("from os.Lstat: %+v, want %+v", fromInfo, before)
	}
	if before.Settled(time.Now().UnixNano()) {
		t.Errorf("a file just written is settled")
	}
	if !before.Settled(time.Now().Add(2 * time.Second).UnixNano()) {
		t.Errorf("not settled two seconds later")
	}
	time.Sleep(20 * time.Millisecond)
	if err := os.WriteFile(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Unix(0, before.Mtime)
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if after, _ := Lstat(p); after == before {
		t.Errorf("the stat of a rewritten file of the same size and time is unchanged")
	}
	if _, ok := Lstat(filepath.Join(filepath.Dir(p), "missing")); ok {
		t.Errorf("a stat of a missing file")
	}
}

// TestDir: a file's stat by name in its open folder is its Lstat; a symlink is not
// followed, and a missing file or folder gives none.
func TestDir(t *testing.T) {
	if !Supported {
		t.Skip("no stat here")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	// Through a symlink to the folder, as a path through it goes.
	via := filepath.Join(t.TempDir(), "via")
	if err := os.Symlink(dir, via); err != nil {
		t.Fatal(err)
	}
	d, ok := OpenDir(via)
	if !ok {
		t.Fatal("cannot open the folder")
	}
	defer d.Close()
	for _, name := range []string{"f", "link"} {
		want, ok := Lstat(filepath.Join(dir, name))
		if got, gotOK := d.Lstat(name); !ok || !gotOK || got != want {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	if st, _ := d.Lstat("link"); st.IsRegular() {
		t.Error("the symlink was followed")
	}
	if _, ok := d.Lstat("missing"); ok {
		t.Error("a stat of a missing file")
	}
	if _, ok := OpenDir(p); ok {
		t.Error("a file opened as a folder")
	}
	missing, ok := OpenDir(filepath.Join(dir, "missing"))
	if ok {
		t.Fatal("a missing folder opened")
	}
	if _, ok := missing.Lstat("f"); ok {
		t.Error("a stat in a folder not opened")
	}
	missing.Close()
}

// TestLstatAllocatesNothing: looking at a file by its path or in an open folder makes no
// garbage, where the system has it so (a render looks at tens of thousands of files).
func TestLstatAllocatesNothing(t *testing.T) {
	if !Supported {
		t.Skip("no stat here")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "file.yaml")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, ok := OpenDir(dir)
	if !ok {
		t.Fatal("cannot open", dir)
	}
	defer d.Close()
	byPath, _ := Lstat(p)
	inDir, _ := d.Lstat("file.yaml")
	if byPath != inDir || !byPath.IsRegular() {
		t.Fatalf("by path %+v, in the folder %+v", byPath, inDir)
	}
	long := filepath.Join(dir, strings.Repeat("d", 200), strings.Repeat("e", 200), "f")
	if err := os.MkdirAll(filepath.Dir(long), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(long, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := Lstat(long); !ok {
		t.Errorf("a path longer than the buffer: not found")
	}
	if _, ok := Lstat(p + "\x00x"); ok {
		t.Errorf("a path with a NUL was found")
	}
	if runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
		if n := testing.AllocsPerRun(100, func() { Lstat(p); d.Lstat("file.yaml") }); n != 0 {
			t.Errorf("%v allocations a look", n)
		}
	}
}
