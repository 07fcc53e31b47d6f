package emit_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/emit"
)

// files lists every file and folder under dir, relative, with its mode and content.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			m[rel] = info.Mode().String()
			return nil
		}
		b, err := os.ReadFile(p)
		m[rel] = info.Mode().String() + "\n" + string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// inodes returns the file identities under dir, to tell which files were written again.
func inodes(t *testing.T, dir string) map[string]os.FileInfo {
	t.Helper()
	m := map[string]os.FileInfo{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := os.Lstat(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = info
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// variant is the tree with some files changed, added or removed.
func variant(base *emit.Tree, change map[string]string, remove ...string) *emit.Tree {
	v := &emit.Tree{}
	for _, f := range base.Files {
		if slices.Contains(remove, f.Path) {
			continue
		}
		if s, ok := change[f.Path]; ok {
			f.Data = []byte(s)
			delete(change, f.Path)
		}
		v.Files = append(v.Files, f)
	}
	for p, s := range change {
		v.Files = append(v.Files, emit.File{Path: p, Data: []byte(s)})
	}
	return v
}

// TestWriteDirIncremental: writing a tree over the one mlc wrote before gives exactly
// the directory a write into an empty one gives (plus the user's files), and rewrites
// only the folder that holds what changed; unchanged files are not written at all.
func TestWriteDirIncremental(t *testing.T) {
	base := quickstartTree(t)
	var workloadDir, other string // two tenant folders of one cluster
	for _, f := range base.Files {
		if parts := strings.Split(f.Path, "/"); len(parts) == 4 && parts[1] == emit.TenantsDir {
			d := strings.Join(parts[:3], "/")
			if workloadDir == "" {
				workloadDir = d
			} else if other == "" && d != workloadDir && parts[0] == strings.Split(workloadDir, "/")[0] {
				other = d
			}
		}
	}
	if workloadDir == "" || other == "" {
		t.Fatal("the quickstart has no two tenant folders in one cluster")
	}
	inFolder := func(dir string) []string {
		var ps []string
		for _, f := range base.Files {
			if strings.HasPrefix(f.Path, dir+"/") && !strings.HasSuffix(f.Path, emit.KustomizationFile) {
				ps = append(ps, f.Path)
			}
		}
		return ps
	}
	first, second := inFolder(workloadDir)[0], inFolder(other)[0]
	cluster := strings.Split(workloadDir, "/")[0]
	foreign := map[string]string{
		"README.md":                      "mine\n",
		workloadDir + "/NOTES.md":        "my notes\n",
		cluster + "/mine/sub/keep.txt":   "keep\n",
		other + "/nested/also-mine.yaml": "kind: Mine\n",
	}

	for _, tc := range []struct {
		name string
		tree *emit.Tree
		// rewritten are the folders whose files may be written again; every other
		// file must keep its identity.
		rewritten []string
	}{
		{"nothing changed", base, nil},
		{"one file changed", variant(base, map[string]string{first: "kind: Changed\n"}), []string{first}},
		{"one tenant's folder changed", variant(base, map[string]string{
			first:                               "kind: Changed\n",
			workloadDir + "/added_x.yaml":       "kind: Added\n",
			workloadDir + "/kustomization.yaml": "resources: []\n",
		}, inFolder(workloadDir)[1:]...), []string{workloadDir + "/"}},
		{"two folders changed", variant(base, map[string]string{first: "kind: Changed\n", second: "kind: Changed\n"}), []string{cluster + "/"}},
		{"a tenant removed", variant(base, nil, append(inFolder(other), other+"/kustomization.yaml")...), []string{cluster + "/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			if err := base.WriteDir(out); err != nil {
				t.Fatal(err)
			}
			for rel, s := range foreign {
				p := filepath.Join(out, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before := inodes(t, out)
			if err := tc.tree.WriteDir(out); err != nil {
				t.Fatal(err)
			}

			fresh := t.TempDir()
			if err := tc.tree.WriteDir(fresh); err != nil {
				t.Fatal(err)
			}
			for rel, s := range foreign {
				p := filepath.Join(fresh, filepath.FromSlash(rel))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, want := files(t, out), files(t, fresh)
			if tc.name == "a tenant removed" {
				// Like a render of the whole cluster, the folders of a removed tenant
				// stay (with the user's files in them).
				for rel := range got {
					if _, ok := want[rel]; !ok && strings.HasPrefix(filepath.ToSlash(rel), other) {
						want[rel] = got[rel]
					}
				}
			}
			if !reflect.DeepEqual(got, want) {
				for rel := range got {
					if got[rel] != want[rel] {
						t.Errorf("%s: got %.60q, want %.60q", rel, got[rel], want[rel])
					}
				}
				for rel := range want {
					if _, ok := got[rel]; !ok {
						t.Errorf("%s: missing", rel)
					}
				}
			}
			after := inodes(t, out)
			for rel, info := range before {
				now, ok := after[rel]
				if !ok || rel == emit.ManifestFile {
					continue
				}
				written := slices.ContainsFunc(tc.rewritten, func(p string) bool { return rel == p || strings.HasSuffix(p, "/") && strings.HasPrefix(rel, p) })
				// A file outside the rebuilt folder, or unchanged inside it (hard-linked),
				// is the same file; a changed one is new.
				changed := variantChanged(base, tc.tree, rel)
				if !written && !os.SameFile(info, now) {
					t.Errorf("%s was written again, though nothing in its folder changed", rel)
				}
				if !changed && !os.SameFile(info, now) && written && rel != emit.ManifestFile && !isForeign(foreign, rel) {
					t.Errorf("%s did not change but is a new file (not linked)", rel)
				}
				if !changed && info.ModTime() != now.ModTime() && !isForeign(foreign, rel) {
					t.Errorf("%s did not change but was modified", rel)
				}
			}
			for rel := range got {
				if strings.Contains(rel, ".mlc-") && rel != emit.ManifestFile {
					t.Errorf("temporary file left behind: %s", rel)
				}
			}
		})
	}
}

func isForeign(foreign map[string]string, rel string) bool { _, ok := foreign[rel]; return ok }

// variantChanged tells whether the file rel has other bytes (or none) in v than in base.
func variantChanged(base, v *emit.Tree, rel string) bool {
	data := func(t *emit.Tree) (string, bool) {
		for _, f := range t.Files {
			if f.Path == rel {
				return string(f.Data), true
			}
		}
		return "", false
	}
	a, aok := data(base)
	b, bok := data(v)
	return a != b || aok != bok
}

// TestWriteDirRestoresEditedFiles: a file mlc wrote and the user changed (its bytes, its
// mode, or removed it) is written again; files are compared, never trusted.
func TestWriteDirRestoresEditedFiles(t *testing.T) {
	tree := quickstartTree(t)
	out := t.TempDir()
	if err := tree.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	want := files(t, out)
	p := func(i int) string { return filepath.Join(out, filepath.FromSlash(tree.Files[i].Path)) }
	if err := os.WriteFile(p(3), []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p(5), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p(len(tree.Files) - 1)); err != nil {
		t.Fatal(err)
	}
	last := p(len(tree.Files) - 2)
	if err := os.Remove(last); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(p(3), last); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := tree.WriteDir(out); err != nil {
			t.Fatal(err)
		}
		if got := files(t, out); !reflect.DeepEqual(got, want) {
			t.Errorf("write %d: the edited files were not restored", i+1)
		}
	}
}
