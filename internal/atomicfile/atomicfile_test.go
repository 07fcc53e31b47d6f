package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWrite: the file holds the bytes with the mode, its folder is made, and nothing
// else is left beside it; a failed write leaves the old file and no temporary one.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "b", "file")
	for _, perm := range []os.FileMode{0o600, 0o644} {
		if err := Write(p, []byte("one\n"), perm); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != perm {
			t.Fatalf("mode %v, want %v (%v)", st.Mode().Perm(), perm, err)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "one\n" {
		t.Errorf("holds %q", b)
	}
	// Renaming over a folder fails: the folder stays, with no temporary file beside it.
	folder := filepath.Join(dir, "a", "folder")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(folder, []byte("two\n"), 0o644); err == nil {
		t.Fatal("wrote over a folder")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "a"))
	if len(entries) != 2 {
		t.Errorf("left beside the target: %v", entries)
	}
}
