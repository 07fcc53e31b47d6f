package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ReadData reads a data file of the tenant (see TenantDir.Data), by its path relative
// to the tenant's folder, as its declarations write it. Whatever is not one of them is
// refused, with the reason: a path that is absolute or leads out of the folder, a
// symbolic link, a file that is neither YAML nor JSON, one that does not exist. So a
// tenant reads its own files only, and every file it reads is part of its cache key.
func (inst *Instance) ReadData(rel string) ([]byte, error) {
	t := inst.Tenant
	if t == nil {
		return nil, errors.New("the platform has no data files")
	}
	clean := path.Clean(rel)
	switch {
	case path.IsAbs(rel) || filepath.IsAbs(rel) || strings.Contains(rel, `\`):
		return nil, fmt.Errorf("%s: an absolute path; write the path relative to the tenant's folder, %s/", rel, t.Dir)
	case slices.Contains(strings.Split(rel, "/"), ".."):
		return nil, fmt.Errorf("%s leads out of the tenant's folder with \"..\": a tenant reads only the files in %s/", rel, t.Dir)
	case !IsDataFile(clean):
		return nil, fmt.Errorf("%s: not a YAML or JSON file (.yaml, .yml, .json)", rel)
	}
	full := t.Dir + "/" + clean
	if !slices.Contains(t.Data, full) {
		st, err := os.Lstat(filepath.Join(inst.root, filepath.FromSlash(full)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s: no such file in %s/", rel, t.Dir)
		case err == nil && st.Mode()&fs.ModeSymlink != 0:
			return nil, fmt.Errorf("%s is a symbolic link: a tenant's files must be its folder's own", full)
		case err == nil && !st.Mode().IsRegular():
			return nil, fmt.Errorf("%s: not a regular file", full)
		}
		return nil, fmt.Errorf("%s: not one of the tenant's files (those in %s/, outside folders whose names start with '.' or '_', and not through a symbolic link)", rel, t.Dir)
	}
	return inst.read(full)
}
