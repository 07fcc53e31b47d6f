package compiler_test

import (
	"sigs.k8s.io/yaml"

	"bytes"
	"context"
	"flag"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/sops"
	"github.com/mlc-gitops/mlc/compiler/validate"

	"github.com/mlc-gitops/mlc/compiler/emit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// examples are the example repositories whose rendered trees are kept as golden files.
var examples = []string{"quickstart"}

func renderTree(t testing.TB, dir string, opts compiler.Options) *emit.Tree {
	t.Helper()
	res, err := compiler.Compile(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diagnostics) > 0 {
		t.Fatalf("diagnostics:\n%s", res.Diagnostics.Error())
	}
	tree, err := emit.Build(res)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// TestGolden renders each example and compares every file with testdata/golden.
// Run `go test ./compiler -run TestGolden -update` after an intended change, and review
// the diff.
func TestGolden(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			tree := renderTree(t, filepath.Join("..", "examples", ex), compiler.Options{})
			golden := filepath.Join("testdata", "golden", ex)
			if *update {
				if err := os.RemoveAll(golden); err != nil {
					t.Fatal(err)
				}
				if err := tree.WriteDir(golden); err != nil {
					t.Fatal(err)
				}
				if err := os.Remove(filepath.Join(golden, emit.ManifestFile)); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string][]byte{}
			err := filepath.WalkDir(golden, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				rel, _ := filepath.Rel(golden, p)
				want[filepath.ToSlash(rel)] = b
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tree.Files {
				w, ok := want[f.Path]
				if !ok {
					t.Errorf("%s: rendered but not in %s", f.Path, golden)
					continue
				}
				if !bytes.Equal(w, f.Data) {
					t.Errorf("%s differs from the golden file:\n--- want\n%s\n--- got\n%s", f.Path, w, f.Data)
				}
				delete(want, f.Path)
			}
			for p := range want {
				t.Errorf("%s: in %s but no longer rendered", p, golden)
			}
		})
	}
}

// TestDeterministic renders the same input several ways — one worker, many workers, a
// fresh compile each time — and requires identical bytes.
func TestDeterministic(t *testing.T) {
	dir := filepath.Join("..", "examples", "quickstart")
	base := renderTree(t, dir, compiler.Options{Workers: 1})
	for _, workers := range []int{1, 2, 8} {
		got := renderTree(t, dir, compiler.Options{Workers: workers})
		if len(got.Files) != len(base.Files) {
			t.Fatalf("workers=%d: %d files, want %d", workers, len(got.Files), len(base.Files))
		}
		for i := range got.Files {
			if got.Files[i].Path != base.Files[i].Path || !bytes.Equal(got.Files[i].Data, base.Files[i].Data) {
				t.Fatalf("workers=%d: %s differs", workers, got.Files[i].Path)
			}
		}
	}
}

// TestRenderedFilesAccepted decodes every rendered file back from YAML, as kustomize and
// the API server will, and judges it against the upstream schemas again: what is written
// must be what was validated.
func TestRenderedFilesAccepted(t *testing.T) {
	v := validate.New()
	for _, ex := range examples {
		tree := renderTree(t, filepath.Join("..", "examples", ex), compiler.Options{})
		objects := 0
		for _, f := range tree.Files {
			var obj map[string]any
			if err := yaml.Unmarshal(f.Data, &obj); err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			if filepath.Base(f.Path) == emit.KustomizationFile {
				continue
			}
			objects++
			if _, encrypted := obj["sops"]; encrypted {
				obj = asDecrypted(t, f.Path, obj)
			}
			if errs := v.Validate(obj); len(errs) > 0 {
				t.Errorf("%s: rejected: %v", f.Path, errs)
			}
		}
		if objects < 20 {
			t.Errorf("%s: only %d objects rendered; the example should exercise more", ex, objects)
		}
	}
}

// asDecrypted is a SOPS-encrypted Secret as Flux applies it, once decrypted: without
// the sops metadata, each value a plaintext (of base64 in data). Every value must be
// encrypted, and nothing else differs.
func asDecrypted(t *testing.T, path string, obj map[string]any) map[string]any {
	t.Helper()
	out := maps.Clone(obj)
	delete(out, "sops")
	for _, field := range []string{"data", "stringData"} {
		values, _ := obj[field].(map[string]any)
		plain := map[string]any{}
		for k, v := range values {
			if !sops.Encrypted(v) {
				t.Errorf("%s: %s.%s is not encrypted", path, field, k)
			}
			plain[k] = "cGxhaW4=" // "plain", in base64
		}
		if values != nil {
			out[field] = plain
		}
	}
	return out
}
