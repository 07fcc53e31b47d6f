package statindex

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestLookup(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("stats tell nothing here")
	}
	t.Parallel()
	p := filepath.Join(t.TempDir(), "f.cue")
	if err := os.WriteFile(p, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, ok := Lstat(p)
	if !ok {
		t.Fatal("no stat")
	}
	sum := sha256.Sum256([]byte("a: 1\n"))
	changed := st
	changed.Ctime++
	modified := st
	modified.Size++
	written := time.Unix(0, max(st.Mtime, st.Ctime))
	for _, tc := range []struct {
		name  string
		stamp time.Time // when the index was taken
		look  Stat
		want  bool
	}{
		{"settled", written.Add(2 * time.Second), st, true},
		{"written in the index's tick", written.Add(tick / 2), st, false},
		{"written after the index", written.Add(-time.Second), st, false},
		{"change time differs", written.Add(2 * time.Second), changed, false},
		{"size differs", written.Add(2 * time.Second), modified, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := New(tc.stamp)
			x.Add("f.cue", st, sum)
			got, ok := x.Lookup("f.cue", tc.look)
			if ok != tc.want || ok && got != sum {
				t.Errorf("Lookup = %x, %v; want %v", got, ok, tc.want)
			}
			if _, ok := x.Lookup("other.cue", tc.look); ok {
				t.Error("a path not recorded is trusted")
			}
		})
	}
	var none *Index
	if _, ok := none.Lookup("f.cue", st); ok {
		t.Error("a nil index trusts a file")
	}
}

func TestEditKeepingSizeAndModTimeIsSeen(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("stats tell nothing here")
	}
	t.Parallel()
	p := filepath.Join(t.TempDir(), "f.cue")
	if err := os.WriteFile(p, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := Lstat(p)
	x := New(time.Unix(0, before.Ctime).Add(time.Hour)) // as if taken long after
	x.Add("f.cue", before, sha256.Sum256([]byte("a: 1\n")))
	if err := os.WriteFile(p, []byte("a: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Unix(0, before.Mtime)
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	after, _ := Lstat(p)
	if after.Size != before.Size || after.Mtime != before.Mtime {
		t.Fatalf("the edit changed size or mtime: %+v vs %+v", after, before)
	}
	if _, ok := x.Lookup("f.cue", after); ok {
		t.Error("an edit that kept size and modification time is trusted by the old stat")
	}
}

func TestMarshalRoundTripAndDamage(t *testing.T) {
	t.Parallel()
	x := New(time.Unix(100, 0))
	st := Stat{Size: 5, Mode: 0o644, Dev: 1, Ino: 2, Mtime: 3, Ctime: 4, supported: true}
	x.Add("tenants/a/a.cue", st, Sum{1, 2, 3})
	x.Add("platform.cue", st, Sum{4})
	b, err := x.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var y Index
	if err := y.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if y.stamp != x.stamp || y.Len() != 2 {
		t.Fatalf("decoded %d files stamped %d, want 2 stamped %d", y.Len(), y.stamp, x.stamp)
	}
	if e, _ := y.Entry("tenants/a/a.cue"); e != (Entry{st, Sum{1, 2, 3}}) {
		t.Errorf("decoded entry %+v", e)
	}
	for i := range b {
		damaged := append([]byte(nil), b...)
		damaged[i] ^= 0x20
		if err := new(Index).UnmarshalBinary(damaged); err == nil {
			t.Fatalf("a flipped byte at %d is not refused", i)
		}
	}
	if err := new(Index).UnmarshalBinary(b[:len(b)-1]); err == nil {
		t.Error("a truncated index is not refused")
	}
}
