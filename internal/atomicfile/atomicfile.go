// Package atomicfile writes files that no reader sees half-written: the bytes go to a
// temporary file beside the target, which is then renamed over it.
package atomicfile

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// TempPrefix starts the name of the temporary file Write makes, followed by the
// target's name: a crash can leave one behind, and those who own the folder may clean
// them up by it.
const TempPrefix = ".tmp-"

// Write puts data at p with mode perm, creating p's folder if need be. Until it
// returns, p holds what it held before; if it fails, it still does, and no temporary
// file is left.
func Write(p string, data []byte, perm fs.FileMode) error {
	return WriteWith(p, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteWith is Write of what write writes, for a file too large to be put together in
// memory first.
func WriteWith(p string, perm fs.FileMode, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), TempPrefix+filepath.Base(p)+"-")
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && perm != 0o600 { // CreateTemp's mode
		err = os.Chmod(f.Name(), perm)
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
