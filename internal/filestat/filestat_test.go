package filestat

import (
	"os"
	"path/filepath"
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
