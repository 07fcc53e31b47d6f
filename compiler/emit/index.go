package emit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

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

// indexEntry is what is recorded of a file: its stat and the sum of its bytes, when
// known.
type indexEntry struct {
	known bool
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
	// b holds the index file's bytes, which never change: the paths are strings over
	// them, and the sums are read from them. They may be the file mapped into memory,
	// unmapped once the index is unreachable: nothing may keep a slice of them, or a
	// path, without keeping the index.
	b []byte
	// paths and files are the files in the order of the tree written.
	paths []string
	files []indexFile
	// byPath finds the files by path, for a tree of another order; built when first
	// needed, by byPathOnce.
	byPath     map[string]int
	byPathOnce sync.Once
	modTime    time.Time // of the index file
}

// indexFile is what an index records of a file.
type indexFile struct {
	stat fileStat
	// sumAt is where in the index's bytes the SHA-256 of the file's bytes is; 0 when
	// neither it nor the stat is known.
	sumAt uint32
}

// known tells whether the j-th file's stat and sum are recorded.
func (x *index) known(j int) bool { return x.files[j].sumAt != 0 }

// sum returns the recorded SHA-256 of the j-th file's bytes, which must be known.
func (x *index) sum(j int) []byte {
	at := x.files[j].sumAt
	return x.b[at : at+sha256.Size]
}

// entry returns what the index records of the j-th file.
func (x *index) entry(j int) indexEntry {
	if !x.known(j) {
		return indexEntry{}
	}
	return indexEntry{known: true, stat: x.files[j].stat, sum: [sha256.Size]byte(x.sum(j))}
}

// trusts tells whether st is safely older than the index.
func (x *index) trusts(st fileStat) bool {
	return st.Settled(x.stamp)
}

// checkable tells whether the j-th file's recorded stat is worth comparing with the
// file's: it is known and trusted, so that a file whose Lstat gives that stat holds the
// bytes of the recorded sum.
func (x *index) checkable(j int) bool {
	return x.known(j) && x.trusts(x.files[j].stat)
}

// lists tells whether the index lists exactly the files, in their order.
func (x *index) lists(files []File) bool {
	if x == nil || len(x.paths) != len(files) {
		return false
	}
	for i, f := range files {
		if x.paths[i] != f.Path {
			return false
		}
	}
	return true
}

// fileOf returns which file of the index the tree's i-th file, at rel (slash-separated),
// is; -1 when the index does not list it. When inOrder, the index lists the tree's
// files in their order (lists).
func (x *index) fileOf(i int, rel string, inOrder bool) int {
	if inOrder {
		return i
	}
	if i < len(x.paths) && x.paths[i] == rel {
		return i
	}
	x.byPathOnce.Do(func() {
		x.byPath = make(map[string]int, len(x.paths))
		for j, p := range x.paths {
			x.byPath[p] = j
		}
	})
	if j, ok := x.byPath[rel]; ok {
		return j
	}
	return -1
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
	b, unmap, mapped := mapFile(f, int(info.Size()))
	if !mapped {
		b = make([]byte, info.Size())
		if _, err := io.ReadFull(f, b); err != nil {
			return nil
		}
	}
	x := decodeIndex(b, dir)
	if x == nil {
		if mapped {
			unmap()
		}
		return nil
	}
	if mapped {
		// Nothing keeps a slice of the bytes, or a path, without the index.
		runtime.AddCleanup(x, func(unmap func()) { unmap() }, unmap)
	}
	x.modTime = info.ModTime()
	return x
}

// decodeIndex decodes an index of dir; nil when b is not one. The index keeps b, which
// must not be changed after.
func decodeIndex(b []byte, dir string) *index {
	if len(b) < len(indexMagic)+sha256.Size || uint64(len(b)) > math.MaxUint32 || string(b[:len(indexMagic)]) != indexMagic {
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
	x := &index{b: b, stamp: d.varint()}
	x.manifest, x.manifestKnown = d.optionalStat()
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)/2) { // an entry takes two bytes at least
		return nil
	}
	// The paths are strings over b, not copies: b is not changed after, and a copy of
	// each, or of all, is a good part of the time a warm render takes to write its tree.
	all := unsafe.String(unsafe.SliceData(b), len(b))
	x.paths = make([]string, n)
	x.files = make([]indexFile, n)
	for j := range x.files {
		p := d.bytes()
		if d.bad {
			return nil
		}
		at := len(body) - len(d.b) - len(p)
		x.paths[j] = all[at : at+len(p)]
		e := &x.files[j]
		var known bool
		if e.stat, known = d.optionalStat(); known {
			if len(d.b) < sha256.Size {
				return nil
			}
			e.sumAt = uint32(len(body) - len(d.b))
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
// when known and, for each file, what entry returns of it.
func encodeIndex(dir string, stamp int64, manifest fileStat, manifestKnown bool, files []File, entry func(i int) indexEntry) []byte {
	// The exact size: an index is large, and memory first touched costs.
	size := len(indexMagic) + uvarintSize(uint64(len(dir))) + len(dir) + varintSize(stamp) +
		optionalStatSize(manifest, manifestKnown) + uvarintSize(uint64(len(files))) + sha256.Size
	for i, f := range files {
		e := entry(i)
		size += uvarintSize(uint64(len(f.Path))) + len(f.Path) + optionalStatSize(e.stat, e.known)
		if e.known {
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
		e := entry(i)
		b = appendIndexString(b, f.Path)
		b = appendOptionalStat(b, e.stat, e.known)
		if e.known {
			b = append(b, e.sum[:]...)
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

func uvarintSize(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

func varintSize(v int64) int { return uvarintSize(uint64(v<<1) ^ uint64(v>>63)) }

// optionalStatSize is how many bytes appendOptionalStat appends.
func optionalStatSize(st fileStat, known bool) int {
	if !known {
		return 1
	}
	return 1 + uvarintSize(st.Size) + uvarintSize(st.Mode) + uvarintSize(st.Dev) + uvarintSize(st.Ino) +
		varintSize(st.Mtime) + varintSize(st.Ctime)
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
