package emit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// symlink makes link point to target, or skips the test where links cannot be made.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
}

// linkFolder moves the folder rel of dir out, to a new folder beside dir, and puts a
// relative symlink to it in its place; it returns where the folder went.
func linkFolder(t *testing.T, dir, rel string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	outside := filepath.Join(filepath.Dir(dir), "outside")
	if err := os.Rename(p, outside); err != nil {
		t.Fatal(err)
	}
	target, err := filepath.Rel(filepath.Dir(p), outside)
	if err != nil {
		t.Fatal(err)
	}
	symlink(t, target, p)
	return outside
}

// refused requires err to name the symlink at rel in dir, and dir and outside to be
// as they were (before, beforeOutside).
func refused(t *testing.T, err error, dir, rel, outside, before, beforeOutside string) {
	t.Helper()
	// dir, or dir with its links resolved: the tail names the link.
	want := filepath.Join(filepath.Base(dir), filepath.FromSlash(rel)) + " is a symlink"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("returned %v, want an error saying %q", err, want)
	}
	if got := dirState(t, dir); got != before {
		t.Errorf("the output directory changed:\n%s\nwant\n%s", got, before)
	}
	if got := dirState(t, outside); got != beforeOutside {
		t.Errorf("the link's target changed:\n%s\nwant\n%s", got, beforeOutside)
	}
}

// TestWriteDirRefusesFolderLinks: a symlink at a folder mlc writes in, removes from or
// copies from (a cluster's, a tenant's, one deeper, one of a cluster no longer
// rendered) is refused before anything changes, whether the link leads to an empty
// folder or to the very files mlc wrote (which an index cannot tell from the folder),
// with or without an index: neither the output directory nor the link's target changes.
func TestWriteDirRefusesFolderLinks(t *testing.T) {
	for _, rel := range []string{"a", "b", "a/tenants", "a/tenants/t1", "b/sub", "c/sub"} {
		for _, empty := range []bool{true, false} {
			for _, indexed := range []bool{false, true} {
				old, new := swapTrees()
				dir := oldOutput(t, old)
				var opts []WriteOption
				if indexed {
					opts = append(opts, WithIndex(filepath.Join(t.TempDir(), "index")))
					if err := old.WriteDir(dir, opts...); err != nil {
						t.Fatal(err)
					}
				}
				outside := linkFolder(t, dir, rel)
				if empty {
					if err := os.RemoveAll(outside); err != nil {
						t.Fatal(err)
					}
					if err := os.Mkdir(outside, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				before, beforeOutside := dirState(t, dir), dirState(t, outside)
				for _, tree := range []*Tree{old, new} {
					t.Logf("%s, empty %v, indexed %v, new tree %v", rel, empty, indexed, tree == new)
					refused(t, tree.WriteDir(dir, opts...), dir, rel, outside, before, beforeOutside)
				}
			}
		}
	}
}

// TestWriteDirRefusesTheRedTeamLink: the link of the report, a tenant folder leading
// two levels above the output directory, with a file of the tenant's name there.
func TestWriteDirRefusesTheRedTeamLink(t *testing.T) {
	old, _ := swapTrees()
	dir := oldOutput(t, old)
	ext := filepath.Join(filepath.Dir(dir), "ext")
	if err := os.Mkdir(ext, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ext, "x.yaml"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "a", "tenants", "t1")); err != nil {
		t.Fatal(err)
	}
	symlink(t, filepath.Join("..", "..", "..", "ext"), filepath.Join(dir, "a", "tenants", "t1"))
	before, beforeExt := dirState(t, dir), dirState(t, ext)
	for range 2 {
		refused(t, old.WriteDir(dir), dir, "a/tenants/t1", ext, before, beforeExt)
	}
}

// TestWriteDirCarriesOverForeignFolderLinks: a link the user keeps in a cluster
// folder, where the tree has no file, is carried over as a link, not followed.
func TestWriteDirCarriesOverForeignFolderLinks(t *testing.T) {
	old, new := swapTrees()
	dir := oldOutput(t, old)
	outside := filepath.Join(filepath.Dir(dir), "outside")
	if err := os.MkdirAll(filepath.Join(outside, "t1"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, outside, filepath.Join(dir, "a", "mine"))
	beforeOutside := dirState(t, outside)
	if err := new.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if got, err := os.Readlink(filepath.Join(dir, "a", "mine")); err != nil || got != outside {
		t.Errorf("the user's link is %q, %v; want it kept", got, err)
	}
	if got := dirState(t, outside); got != beforeOutside {
		t.Errorf("the link's target changed:\n%s", got)
	}
}

// TestRecoverRefusesLinks: a swap folder that is a symlink, or a journal whose step
// leads through a folder now a symlink, is refused, and nothing moves.
func TestRecoverRefusesLinks(t *testing.T) {
	old, _ := swapTrees()
	dir := oldOutput(t, old)
	outside := filepath.Join(filepath.Dir(dir), "outside")
	if err := os.MkdirAll(filepath.Join(outside, "new-0"), 0o755); err != nil {
		t.Fatal(err)
	}
	journal := journalMagic + "\nreplace \"a/tenants/t1\"\nend\n"
	if err := os.WriteFile(filepath.Join(outside, journalFile), []byte(journal), 0o644); err != nil {
		t.Fatal(err)
	}
	symlink(t, outside, filepath.Join(dir, SwapFolder))
	before, beforeOutside := dirState(t, dir), dirState(t, outside)
	refused(t, Recover(dir), dir, SwapFolder, outside, before, beforeOutside)
	refused(t, old.WriteDir(dir), dir, SwapFolder, outside, before, beforeOutside)

	// A journal of mlc's, committed before the link was made.
	dir = oldOutput(t, old)
	if err := os.MkdirAll(filepath.Join(dir, SwapFolder, "new-0"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, SwapFolder, journalFile), []byte(journal), 0o644); err != nil {
		t.Fatal(err)
	}
	outside = linkFolder(t, dir, "a/tenants")
	before, beforeOutside = dirState(t, dir), dirState(t, outside)
	refused(t, Recover(dir), dir, "a/tenants", outside, before, beforeOutside)
}
