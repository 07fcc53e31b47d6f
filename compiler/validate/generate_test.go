package validate

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGeneratedUpToDate regenerates crds/ from the shared CRD folders, as the
// go:generate line of validate.go names them, into a temporary directory and
// requires the same files, byte for byte.
func TestGeneratedUpToDate(t *testing.T) {
	in := generateInputs(t)
	for _, dir := range strings.Split(in, ",") {
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("shared CRDs not available: %v", err)
		}
	}
	if testing.Short() {
		t.Skip("builds and runs tools/crdgen")
	}
	out := t.TempDir()
	cmd := exec.Command("go", "run", "../../tools/crdgen", "-in", in, "-out", out)
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

// generateInputs returns the -in argument of validate.go's go:generate line.
func generateInputs(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("validate.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		if !strings.HasPrefix(line, "//go:generate ") {
			continue
		}
		fields := strings.Fields(line)
		if i := slices.Index(fields, "-in"); i >= 0 && i+1 < len(fields) {
			return fields[i+1]
		}
	}
	t.Fatal("validate.go has no go:generate line with -in")
	return ""
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
