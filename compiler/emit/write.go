package emit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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

// WriteDir writes the tree to dir so that nothing is ever half-written: the new tree is
// built in a temporary directory beside dir and renamed into place. Files in dir that mlc
// did not write (those not listed in its ManifestFile) are carried over unchanged; a
// tree file that would overwrite one of them is an error and nothing is written.
func (t *Tree) WriteDir(dir string) (err error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	ours, err := readManifest(dir)
	if err != nil {
		return err
	}
	theirs, err := foreignFiles(dir, ours)
	if err != nil {
		return err
	}
	for _, f := range t.Files {
		if slices.Contains(theirs, filepath.FromSlash(f.Path)) {
			return fmt.Errorf("%s: mlc did not write this file and will not overwrite it; move it, or render to another directory", filepath.Join(dir, filepath.FromSlash(f.Path)))
		}
	}

	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".mlc-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	var listed []string
	for _, f := range t.Files {
		if err := writeFile(filepath.Join(tmp, filepath.FromSlash(f.Path)), f.Data); err != nil {
			return err
		}
		listed = append(listed, f.Path)
	}
	for _, rel := range theirs {
		if err := copyFile(filepath.Join(dir, rel), filepath.Join(tmp, rel)); err != nil {
			return err
		}
	}
	slices.Sort(listed)
	if err := writeFile(filepath.Join(tmp, ManifestFile), []byte(strings.Join(listed, "\n")+"\n")); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	return swap(tmp, dir)
}

// swap puts the directory tmp in the place of dir.
func swap(tmp, dir string) error {
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return fmt.Errorf("%w (and restoring %s failed: %v)", err, dir, rerr)
		}
		return err
	}
	return os.RemoveAll(old)
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
			ours[filepath.FromSlash(line)] = true
		}
	}
	return ours, s.Err()
}

// foreignFiles lists the files in dir that mlc did not write, relative to dir.
func foreignFiles(dir string, ours map[string]bool) ([]string, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%s exists and is not a directory", dir)
	}
	var theirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			return filepath.SkipAll
		}
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel != ManifestFile && !ours[rel] {
			theirs = append(theirs, rel)
		}
		return nil
	})
	return theirs, err
}

func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

func copyFile(from, to string) error {
	st, err := os.Lstat(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		return os.Symlink(target, to)
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, st.Mode().Perm())
}
