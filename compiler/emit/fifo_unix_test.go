//go:build linux || darwin

package emit_test

import (
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

// TestWriteDirReplacesFIFO: a FIFO where mlc wrote a file does not block the comparison;
// the file is written again.
func TestWriteDirReplacesFIFO(t *testing.T) {
	tree := quickstartTree(t)
	out := t.TempDir()
	if err := tree.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	want := files(t, out)
	p := filepath.Join(out, filepath.FromSlash(tree.Files[4].Path))
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip(err)
	}
	if err := tree.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	if got := files(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("the FIFO was not replaced by the file")
	}
}
