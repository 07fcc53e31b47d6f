package load

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// TestFileIndex: an indexed evaluator sums every file; given the index of an earlier
// one, it reads only the platform files and the tenant files whose stat changed, reads
// the others when their tenant is evaluated, and refuses one that changed meanwhile.
func TestFileIndex(t *testing.T) {
	if !filestat.Supported {
		t.Skip("no stat to vouch for files here")
	}
	dir := writeRepo(t, map[string]string{
		"platform.cue":          apartPlatform,
		"tenants/a/tenant.cue":  "package ml\n\ntenant: owner: \"a@example.com\"\n",
		"tenants/a/nb.cue":      "package ml\n\nnotebooks: x: image: \"jupyter-scipy\"\n",
		"tenants/b/tenant.cue":  "package ml\n\ntenant: owner: \"b@example.com\"\n",
		"tenants/c/tenant.cue":  "package ml\n\ntenant: owner: \"c@example.com\"\n",
		"tenants/c/other.cue":   "package ml\n\nnotebooks: y: image: \"jupyter-scipy\"\n",
		"defaults.cue":          "package ml\n",
		"tenants/b/serving.cue": "package ml\n",
	})
	repo, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	first, err := NewIndexedEvaluator(repo, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := first.Index()
	if len(x.Files) != 8 || x.Root != repo.Root {
		t.Fatalf("index of %d files of %s", len(x.Files), x.Root)
	}
	for _, f := range x.Files {
		b, err := os.ReadFile(filepath.Join(dir, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		if f.Sum != sha256.Sum256(b) {
			t.Errorf("%s: wrong sum", f.Path)
		}
	}
	b, err := x.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back FileIndex
	if err := back.UnmarshalBinary(b); err != nil || back.Root != x.Root || back.Stamp != x.Stamp || len(back.Files) != len(x.Files) {
		t.Fatalf("round trip: %v", err)
	}
	for _, f := range x.Files {
		if got, _ := back.File(f.Path); got != f {
			t.Errorf("%s read back as %+v, want %+v", f.Path, got, f)
		}
	}
	for i := 0; i < len(b); i += 5 {
		bad := append([]byte(nil), b...)
		bad[i] ^= 1
		if (&FileIndex{}).UnmarshalBinary(bad) == nil || (&FileIndex{}).UnmarshalBinary(b[:i]) == nil {
			t.Fatalf("a damaged index (byte %d) was read", i)
		}
	}

	// As if the index had been written well after the files.
	x.Stamp = time.Now().Add(time.Minute).UnixNano()
	appendTo(t, filepath.Join(dir, "tenants/c/other.cue"), "// changed\n")
	before := fileReads.Load()
	second, err := NewIndexedEvaluator(repo, x)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil { // the tenants' files are read in the background
		t.Fatal(err)
	}
	// The platform files (2) and the changed one.
	if n := fileReads.Load() - before; n != 3 {
		t.Errorf("%d files read, want 3", n)
	}
	if sum, _ := second.Sum("tenants/c/other.cue"); sum == indexed(x, "tenants/c/other.cue").Sum {
		t.Errorf("the changed file has its old sum")
	}
	if sum, _ := second.Sum("tenants/a/nb.cue"); sum != indexed(x, "tenants/a/nb.cue").Sum {
		t.Errorf("an unchanged file has another sum")
	}

	// b changes after it was vouched for: evaluating it says so.
	appendTo(t, filepath.Join(dir, "tenants/b/tenant.cue"), "// changed\n")
	var mu sync.Mutex
	diags := map[string]string{}
	err = second.Tenants(context.Background(), Options{}, func(inst *Instance) {
		mu.Lock()
		defer mu.Unlock()
		diags[inst.Tenant.Name] = inst.Diagnostics.Error()
	})
	if err != nil {
		t.Fatal(err)
	}
	if diags["a"] != "" || diags["c"] != "" {
		t.Errorf("unchanged tenants: %q, %q", diags["a"], diags["c"])
	}
	if !strings.Contains(diags["b"], "tenants/b/tenant.cue changed while mlc was reading the repository") {
		t.Errorf("b changed while read: %q", diags["b"])
	}
	// The 5 files vouched for, read when their tenant was evaluated.
	if n := fileReads.Load() - before; n != 3+5 {
		t.Errorf("%d files read in all, want 8", n)
	}
	y := second.Index()
	if indexed(y, "tenants/c/other.cue").Sum == indexed(x, "tenants/c/other.cue").Sum {
		t.Errorf("the new index keeps the old sum of a changed file")
	}
	// Nor does it vouch for b's new bytes: its stat is the one taken before b changed.
	if cur, _ := filestat.Lstat(filepath.Join(dir, "tenants/b/tenant.cue")); indexed(y, "tenants/b/tenant.cue").Stat == cur {
		t.Errorf("the new index vouches for bytes it did not sum")
	}
}

// indexed returns the entry of the file at path of x, which must have one.
func indexed(x *FileIndex, path string) IndexedFile {
	f, ok := x.File(path)
	if !ok {
		panic(path + " is not in the index")
	}
	return f
}

func appendTo(t *testing.T, p, text string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestRefusedTenantFile: a tenant file mlc does not read (here a symlink to nothing) is
// reported at the file when the tenant is evaluated, not as an error of the evaluator:
// the platform and the other tenants are evaluated all the same.
func TestRefusedTenantFile(t *testing.T) {
	dir := writeRepo(t, map[string]string{
		"platform.cue":         apartPlatform,
		"tenants/a/tenant.cue": "package ml\n\ntenant: owner: \"a@example.com\"\n",
		"tenants/b/tenant.cue": "package ml\n\ntenant: owner: \"b@example.com\"\n",
	})
	if err := os.Symlink("missing.cue", filepath.Join(dir, "tenants/a/broken.cue")); err != nil {
		t.Skip(err)
	}
	repo, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, indexed := range []bool{false, true} {
		ev, err := newEvaluator(repo, indexed, nil)
		if err != nil {
			t.Fatal(err)
		}
		ev.Platform(func(inst *Instance) {
			if inst.Diagnostics.HasErrors() {
				t.Errorf("platform: %v", inst.Diagnostics)
			}
		})
		if err := ev.Wait(); err != nil {
			t.Errorf("indexed %v: Wait gave %v", indexed, err)
		}
		var mu sync.Mutex
		got := map[string]string{}
		err = ev.Tenants(context.Background(), Options{}, func(inst *Instance) {
			mu.Lock()
			defer mu.Unlock()
			got[inst.Tenant.Name] = inst.Diagnostics.Error()
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := "tenants/a/broken.cue: is a symlink that cannot be followed"; !strings.HasPrefix(got["a"], want) {
			t.Errorf("indexed %v: tenant a: %q, want %q", indexed, got["a"], want)
		}
		if got["b"] != "" {
			t.Errorf("indexed %v: tenant b: %s", indexed, got["b"])
		}
	}
}

// TestDirectoryIndex: FindIndexed lists again only the tenant directories whose stat
// changed since the index was taken, and finds the files added and removed there; an
// index taken too shortly after a directory changed vouches for nothing.
func TestDirectoryIndex(t *testing.T) {
	if !filestat.Supported {
		t.Skip("no stat to vouch for directories here")
	}
	dir := writeRepo(t, map[string]string{
		"platform.cue":         apartPlatform,
		"tenants/a/tenant.cue": "package ml\n\ntenant: owner: \"a@example.com\"\n",
		"tenants/b/tenant.cue": "package ml\n\ntenant: owner: \"b@example.com\"\n",
		"tenants/c/tenant.cue": "package ml\n\ntenant: owner: \"c@example.com\"\n",
		"tenants/c/other.cue":  "package ml\n",
	})
	indexOf := func(prior *FileIndex) (*Repository, *FileIndex, int64) {
		t.Helper()
		before := dirReads.Load()
		repo, err := FindIndexed(dir, prior)
		if err != nil {
			t.Fatal(err)
		}
		listed := dirReads.Load() - before
		ev, err := NewIndexedEvaluator(repo, prior)
		if err != nil {
			t.Fatal(err)
		}
		return repo, ev.Index(), listed
	}
	// The root, tenants/ and the three tenants.
	plain, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	repo, x, listed := indexOf(nil)
	if c, _ := x.Dir("tenants/c"); listed != 5 || len(x.Dirs) != 3 || !slices.Equal(c.Files, []string{"tenants/c/other.cue", "tenants/c/tenant.cue"}) {
		t.Fatalf("%d directories listed; index of directories %+v", listed, x.Dirs)
	}
	if !reflect.DeepEqual(repo.Tenants, plain.Tenants) {
		t.Errorf("FindIndexed found %+v, Find %+v", repo.Tenants, plain.Tenants)
	}
	b, err := x.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back FileIndex
	if err := back.UnmarshalBinary(b); err != nil || !reflect.DeepEqual(back.Dirs, x.Dirs) {
		t.Fatalf("round trip: %v %+v", err, back.Dirs)
	}

	// Unsettled: everything is listed again.
	if _, _, listed := indexOf(x); listed != 5 {
		t.Errorf("%d directories listed with an unsettled index, want 5", listed)
	}
	// Settled: only the root and tenants/, then the directories that changed.
	x.Stamp = time.Now().Add(time.Minute).UnixNano()
	if again, _, listed := indexOf(x); listed != 2 || !reflect.DeepEqual(again.Tenants, plain.Tenants) {
		t.Errorf("%d directories listed with a settled index, want 2; found %+v", listed, again.Tenants)
	}
	if err := os.WriteFile(filepath.Join(dir, "tenants/a/new.cue"), []byte("package ml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "tenants/c/other.cue")); err != nil {
		t.Fatal(err)
	}
	changed, _, listed := indexOf(x)
	if listed != 4 {
		t.Errorf("%d directories listed after two changed, want 4", listed)
	}
	want, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(changed.Tenants, want.Tenants) || !slices.Contains(changed.Tenants[0].Files, "tenants/a/new.cue") || len(changed.Tenants[2].Files) != 1 {
		t.Errorf("after changes found %+v, want %+v", changed.Tenants, want.Tenants)
	}
}

// TestFileLookup: each file of the repository is found, whatever the order it is looked
// up in; a path the repository does not list is not.
func TestFileLookup(t *testing.T) {
	dir := writeRepo(t, map[string]string{
		"platform.cue":           apartPlatform,
		"defaults.cue":           "package ml\n",
		"tenants/a/tenant.cue":   "package ml\n\ntenant: owner: \"a@example.com\"\n",
		"tenants/a/nb.cue":       "package ml\n",
		"tenants/a-b/tenant.cue": "package ml\n\ntenant: owner: \"ab@example.com\"\n",
		"tenants/b/tenant.cue":   "package ml\n\ntenant: owner: \"b@example.com\"\n",
	})
	repo, err := Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := readIndexed(repo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.entries) != 6 {
		t.Fatalf("%d files", len(e.entries))
	}
	var order []int
	for i := range e.entries {
		order = append(order, i)
	}
	reversed := slices.Clone(order)
	slices.Reverse(reversed)
	for _, order := range [][]int{order, reversed, {3, 0, 5, 5, 1, 4, 2, 3}} {
		for _, i := range order {
			name := e.entries[i].Path
			if got, ok := e.file(name); !ok || got != i {
				t.Errorf("%s: %d, %v; want %d", name, got, ok, i)
			}
			want, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := e.source(name); err != nil || string(got) != string(want) {
				t.Errorf("%s: %q, %v", name, got, err)
			}
		}
	}
	for _, name := range []string{"tenants/a", "tenants/c/tenant.cue", "cue.mod/module.cue", "tenants/a/tenant.cue/x", ""} {
		if i, ok := e.file(name); ok {
			t.Errorf("%q found as %d", name, i)
		}
	}
}
