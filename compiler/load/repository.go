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

	// Kept by FindIndexed for the next FileIndex: when it began (stamp), and the stat of
	// each tenant directory, taken before it was listed, by its path.
	stamp    int64
	dirStats map[string]filestat.Stat
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
	if repo.PlatformFiles, err = cueFiles(root, "."); err != nil {
		return nil, err
	}
	shared, err := cueFiles(root, TenantsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	repo.PlatformFiles = append(repo.PlatformFiles, shared...)

	entries, err := os.ReadDir(filepath.Join(root, TenantsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !ignored(e.Name()) {
			dirs = append(dirs, e.Name())
		}
	}
	// The tenant folders are listed by several goroutines: a large repository has
	// thousands, and listing one is mostly waiting on system calls.
	tenants := make([]TenantDir, len(dirs))
	errs := make([]error, len(dirs))
	stats := make([]filestat.Stat, len(dirs))
	statKnown := make([]bool, len(dirs))
	parallel(0, len(dirs), 2*runtime.GOMAXPROCS(0), func(i int) {
		rel := TenantsDir + "/" + dirs[i]
		tenants[i] = TenantDir{Name: dirs[i], Dir: rel}
		if indexed && filestat.Supported {
			stats[i], statKnown[i] = filestat.Lstat(filepath.Join(root, TenantsDir, dirs[i]))
		}
		if statKnown[i] && prior != nil {
			if old, ok := prior.dir(rel, i); ok && old.Stat == stats[i] && old.Stat.Settled(prior.Stamp) {
				tenants[i].Files = old.Files
				return
			}
		}
		tenants[i].Files, errs[i] = cueFiles(root, rel)
	}).Wait()
	if indexed {
		repo.dirStats = make(map[string]filestat.Stat, len(dirs))
	}
	for i, t := range tenants {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if statKnown[i] && stats[i].IsDir() {
			repo.dirStats[t.Dir] = stats[i]
		}
		if len(t.Files) > 0 {
			repo.Tenants = append(repo.Tenants, t)
		}
	}
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

// cueFiles lists the .cue files directly in rel, as the CUE loader would take them.
func cueFiles(root, rel string) ([]string, error) {
	dirReads.Add(1)
	entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || ignored(name) || !strings.HasSuffix(name, ".cue") {
			continue
		}
		files = append(files, filepath.ToSlash(filepath.Join(rel, name)))
	}
	slices.Sort(files)
	return files, nil
}

// ignored reports whether CUE's loader skips a file or directory of this name.
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}
