package emit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// The stat index lets WriteDir tell that a file it wrote before is unchanged without
// reading it, as git's index does: it records, for each file, its size, mode, device,
// inode, modification and change times, and the SHA-256 of its bytes. A file whose
// Lstat gives exactly the recorded values, and whose new bytes hash to the recorded sum,
// holds those bytes: any write to it, or a rename or link of another file in its place,
// changes its change time (which no program can set). Every other file is read.
//
// A file's stat is recorded only when mlc read the file's bytes and found them equal
// after taking its stat, or when the old index vouched for it. A file mlc just wrote is
// not: its stat was taken after the write and vouches for nothing, so the next WriteDir
// reads it. The ManifestFile's stat is recorded the same way; when it still holds, and
// the index lists the tree's files in order, the ManifestFile is not read either: it
// lists what the index does.
//
// Layout (integers as varints): indexMagic, the output directory, the stamp, the
// ManifestFile's stat (a known flag, then the stat), the number of files, then per file
// in the tree's order its path and known flag, and when known its stat and the 32 bytes
// of its sum; last, the SHA-256 of everything before. A stat is size, mode, device,
// inode, modification time and change time (nanoseconds). A file that is not exactly
// that, or describes another directory, is ignored.

// indexMagic starts an index file; an index of another version is ignored.
const indexMagic = "mlc tree index 1\n"

// now is the clock that stamps an index; tests move it.
var now = time.Now

// fileStat is what the index records of a file besides the sum of its bytes.
type fileStat = filestat.Stat

// indexEntry is one file of an index.
type indexEntry struct {
	known bool // stat and sum are recorded
	stat  fileStat
	sum   [sha256.Size]byte
}

// index is an output directory's stat index, as read back.
type index struct {
	// stamp is when the WriteDir that wrote the index began to look at the files, in
	// nanoseconds since 1970.
	stamp         int64
	manifest      fileStat
	manifestKnown bool
	// paths and entries are the files in the order of the tree written; the paths are
	// slices of the index file's bytes.
	paths   [][]byte
	entries []indexEntry
	modTime time.Time // of the index file

	byPathOnce sync.Once
	byPath     map[string]int // entries by path, for a tree of another order
}

// trusts tells whether st is safely older than the index.
func (x *index) trusts(st fileStat) bool {
	return st.Settled(x.stamp)
}

// vouches returns the recorded stat of the file rel (slash-separated), the tree's i-th,
// when its entry holds sum and is trusted: a file whose Lstat gives that stat holds the
// bytes of that sum.
func (x *index) vouches(i int, rel string, sum *[sha256.Size]byte) (fileStat, bool) {
	if x == nil {
		return fileStat{}, false
	}
	if i >= len(x.paths) || string(x.paths[i]) != rel {
		x.byPathOnce.Do(func() {
			x.byPath = make(map[string]int, len(x.paths))
			for j, p := range x.paths {
				x.byPath[string(p)] = j
			}
		})
		var ok bool
		if i, ok = x.byPath[rel]; !ok {
			return fileStat{}, false
		}
	}
	e := &x.entries[i]
	if !e.known || e.sum != *sum || !x.trusts(e.stat) {
		return fileStat{}, false
	}
	return e.stat, true
}

// lists tells whether the index lists exactly the files, in their order.
func (x *index) lists(files []File) bool {
	if x == nil || len(x.paths) != len(files) {
		return false
	}
	for i, f := range files {
		if string(x.paths[i]) != f.Path {
			return false
		}
	}
	return true
}

// readIndex returns the index in the file at p when it is an index of dir, else nil.
func readIndex(p, dir string) *index {
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() || info.Size() > 1<<30 {
		return nil
	}
	b := make([]byte, info.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil
	}
	x := decodeIndex(b, dir)
	if x != nil {
		x.modTime = info.ModTime()
	}
	return x
}

// decodeIndex decodes an index of dir; nil when b is not one.
func decodeIndex(b []byte, dir string) *index {
	if len(b) < len(indexMagic)+sha256.Size || string(b[:len(indexMagic)]) != indexMagic {
		return nil
	}
	body := b[:len(b)-sha256.Size]
	if sha256.Sum256(body) != [sha256.Size]byte(b[len(body):]) {
		return nil
	}
	d := indexDecoder{b: body[len(indexMagic):]}
	if string(d.bytes()) != dir {
		return nil
	}
	x := &index{stamp: d.varint()}
	x.manifest, x.manifestKnown = d.optionalStat()
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)/2) { // an entry takes two bytes at least
		return nil
	}
	x.paths = make([][]byte, n)
	x.entries = make([]indexEntry, n)
	for i := range x.entries {
		e := &x.entries[i]
		x.paths[i] = d.bytes()
		if e.stat, e.known = d.optionalStat(); e.known {
			if len(d.b) < sha256.Size {
				return nil
			}
			e.sum = [sha256.Size]byte(d.b)
			d.b = d.b[sha256.Size:]
		}
	}
	if d.bad || len(d.b) != 0 {
		return nil
	}
	return x
}

// indexDecoder reads an index's fields; bad records that one was not there.
type indexDecoder struct {
	b   []byte
	bad bool
}

func (d *indexDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *indexDecoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *indexDecoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad = true
		d.b = nil
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

// optionalStat reads a known flag and, when set, a stat.
func (d *indexDecoder) optionalStat() (fileStat, bool) {
	switch d.uvarint() {
	case 0:
		return fileStat{}, false
	case 1:
		return fileStat{Size: d.uvarint(), Mode: d.uvarint(), Dev: d.uvarint(), Ino: d.uvarint(), Mtime: d.varint(), Ctime: d.varint()}, !d.bad
	}
	d.bad = true
	return fileStat{}, false
}

// encodeIndex returns the index of dir stamped at stamp, with the ManifestFile's stat
// when known and an entry for each file.
func encodeIndex(dir string, stamp int64, manifest fileStat, manifestKnown bool, files []File, entries []indexEntry) []byte {
	size := len(indexMagic) + len(dir) + 12*binary.MaxVarintLen64 + sha256.Size
	for i, f := range files {
		size += len(f.Path) + 8*binary.MaxVarintLen64
		if entries[i].known {
			size += sha256.Size
		}
	}
	b := make([]byte, 0, size)
	b = append(b, indexMagic...)
	b = appendIndexString(b, dir)
	b = binary.AppendVarint(b, stamp)
	b = appendOptionalStat(b, manifest, manifestKnown)
	b = binary.AppendUvarint(b, uint64(len(files)))
	for i, f := range files {
		e := &entries[i]
		b = appendIndexString(b, f.Path)
		b = appendOptionalStat(b, e.stat, e.known)
		if e.known {
			b = append(b, e.sum[:]...)
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

func appendIndexString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendOptionalStat(b []byte, st fileStat, known bool) []byte {
	if !known {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendUvarint(b, st.Size)
	b = binary.AppendUvarint(b, st.Mode)
	b = binary.AppendUvarint(b, st.Dev)
	b = binary.AppendUvarint(b, st.Ino)
	b = binary.AppendVarint(b, st.Mtime)
	return binary.AppendVarint(b, st.Ctime)
}

// removeIndex removes the index file p, if there is one.
func removeIndex(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
