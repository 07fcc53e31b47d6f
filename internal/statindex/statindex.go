// Package statindex tells, as git's index does, that a file still holds the bytes it
// held when it was last read, from what lstat says of it: size, mode, device, inode,
// modification and change times. Writing a file changes its change time, which nobody
// can set back, so a file whose stat is as recorded holds the recorded bytes, unless it
// was changed within the same tick of the file system's clock as it was read: a stat
// is trusted only when it is older than the index by more than a tick.
package statindex

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"time"
)

// Stat is what lstat says of a file that tells it apart from the same file changed.
type Stat struct {
	Size      int64
	Mode      fs.FileMode
	Dev, Ino  uint64
	Mtime     int64 // modification time, in nanoseconds since 1970
	Ctime     int64 // change time, in nanoseconds since 1970
	supported bool
}

// Lstat returns the stat of the file at p without following a symlink; false when
// there is none, or when this system's stat cannot tell files apart.
func Lstat(p string) (Stat, bool) {
	info, err := os.Lstat(p)
	if err != nil {
		return Stat{}, false
	}
	return FromInfo(info)
}

// FromInfo returns the stat info describes (from os.Lstat or File.Stat); false when
// this system's stat cannot tell files apart.
func FromInfo(info fs.FileInfo) (Stat, bool) {
	st, ok := fromSys(info.Sys())
	if !ok {
		return Stat{}, false
	}
	st.Size, st.Mode, st.supported = info.Size(), info.Mode(), true
	return st, true
}

// tick is how much older than its index a stat must be to stand for the file's bytes:
// more than any file system's clock tick.
const tick = time.Second

// Sum is the SHA-256 of a file's bytes.
type Sum = [sha256.Size]byte

// Entry is what an index records of one file.
type Entry struct {
	Stat Stat
	Sum  Sum
}

// Index records the stat and SHA-256 of files, by path, as they were at its stamp.
type Index struct {
	stamp int64
	files map[string]Entry
}

// New returns an empty index stamped now: the files added must have been stat'ed
// after now, and before the file was read.
func New(now time.Time) *Index {
	return &Index{stamp: now.UnixNano(), files: map[string]Entry{}}
}

// Add records that the file at path, of stat st, held bytes of sum sum.
func (x *Index) Add(path string, st Stat, sum Sum) {
	if st.supported {
		x.files[path] = Entry{st, sum}
	}
}

// Len returns how many files the index records.
func (x *Index) Len() int { return len(x.files) }

// Entry returns what x records of path.
func (x *Index) Entry(path string) (Entry, bool) {
	e, ok := x.files[path]
	return e, ok
}

// Lookup returns the sum of the bytes of the file at path when its stat st stands for
// them: it is the recorded one, and was older than the index by more than a tick. A
// nil index knows nothing.
func (x *Index) Lookup(path string, st Stat) (Sum, bool) {
	if x == nil || !st.supported {
		return Sum{}, false
	}
	e, ok := x.files[path]
	limit := x.stamp - int64(tick)
	if !ok || e.Stat != st || st.Mtime >= limit || st.Ctime >= limit {
		return Sum{}, false
	}
	return e.Sum, true
}

const magic = "mlc stat index 1\n"

// MarshalBinary encodes the index, with a checksum.
func (x *Index) MarshalBinary() ([]byte, error) {
	b := []byte(magic)
	b = binary.AppendVarint(b, x.stamp)
	b = binary.AppendUvarint(b, uint64(len(x.files)))
	for p, e := range x.files {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
		b = binary.AppendVarint(b, e.Stat.Size)
		b = binary.AppendUvarint(b, uint64(e.Stat.Mode))
		b = binary.AppendUvarint(b, e.Stat.Dev)
		b = binary.AppendUvarint(b, e.Stat.Ino)
		b = binary.AppendVarint(b, e.Stat.Mtime)
		b = binary.AppendVarint(b, e.Stat.Ctime)
		b = append(b, e.Sum[:]...)
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

var errCorrupt = errors.New("statindex: not an index, or a damaged one")

// UnmarshalBinary decodes what MarshalBinary encoded; an index damaged in any way is
// an error, never a wrong entry.
func (x *Index) UnmarshalBinary(data []byte) error {
	if len(data) < len(magic)+sha256.Size || string(data[:len(magic)]) != magic {
		return errCorrupt
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if sha256.Sum256(body) != Sum(sum) {
		return errCorrupt
	}
	r := reader{b: body[len(magic):]}
	x.stamp = r.varint()
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return errCorrupt
	}
	x.files = make(map[string]Entry, n)
	for range n {
		p := string(r.bytes(int(r.uvarint())))
		var e Entry
		e.Stat.Size = r.varint()
		e.Stat.Mode = fs.FileMode(r.uvarint())
		e.Stat.Dev, e.Stat.Ino = r.uvarint(), r.uvarint()
		e.Stat.Mtime, e.Stat.Ctime = r.varint(), r.varint()
		e.Stat.supported = true
		copy(e.Sum[:], r.bytes(sha256.Size))
		x.files[p] = e
	}
	if r.bad || len(r.b) != 0 {
		return errCorrupt
	}
	return nil
}

// reader reads what MarshalBinary wrote; past the end, or on a bad number, it is bad.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.bad, r.b = true, nil
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}
