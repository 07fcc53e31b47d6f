// Package load finds a platform repository on disk and evaluates it with CUE: the platform
// files on their own, and every tenant directory as its own instance together with the
// platform files above it, concurrently, unified with the schemas embedded in mlc. Where
// nothing in the platform files depends on a tenant, a tenant's files are evaluated
// apart, in the scope of the platform evaluated once per cue.Context (see apart.go),
// which gives the same values for less work.
package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/internal/filestat"
)

// TenantsDir is the directory that holds one directory per tenant.
const TenantsDir = "tenants"

// Repository is a platform repository on disk.
type Repository struct {
	// Root is the absolute path of the directory holding cue.mod.
	Root string
	// PlatformFiles are the .cue files shared by every tenant: those at the root and those
	// directly in tenants/, relative to Root with forward slashes, sorted.
	PlatformFiles []string
	// Tenants are the tenant directories, sorted by name.
	Tenants []TenantDir

	// Kept by FindIndexed for the next FileIndex: when it began (stamp), and the
	// entries of the tenant directories it stat'ed, each before it was listed.
	stamp int64
	dirs  []IndexedDir
}

// TenantDir is one tenant's directory.
type TenantDir struct {
	// Name is the directory's name, which is the tenant's name.
	Name string
	// Dir is the directory relative to the repository root, with forward slashes.
	Dir string
	// Files are the directory's own .cue files, relative to the root, sorted.
	Files []string
}

// ErrNotRepository is returned, wrapped, when a path holds no platform repository.
var ErrNotRepository = errors.New("not a platform repository")

// Find reads the layout of the repository at dir. Problems with the repository itself
// (no cue.mod, nothing declared) are returned as a diag.List; a dir that cannot be read
// is returned as an ordinary error.
func Find(dir string) (*Repository, error) { return find(dir, false, nil) }

// FindIndexed is Find for a compilation that keeps a FileIndex (NewIndexedEvaluator):
// each tenant directory is stat'ed before it is listed, for the next index; and one
// whose stat is as prior (of the same root) recorded it is not listed again: files are
// added to, removed from or renamed in a directory only by changing it, as its change
// time tells. prior may be nil.
func FindIndexed(dir string, prior *FileIndex) (*Repository, error) {
	return find(dir, true, prior)
}

func find(dir string, indexed bool, prior *FileIndex) (*Repository, error) {
	stamp := time.Now().UnixNano() // before any stat is taken
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(root, "cue.mod", "module.cue")); err != nil {
		var l diag.List
		l.Errorf(diag.Position{File: "cue.mod/module.cue"}, "",
			"%s: no cue.mod/module.cue here: %s is not a platform repository (create one with `mlc init`)", dir, dir)
		return nil, fmt.Errorf("%w: %w", ErrNotRepository, l)
	}
	repo := &Repository{Root: root, stamp: stamp}
	if prior != nil && prior.Root != root {
		prior = nil
	}
	entries, err := readDir(root, ".")
	if err != nil {
		return nil, err
	}
	repo.PlatformFiles = cueFiles(".", entries)
	// tenants/ is listed once, for its platform files and for the tenant directories.
	entries, err = readDir(root, TenantsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	repo.PlatformFiles = append(repo.PlatformFiles, cueFiles(TenantsDir, entries)...)
	dirs := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() && !ignored(e.Name()) {
			dirs = append(dirs, e.Name())
		}
	}
	// Each tenant directory is stat'ed by its path from the root, opened once (fstatat):
	// the kernel resolves the root's path once, and no path is made.
	var rootDir filestat.Dir
	if indexed && filestat.Supported {
		rootDir, _ = filestat.OpenDir(root)
		defer rootDir.Close()
	}
	// The tenant folders are listed by several goroutines: a large repository has
	// thousands, and listing one is mostly waiting on system calls.
	tenants := make([]TenantDir, len(dirs))
	errs := make([]error, len(dirs))
	// With indexed, each directory's entry for the next index; its stat zero when none
	// was taken.
	var listed []IndexedDir
	if indexed {
		listed = make([]IndexedDir, len(dirs))
	}
	parallel(0, len(dirs), 2*runtime.GOMAXPROCS(0), func(i int) {
		rel := TenantsDir + "/" + dirs[i]
		tenants[i] = TenantDir{Name: dirs[i], Dir: rel}
		if indexed {
			if st, ok := rootDir.Lstat(rel); ok {
				listed[i].Stat = st
				if old, ok := prior.dir(rel, i); ok && old.Stat == st && old.Stat.Settled(prior.Stamp) {
					tenants[i].Files = old.Files
					return
				}
			}
		}
		var entries []os.DirEntry
		entries, errs[i] = readDir(root, rel)
		tenants[i].Files = cueFiles(rel, entries)
	}).Wait()
	// The tenants are those with files, and the directories' entries those of the
	// tenants stat'ed: both kept in place.
	repo.Tenants, repo.dirs = tenants[:0], listed[:0]
	for i := range tenants {
		if errs[i] != nil {
			return nil, errs[i]
		}
		t := tenants[i]
		if len(t.Files) == 0 {
			continue
		}
		if indexed && listed[i].Stat.IsDir() {
			repo.dirs = append(repo.dirs, IndexedDir{Path: t.Dir, Stat: listed[i].Stat, Files: t.Files})
		}
		repo.Tenants = append(repo.Tenants, t)
	}
	repo.Tenants, repo.dirs = slices.Clip(repo.Tenants), slices.Clip(repo.dirs)
	var l diag.List
	if len(repo.PlatformFiles) == 0 {
		l.Errorf(diag.Position{File: "platform.cue"}, "",
			"no platform files: declare the clusters in platform.cue at the top of the repository (see `mlc init`)")
	}
	if len(repo.Tenants) == 0 {
		l.Errorf(diag.Position{File: TenantsDir}, "",
			"no tenants: declare each tenant in tenants/<name>/tenant.cue (see `mlc init`)")
	}
	if l.HasErrors() {
		return nil, fmt.Errorf("%w: %w", ErrNotRepository, l)
	}
	return repo, nil
}

// dirReads counts the directories listed, for tests.
var dirReads atomic.Int64

// readDir lists the directory rel of the repository at root.
func readDir(root, rel string) ([]os.DirEntry, error) {
	dirReads.Add(1)
	return os.ReadDir(filepath.Join(root, filepath.FromSlash(rel)))
}

// cueFiles returns the .cue files of the entries of directory rel, as the CUE loader
// would take them, by their paths relative to the root, sorted (as the entries are).
func cueFiles(rel string, entries []os.DirEntry) []string {
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || ignored(name) || !strings.HasSuffix(name, ".cue") {
			continue
		}
		if rel != "." {
			name = rel + "/" + name
		}
		files = append(files, name)
	}
	return files
}

// ignored reports whether CUE's loader skips a file or directory of this name.
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}
