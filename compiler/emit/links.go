package emit

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
)

// folderCheck looks at the folders of paths in an output directory, each once, and
// refuses one that is a symlink. Inside the directory mlc follows no link to a folder:
// one could lead out of it, and mlc would write, remove or copy files there. The
// directory itself may be a link (the caller's path is resolved first): that one the
// user chose.
type folderCheck struct {
	dir    string
	exists map[string]bool // by folder, slash-separated: a folder is there
}

func newFolderCheck(dir string) *folderCheck {
	return &folderCheck{dir: dir, exists: map[string]bool{".": true}}
}

// folder tells whether the folder rel (slash-separated) is there, or returns an error
// naming the first folder on the way to it, from the top, that is a symlink.
func (c *folderCheck) folder(rel string) (bool, error) {
	if exists, seen := c.exists[rel]; seen {
		return exists, nil
	}
	parent, err := c.folder(path.Dir(rel))
	if err != nil || !parent {
		c.exists[rel] = false
		return false, err
	}
	p := filepath.Join(c.dir, filepath.FromSlash(rel))
	st, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return false, err
	case st.Mode()&fs.ModeSymlink != 0:
		return false, linkError(p)
	}
	exists := err == nil && st.IsDir() // a file there is no folder, and holds none
	c.exists[rel] = exists
	return exists, nil
}

// folders checks the folders of paths (slash-separated) not looked at yet, in order:
// with several links, the error names the same one each time.
func (c *folderCheck) folders(paths func(yield func(string) bool)) error {
	pending := map[string]bool{}
	for p := range paths {
		if d := path.Dir(p); !c.seen(d) {
			pending[d] = true
		}
	}
	for _, d := range slices.Sorted(maps.Keys(pending)) {
		if _, err := c.folder(d); err != nil {
			return err
		}
	}
	return nil
}

func (c *folderCheck) seen(rel string) bool {
	_, ok := c.exists[rel]
	return ok
}

// linkError is the refusal of a symlink at p, where mlc needs a folder of its own.
func linkError(p string) error {
	return fmt.Errorf("%s is a symlink: mlc does not write through links; remove it", p)
}
