// Package load finds a platform repository on disk and evaluates it with CUE: the platform
// files on their own, and every tenant directory as its own instance together with the
// platform files above it, concurrently, unified with the schemas embedded in mlc. Where
// nothing in the platform files depends on a tenant, a tenant's files are evaluated in
// the scope of the platform evaluated once per cue.Context (see scope.go), which gives
// the same values for less work.
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

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/internal/parallel"
)

// TenantsDir is the directory that holds one directory per tenant.
const TenantsDir = "tenants"

// Repository is a platform repository on disk.
type Repository struct {
	// Root is the absolute path of the directory holding cue.mod.
	Root string
	// PlatformFiles are the .cue files shared by every tenant, those at the root,
	// relative to Root with forward slashes, sorted.
	PlatformFiles []string
	// Tenants are the tenant directories, sorted by name.
	Tenants []TenantDir
}

// TenantNames returns the names of the tenants, sorted.
func (r *Repository) TenantNames() []string {
	names := make([]string, len(r.Tenants))
	for i, t := range r.Tenants {
		names[i] = t.Name
	}
	return names
}

// Files returns every file of the repository: the platform files, then each tenant's
// .cue files and data files.
func (r *Repository) Files() []string {
	files := slices.Clone(r.PlatformFiles)
	for _, t := range r.Tenants {
		files = append(files, t.Files...)
		files = append(files, t.Data...)
	}
	return files
}

// TenantDir is one tenant's directory.
type TenantDir struct {
	// Name is the directory's name, which is the tenant's name.
	Name string
	// Dir is the directory relative to the repository root, with forward slashes.
	Dir string
	// Files are the directory's own .cue files, relative to the root, sorted.
	Files []string
	// Data are the files a tenant's declarations may name (a SOPS-encrypted Secret
	// manifest): the YAML and JSON files in its folder and the folders inside it, at
	// any depth, relative to the root, sorted. Each is part of the tenant's cache key.
	Data []string
}

// ErrNotRepository is returned, wrapped, when a path holds no platform repository.
var ErrNotRepository = errors.New("not a platform repository")

// Find reads the layout of the repository at dir. Problems with the repository itself
// (no cue.mod, nothing declared) are returned as a diag.List; a dir that cannot be read
// is returned as an ordinary error.
func Find(dir string) (*Repository, error) {
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
	repo := &Repository{Root: root}
	entries, err := readDir(root, ".")
	if err != nil {
		return nil, err
	}
	repo.PlatformFiles = cueFiles(".", entries)
	var layout diag.List
	dirs, err := tenantDirs(root, &layout)
	if err != nil {
		return nil, err
	}
	// The tenant folders are listed by several goroutines: a large repository has
	// thousands, and listing one is mostly waiting on system calls.
	tenants := make([]TenantDir, len(dirs))
	errs := make([]error, len(dirs))
	// deeper are the .cue files in folders inside each tenant's: never read, so errors.
	deeper := make([][]string, len(dirs))
	// strays are the entries of each tenant folder mlc would silently skip.
	strays := make([]diag.List, len(dirs))
	parallel.For(len(dirs), 2*runtime.GOMAXPROCS(0), func(i int) {
		rel := TenantsDir + "/" + dirs[i]
		tenants[i] = TenantDir{Name: dirs[i], Dir: rel}
		var entries []os.DirEntry
		entries, errs[i] = readDir(root, rel)
		tenants[i].Files = cueFiles(rel, entries)
		deeper[i], tenants[i].Data = nestedCUEFiles(root, rel, entries)
		strays[i] = strayEntries(root, rel, entries)
	})
	// The tenants are those with files, kept in place.
	repo.Tenants = tenants[:0]
	for i := range tenants {
		if errs[i] != nil {
			return nil, errs[i]
		}
		t := tenants[i]
		layout = append(layout, strays[i]...)
		for _, f := range deeper[i] {
			layout.Errorf(diag.Position{File: f}, "",
				"mlc reads only the .cue files directly in a tenant's folder (%s/), not in folders inside it; a tenant is a folder directly in %s/: move the file",
				t.Dir, TenantsDir)
		}
		if len(t.Files) == 0 {
			if len(deeper[i]) == 0 {
				layout.Errorf(diag.Position{File: t.Dir}, "",
					"holds no .cue files: each folder in %s/ is a tenant, declared in %s/tenant.cue; remove the folder or declare the tenant",
					TenantsDir, t.Dir)
			}
			continue
		}
		repo.Tenants = append(repo.Tenants, t)
	}
	repo.Tenants = slices.Clip(repo.Tenants)
	l := layout
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

// tenantDirs lists tenants/ and returns the names of the tenant folders in it, sorted.
// Anything else there is added to l: a file (a .cue file there is not a platform
// file, which only the root holds), a symlink or anything else that is not a folder of
// the repository. Names starting with a dot are skipped, as git's and editors' are.
func tenantDirs(root string, l *diag.List) ([]string, error) {
	info, err := os.Lstat(filepath.Join(root, TenantsDir))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case !info.IsDir():
		l.Errorf(diag.Position{File: TenantsDir}, "",
			"%s is %s, not a folder: %s/ must be a folder of the repository, holding one folder per tenant", TenantsDir, describeType(info.Mode()), TenantsDir)
		return nil, nil
	}
	entries, err := readDir(root, TenantsDir)
	if err != nil {
		return nil, err
	}
	dirs := make([]string, 0, len(entries))
	for _, e := range entries {
		name, rel := e.Name(), TenantsDir+"/"+e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case e.IsDir():
			dirs = append(dirs, name)
		case e.Type()&fs.ModeSymlink != 0:
			l.Errorf(diag.Position{File: rel}, "",
				"is a symlink: a tenant's folder must be a folder of the repository, not a link to one")
		case strings.HasSuffix(name, ".cue"):
			l.Errorf(diag.Position{File: rel}, "",
				"a .cue file in %s/ is neither a tenant's nor the platform's: platform settings go in files at the top of the repository, a tenant's in %s/<tenant>/",
				TenantsDir, TenantsDir)
		default:
			l.Errorf(diag.Position{File: rel}, "",
				"%s/ holds only tenant folders, one per tenant; this is %s: move it elsewhere", TenantsDir, describeType(e.Type()))
		}
	}
	return dirs, nil
}

// nestedCUEFiles returns the .cue files in the folders inside the tenant folder rel
// (whose entries are given), at any depth, and the data files (see IsDataFile) in it
// and in them. Folders whose names start with a dot or an underscore are skipped, as
// CUE's loader does; so are symbolic links, which a declaration may not name.
func nestedCUEFiles(root, rel string, entries []os.DirEntry) (files, data []string) {
	for _, e := range entries {
		if e.Type().IsRegular() && !ignored(e.Name()) && IsDataFile(e.Name()) {
			data = append(data, rel+"/"+e.Name())
		}
		if !e.IsDir() || ignored(e.Name()) {
			continue
		}
		top := filepath.Join(root, filepath.FromSlash(rel), e.Name())
		_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return nil // what cannot be listed cannot be read either
			case d.IsDir() && p != top && ignored(d.Name()):
				return fs.SkipDir
			case !d.IsDir() && !ignored(d.Name()) && strings.HasSuffix(d.Name(), ".cue"):
				if r, err := filepath.Rel(root, p); err == nil {
					files = append(files, filepath.ToSlash(r))
				}
			case d.Type().IsRegular() && !ignored(d.Name()) && IsDataFile(d.Name()):
				if r, err := filepath.Rel(root, p); err == nil {
					data = append(data, filepath.ToSlash(r))
				}
			}
			return nil
		})
	}
	slices.Sort(data)
	return files, data
}

// IsDataFile reports whether a file of a tenant's folder is one its declarations may
// name, by its name: YAML or JSON.
func IsDataFile(name string) bool {
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// strayEntries returns, as errors, the entries of the tenant folder rel (whose entries
// are given) that CUE's loader would skip although they look like the tenant's: files
// and folders whose names start with an underscore, .cue files whose extension is not
// in lower case, and symlinks to folders. A name starting with a dot is git's or an
// editor's, and left alone.
func strayEntries(root, rel string, entries []os.DirEntry) diag.List {
	var l diag.List
	for _, e := range entries {
		name, path := e.Name(), rel+"/"+e.Name()
		isCUE := strings.HasSuffix(strings.ToLower(name), ".cue")
		switch {
		case strings.HasPrefix(name, "."):
		case strings.HasPrefix(name, "_") && (e.IsDir() || isCUE):
			l.Errorf(diag.Position{File: path}, "", "CUE skips names starting with an underscore, so mlc would not read this; rename it, or move it out of %s/", TenantsDir)
		case isCUE && !strings.HasSuffix(name, ".cue"):
			l.Errorf(diag.Position{File: path}, "", "CUE reads only files ending in .cue, in lower case; rename it")
		case e.Type()&fs.ModeSymlink != 0:
			if info, err := os.Stat(filepath.Join(root, filepath.FromSlash(path))); err == nil && info.IsDir() {
				l.Errorf(diag.Position{File: path}, "", "is a symlink to a folder: mlc reads no folder inside a tenant's, nor follows links to one")
			}
		}
	}
	return l
}

// describeType names the kind of file of a mode, for messages.
func describeType(m fs.FileMode) string {
	switch t := m.Type(); {
	case t == 0:
		return "a file"
	case t&fs.ModeDir != 0:
		return "a folder"
	case t&fs.ModeSymlink != 0:
		return "a symlink"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
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
