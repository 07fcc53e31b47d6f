package emit

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"time"

	"github.com/mlc-gitops/mlc/internal/atomicfile"
	"github.com/mlc-gitops/mlc/internal/statindex"
)

// The tree index records, as git's index does, the lstat and SHA-256 of each file
// WriteDir found holding the tree's bytes (package statindex), by its path in the
// output directory, the ManifestFile's too. The next WriteDir into the directory takes
// a file whose lstat is the recorded one, and whose new bytes hash to the recorded sum,
// as unchanged without reading it. It lives outside the output directory (WithIndex):
// a cache, ignored when missing, damaged or of another directory.

// indexMagic starts an index file; one of another version is ignored.
const indexMagic = "mlc tree index 3\n"

// indexHead is what an index of the output directory dir starts with.
func indexHead(dir string) []byte { return []byte(indexMagic + strconv.Quote(dir) + "\n") }

// readIndex returns the index of dir in the file at p, and when the file was last
// modified; nil when there is none.
func readIndex(p, dir string) (*statindex.Index, time.Time) {
	info, err := os.Stat(p)
	if err != nil || !info.Mode().IsRegular() {
		return nil, time.Time{}
	}
	b, err := os.ReadFile(p)
	head := indexHead(dir)
	if err != nil || !bytes.HasPrefix(b, head) {
		return nil, time.Time{}
	}
	x := new(statindex.Index)
	if x.UnmarshalBinary(b[len(head):]) != nil {
		return nil, time.Time{}
	}
	return x, info.ModTime()
}

// writeIndex writes x, the index of dir, to p, replacing the file whole.
func writeIndex(p, dir string, x *statindex.Index) error {
	b, err := x.MarshalBinary()
	if err != nil {
		return err
	}
	return atomicfile.WriteWith(p, 0o600, func(w io.Writer) error {
		if _, err := w.Write(indexHead(dir)); err != nil {
			return err
		}
		_, err := w.Write(b)
		return err
	})
}

// removeIndex removes the index file p, if there is one.
func removeIndex(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
