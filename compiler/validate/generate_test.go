package validate

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestGeneratedUpToDate regenerates crds/ from the shared CRD folder and the project's
// own (third_party/crds) into a temporary directory and requires the same files, byte
// for byte.
func TestGeneratedUpToDate(t *testing.T) {
	in := filepath.Join(sharedDir, "crds")
	if _, err := os.Stat(in); err != nil {
		t.Skipf("shared CRDs not available: %v", err)
	}
	if testing.Short() {
		t.Skip("builds and runs tools/crdgen")
	}
	out := t.TempDir()
	cmd := exec.Command("go", "run", "../../tools/crdgen", "-in", in+",../../third_party/crds", "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("crdgen: %v\n%s", err, msg)
	}
	want := listDir(t, out)
	got := listDir(t, "crds")
	if !slices.Equal(got, want) {
		t.Fatalf("crds/ holds %v, the generator writes %v; run go generate ./compiler/validate", got, want)
	}
	for _, name := range want {
		a, err := os.ReadFile(filepath.Join("crds", name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("crds/%s is stale; run go generate ./compiler/validate", name)
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}
