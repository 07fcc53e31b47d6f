package emit_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/emit"
)

func quickstartTree(t *testing.T) *emit.Tree {
	t.Helper()
	res, err := compiler.Compile(context.Background(), filepath.Join("..", "..", "examples", "quickstart"), compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	tree, err := emit.Build(res)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// TestKustomizeBuildReproducesStream builds each cluster's folder with kustomize's own
// library, as Flux's kustomize-controller does, and requires the stream mlc prints.
func TestKustomizeBuildReproducesStream(t *testing.T) {
	tree := quickstartTree(t)
	out := t.TempDir()
	if err := tree.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	for _, c := range tree.Clusters() {
		m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(out, c))
		if err != nil {
			t.Fatalf("kustomize build %s: %v", c, err)
		}
		got, err := m.AsYaml()
		if err != nil {
			t.Fatal(err)
		}
		if want := tree.Stream(c); !sameStream(t, got, want) {
			t.Errorf("kustomize build %s differs from the stream:\n--- kustomize\n%s\n--- mlc\n%s", c, got, want)
		}
		if len(tree.Stream(c)) == 0 {
			t.Errorf("cluster %s: empty stream", c)
		}
	}
}

// TestWriteDirKeepsForeignFiles: files mlc did not write survive a render; files it wrote
// and no longer renders go; a render that would overwrite a foreign file writes nothing.
func TestWriteDirKeepsForeignFiles(t *testing.T) {
	tree := quickstartTree(t)
	out := filepath.Join(t.TempDir(), "out")
	if err := tree.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	write := func(rel, content string) {
		p := filepath.Join(out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "mine\n")
	write("prod/notes/todo.txt", "also mine\n")
	stale := "prod/tenants/nlp/notebook_old.yaml"
	write(stale, "kind: Notebook\n")
	// Pretend mlc wrote the stale file in an earlier render.
	manifest, err := os.ReadFile(filepath.Join(out, emit.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	write(emit.ManifestFile, string(manifest)+stale+"\n")

	if err := tree.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]string{"README.md": "mine\n", "prod/notes/todo.txt": "also mine\n"} {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(rel)))
		if err != nil || string(got) != want {
			t.Errorf("%s: got %q, %v; want it kept", rel, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(stale))); !os.IsNotExist(err) {
		t.Errorf("%s: a file mlc wrote and no longer renders should be gone (stat: %v)", stale, err)
	}
	for _, f := range tree.Files {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(f.Path)))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Fatalf("%s not written as rendered: %v", f.Path, err)
		}
	}

	// A foreign file in the way: an error, and the directory exactly as it was.
	clash := tree.Files[0].Path
	if err := os.Remove(filepath.Join(out, emit.ManifestFile)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, out)
	err = tree.WriteDir(out)
	if err == nil || !strings.Contains(err.Error(), "mlc did not write this file") {
		t.Fatalf("want a refusal to overwrite %s, got %v", clash, err)
	}
	if after := snapshot(t, out); after != before {
		t.Errorf("the directory changed although the render failed")
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".mlc-") {
			t.Errorf("temporary directory left behind: %s", e.Name())
		}
	}
}

// TestWriteDirTouchesOnlyClusterFolders: a render into a folder that holds other things
// (the user's repository, empty folders, a symlinked output) changes nothing but the
// cluster folders and the list of mlc's files.
func TestWriteDirTouchesOnlyClusterFolders(t *testing.T) {
	tree := quickstartTree(t)
	root := t.TempDir()
	real := filepath.Join(root, "real-out")
	if err := os.MkdirAll(filepath.Join(real, "keep", "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(real, "prod", "mine", "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "out")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := tree.WriteDir(link); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"keep/empty", "prod/mine/empty"} {
		st, err := os.Stat(filepath.Join(real, filepath.FromSlash(d)))
		if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v; want the folder kept with its mode", d, st, err)
		}
	}
	if _, err := os.Stat(filepath.Join(real, "prod", "kustomization.yaml")); err != nil {
		t.Errorf("the tree was not written through the symlink: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the output symlink was replaced: %v", err)
	}
}

// TestWriteDirRemovesClustersNoLongerRendered: files mlc wrote for a cluster that is
// gone are removed; a file the user put there stays.
func TestWriteDirRemovesClustersNoLongerRendered(t *testing.T) {
	res, err := compiler.Compile(context.Background(), filepath.Join("..", "..", "examples", "quickstart"), compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	all, err := emit.Build(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := all.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "staging", "NOTES.md"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res.Clusters = res.Clusters[:1] // prod only
	prodOnly, err := emit.Build(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := prodOnly.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "staging", "kustomization.yaml")); !os.IsNotExist(err) {
		t.Errorf("staging's files should be gone: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "staging", "NOTES.md")); err != nil || string(b) != "mine\n" {
		t.Errorf("the user's file in staging/ was not kept: %q %v", b, err)
	}
}

// snapshot lists every file with its content.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		b.WriteString(p + "\n" + string(data))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sameStream compares two YAML streams document by document: byte for byte, but a
// SOPS-encrypted Secret, which mlc publishes as the repository holds it and kustomize
// re-encodes, by its values.
func sameStream(t *testing.T, a, b []byte) bool {
	t.Helper()
	// A document marker is a line of its own ("-----END AGE ENCRYPTED FILE-----" ends in one).
	da, db := bytes.Split(append([]byte("\n"), a...), []byte("\n---\n")), bytes.Split(append([]byte("\n"), b...), []byte("\n---\n"))
	if len(da) != len(db) {
		return false
	}
	for i := range da {
		if bytes.Equal(da[i], db[i]) {
			continue
		}
		if !bytes.Contains(db[i], []byte("\nsops:\n")) {
			return false
		}
		var va, vb any
		if err := yaml.Unmarshal(da[i], &va); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(db[i], &vb); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(va, vb) {
			return false
		}
	}
	return true
}
