package compiler

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler/kubeflow"
)

// TestInstallContentKeyByStat: once an install's files are indexed, a warm render
// trusts their stat instead of reading them, and
// notices a file written since.
func TestInstallContentKeyByStat(t *testing.T) {
	dir := t.TempDir()
	var files []kubeflow.FileSum
	for _, name := range []string{"a.yaml", "b.yaml"} {
		p := filepath.Join(dir, name)
		data := []byte("kind: " + name + "\n")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, kubeflow.FileSum{Path: p, Sum: sha256.Sum256(data)})
	}
	// The index is stamped later than the files were written by more than a tick.
	restore := SetClock(func() time.Time { return time.Now().Add(time.Minute) })
	defer restore()

	key, ok, index := contentKey("plan", files, nil)
	if !ok || index == nil || index.Len() != 2 {
		t.Fatalf("cold: ok %v, index %v", ok, index)
	}
	var reads atomic.Int32
	readInstallFile = func(p string) ([]byte, error) { reads.Add(1); return os.ReadFile(p) }
	defer func() { readInstallFile = os.ReadFile }()
	warm, ok, again := contentKey("plan", files, index)
	if !ok || warm != key || again != nil || reads.Load() != 0 {
		t.Errorf("warm, by stat: ok %v, same key %v, new index %v, %d files read", ok, warm == key, again, reads.Load())
	}
	if _, ok, _ := contentKey("plan", files, nil); !ok || reads.Load() != 2 {
		t.Errorf("without the index: ok %v, %d files read, want 2", ok, reads.Load())
	}
	if err := os.WriteFile(files[1].Path, []byte("kind: changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := contentKey("plan", files, index); ok {
		t.Error("a file written since the index passed")
	}
}
