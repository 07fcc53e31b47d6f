package emit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ManifestFile, in an output directory, lists the files mlc wrote there, so the next
// render replaces exactly those and leaves every other file alone.
const ManifestFile = ".mlc-files"

// WriteStream writes the clusters' objects as one YAML stream. With more than one
// cluster, each cluster's part starts with a comment naming it.
func (t *Tree) WriteStream(w io.Writer) error {
	for i, c := range t.names {
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if len(t.names) > 1 {
			if _, err := fmt.Fprintf(w, "# cluster: %s\n", c); err != nil {
				return err
			}
		}
		if _, err := w.Write(t.Stream(c)); err != nil {
			return err
		}
	}
	return nil
}

// WriteDir writes the tree into dir, one cluster folder at a time, so that no folder is
// ever half-written: each cluster's new folder is built beside it and renamed into its
// place. Only the cluster folders and the ManifestFile are touched. Inside them, files and
// folders mlc did not write (those its ManifestFile does not list) are carried over as
// they are; a tree file that would overwrite one of them is an error, and then nothing is
// written at all. Files of clusters mlc wrote before and no longer renders are removed.
func (t *Tree) WriteDir(dir string) error {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ours, err := readManifest(dir)
	if err != nil {
		return err
	}
	units := map[string][]File{}
	for _, f := range t.Files {
		top, _, _ := strings.Cut(f.Path, "/")
		units[top] = append(units[top], f)
	}
	// Check everything before writing anything.
	for _, f := range t.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if _, err := os.Lstat(p); err == nil && !ours[f.Path] {
			return fmt.Errorf("%s: mlc did not write this file and will not overwrite it; move it, or render to another directory", p)
		}
	}

	for _, top := range slices.Sorted(maps.Keys(units)) {
		if err := writeUnit(dir, top, units[top], ours); err != nil {
			return err
		}
	}
	// Files of clusters no longer rendered.
	for rel := range ours {
		top, _, _ := strings.Cut(rel, "/")
		if _, kept := units[top]; kept {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removeEmptyParents(dir, filepath.Dir(p))
	}
	var listed []string
	for _, f := range t.Files {
		listed = append(listed, f.Path)
	}
	slices.Sort(listed)
	return writeAtomically(filepath.Join(dir, ManifestFile), []byte(strings.Join(listed, "\n")+"\n"))
}

// writeUnit replaces dir/top with the files, keeping what mlc did not write there.
func writeUnit(dir, top string, files []File, ours map[string]bool) (err error) {
	target := filepath.Join(dir, top)
	tmp, err := os.MkdirTemp(dir, "."+top+".mlc-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := carryOver(target, tmp, top, ours); err != nil {
		return err
	}
	for _, f := range files {
		rel := strings.TrimPrefix(f.Path, top+"/")
		if err := writeFile(filepath.Join(tmp, filepath.FromSlash(rel)), f.Data); err != nil {
			return err
		}
	}
	mode := fs.FileMode(0o755)
	if st, err := os.Stat(target); err == nil {
		mode = st.Mode().Perm()
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return swap(tmp, target)
}

// carryOver copies into tmp every file, folder and symlink under target that mlc did not
// write, with its mode.
func carryOver(target, tmp, top string, ours map[string]bool) error {
	err := filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == target {
			return filepath.SkipAll
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(target, p)
		if err != nil || rel == "." {
			return err
		}
		to := filepath.Join(tmp, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(to, info.Mode().Perm())
		case ours[path.Join(top, filepath.ToSlash(rel))]:
			return nil
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, info.Mode().Perm())
		}
	})
	return err
}

// swap puts the directory tmp in the place of target.
func swap(tmp, target string) error {
	old := tmp + ".old"
	if err := os.Rename(target, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		if rerr := os.Rename(old, target); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return fmt.Errorf("%w (and restoring %s failed: %v)", err, target, rerr)
		}
		return err
	}
	return os.RemoveAll(old)
}

func removeEmptyParents(root, dir string) {
	for dir != root && strings.HasPrefix(dir, root) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

func readManifest(dir string) (map[string]bool, error) {
	ours := map[string]bool{}
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return ours, nil
	}
	if err != nil {
		return nil, err
	}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" {
			ours[line] = true
		}
	}
	return ours, s.Err()
}

func writeAtomically(p string, data []byte) error {
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}
