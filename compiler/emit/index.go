package emit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/mlc-gitops/mlc/compiler/cache"
	"github.com/mlc-gitops/mlc/internal/filestat"
	"github.com/mlc-gitops/mlc/internal/wire"
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
// reads it. Its sum is recorded all the same: what the file should hold, which the next
// WriteDir compares the file's bytes with when the tree's own are not at hand.
//
// The index also records which tenant folders were compiled under which key
// (compiler.Tenant.Key): a tenant compiled under the same key again has the same files,
// which the next render lays out from the index without reading the tenant's objects
// (Prestat.Holds, BuildOver). The ManifestFile's stat is recorded the same way; when it still holds, and
// the index lists the tree's files in order, the ManifestFile is not read either: it
// lists what the index does.
//
// Layout (integers as varints): indexMagic, the output directory, the stamp, the
// ManifestFile's stat (a known flag, then the stat), the number of files, then per file
// in the tree's order its path and what is known of it (0 nothing, 1 its stat and sum,
// 2 its sum), the stat when known and the 32 bytes of the sum when known; then the
// number of keyed folders, and per folder the place of its first file, its number of
// files and its key (32 bytes); last, the SHA-256 of everything before. A stat is size, mode, device,
// inode, modification time and change time (nanoseconds). A file that is not exactly
// that, or describes another directory, is ignored.

// indexMagic starts an index file; an index of another version is ignored.
const indexMagic = "mlc tree index 2\n"

// now is the clock that stamps an index; tests move it.
var now = time.Now

// fileStat is what the index records of a file besides the sum of its bytes.
type fileStat = filestat.Stat

// indexEntry is what is recorded of a file: its stat and the sum of its bytes, when
// known (known), or the sum alone (summed).
type indexEntry struct {
	known, summed bool
	stat          fileStat
	sum           [sha256.Size]byte
}

// Key identifies what a folder of the tree was compiled from (compiler.Tenant.Key).
type Key = cache.Key

// keyedFolder is a folder whose files were compiled under a key: files [start, end)
// of the tree or index, the first its kustomization.
type keyedFolder struct {
	start, end int
	key        Key
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
	// unmapped once the index is unreachable unless kept (keep): nothing may keep a
	// slice of them, or a path, without keeping the index, or keeping them.
	b    []byte
	kept *atomic.Bool // set by keep; nil when b is not mapped
	// paths and files are the files in the order of the tree written.
	paths []string
	files []indexFile
	// byPath finds the files by path, for a tree of another order; built when first
	// needed, by byPathOnce.
	byPath     map[string]int
	byPathOnce sync.Once
	// folders are the keyed folders; byKey finds them by key, built when first needed.
	folders   []keyedFolder
	byKey     map[Key][]int
	byKeyOnce sync.Once
	modTime   time.Time // of the index file
}

// indexFile is where an index's bytes record a file's stat and the SHA-256 of its
// bytes, 0 for what is not recorded: decoded when wanted, the record of a tree of
// 25,000 files is a fifth of a megabyte, not one and a half.
type indexFile struct {
	statAt, sumAt uint32
}

// keep keeps the index's bytes for as long as the process runs, so that its paths may
// be handed out as they are: the tree laid out from an index (BuildOver) takes its
// paths, tens of thousands, which would cost a copy each run otherwise. A mapped index
// is a few megabytes of the page cache; mlc replaces an index file by renaming a new
// one over it, never in place, so the mapping holds the old bytes.
func (x *index) keep() {
	if x.kept != nil {
		x.kept.Store(true)
	}
}

// known tells whether the j-th file's stat and sum are recorded.
func (x *index) known(j int) bool { return x.files[j].statAt != 0 }

// stat returns the recorded stat of the j-th file, which must be known.
func (x *index) stat(j int) fileStat {
	d := wire.Reader{B: x.b[x.files[j].statAt:]}
	return d.Stat()
}

// summed tells whether the j-th file's sum is recorded.
func (x *index) summed(j int) bool { return x.files[j].sumAt != 0 }

// sum returns the recorded SHA-256 of the j-th file's bytes, which must be summed.
func (x *index) sum(j int) []byte {
	at := x.files[j].sumAt
	return x.b[at : at+sha256.Size]
}

// entry returns what the index records of the j-th file.
func (x *index) entry(j int) indexEntry {
	if !x.summed(j) {
		return indexEntry{}
	}
	e := indexEntry{known: x.known(j), summed: true, sum: [sha256.Size]byte(x.sum(j))}
	if e.known {
		e.stat = x.stat(j)
	}
	return e
}

// foldersOf returns the folders recorded with key k, by their place in x.folders.
func (x *index) foldersOf(k Key) []int {
	if x == nil {
		return nil
	}
	x.byKeyOnce.Do(func() {
		x.byKey = make(map[Key][]int, len(x.folders))
		for i, f := range x.folders {
			x.byKey[f.key] = append(x.byKey[f.key], i)
		}
	})
	return x.byKey[k]
}

// trusts tells whether st is safely older than the index.
func (x *index) trusts(st fileStat) bool {
	return st.Settled(x.stamp)
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
		x.kept = new(atomic.Bool)
		runtime.AddCleanup(x, func(kept *atomic.Bool) {
			if !kept.Load() {
				unmap()
			}
		}, x.kept)
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
	d := &wire.Reader{B: body[len(indexMagic):]}
	if string(d.Bytes()) != dir {
		return nil
	}
	x := &index{b: b, stamp: d.Varint()}
	x.manifest, x.manifestKnown = optionalStat(d)
	n := d.Uvarint()
	if d.Bad || n > uint64(len(d.B)/2) { // an entry takes two bytes at least
		return nil
	}
	// The paths are strings over b, not copies: b is not changed after, and a copy of
	// each, or of all, is a good part of the time a warm render takes to write its tree.
	all := unsafe.String(unsafe.SliceData(b), len(b))
	x.paths = make([]string, n)
	x.files = make([]indexFile, n)
	for j := range x.files {
		p := d.Bytes()
		if d.Bad {
			return nil
		}
		at := len(body) - len(d.B) - len(p)
		x.paths[j] = all[at : at+len(p)]
		e := &x.files[j]
		summed := false
		switch d.Uvarint() {
		case 0:
		case 1:
			e.statAt, summed = uint32(len(body)-len(d.B)), true
			d.Stat()
		case 2:
			summed = true
		default:
			return nil
		}
		if summed {
			if len(d.B) < sha256.Size {
				return nil
			}
			e.sumAt = uint32(len(body) - len(d.B))
			d.B = d.B[sha256.Size:]
		}
	}
	folders := d.Uvarint()
	if d.Bad || folders > uint64(len(d.B)/(2+sha256.Size)) {
		return nil
	}
	x.folders = make([]keyedFolder, folders)
	for i := range x.folders {
		f := &x.folders[i]
		start, n := d.Uvarint(), d.Uvarint()
		if d.Bad || len(d.B) < sha256.Size || start+n > uint64(len(x.files)) || n == 0 {
			return nil
		}
		f.start, f.end = int(start), int(start+n)
		f.key = Key(d.B[:sha256.Size])
		d.B = d.B[sha256.Size:]
		for j := f.start; j < f.end; j++ {
			if !x.summed(j) {
				return nil
			}
		}
	}
	if d.Bad || len(d.B) != 0 {
		return nil
	}
	return x
}

// optionalStat reads a known flag and, when set, a stat.
func optionalStat(d *wire.Reader) (fileStat, bool) {
	switch d.Uvarint() {
	case 0:
		return fileStat{}, false
	case 1:
		return d.Stat(), !d.Bad
	}
	d.Bad = true
	return fileStat{}, false
}

// writeIndex writes the index of dir stamped at stamp, with the ManifestFile's stat
// when known, for each file what entry returns of it, and the keyed folders of the keys
// whose folders' files are all summed. It is written as it is put together, through a
// small buffer: an index is megabytes, and memory first touched costs more than a few
// more writes.
func writeIndex(w io.Writer, dir string, stamp int64, manifest fileStat, manifestKnown bool, files []File, entry func(i int) indexEntry, folders []keyedFolder) error {
	const flushAt = 60 << 10
	b := make([]byte, 0, 64<<10)
	h := sha256.New()
	var err error
	flush := func() {
		h.Write(b)
		if err == nil {
			_, err = w.Write(b)
		}
		b = b[:0]
	}
	b = append(b, indexMagic...)
	b = wire.AppendBytes(b, dir)
	b = binary.AppendVarint(b, stamp)
	b = appendOptionalStat(b, manifest, manifestKnown)
	b = binary.AppendUvarint(b, uint64(len(files)))
	summed := make([]bool, len(files))
	for i, f := range files {
		e := entry(i)
		summed[i] = e.summed
		if len(b)+len(f.Path)+128 > cap(b) {
			flush()
		}
		b = wire.AppendBytes(b, f.Path)
		switch {
		case e.known:
			b = appendOptionalStat(b, e.stat, true)
		case e.summed:
			b = append(b, 2)
		default:
			b = append(b, 0)
		}
		if e.summed {
			b = append(b, e.sum[:]...)
		}
		if len(b) > flushAt {
			flush()
		}
	}
	// A key's folders are kept all or none: the index holds every folder a tenant
	// compiled to under a key, or none (see tenantFolders).
	incomplete := map[Key]bool{}
	for _, f := range folders {
		if f.end <= f.start || slices.Contains(summed[f.start:f.end], false) {
			incomplete[f.key] = true
		}
	}
	var kept []keyedFolder
	for _, f := range folders {
		if !incomplete[f.key] {
			kept = append(kept, f)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(kept)))
	for _, f := range kept {
		b = binary.AppendUvarint(b, uint64(f.start))
		b = binary.AppendUvarint(b, uint64(f.end-f.start))
		b = append(b, f.key[:]...)
		if len(b) > flushAt {
			flush()
		}
	}
	flush()
	if err == nil {
		_, err = w.Write(h.Sum(nil))
	}
	return err
}

func appendOptionalStat(b []byte, st fileStat, known bool) []byte {
	if !known {
		return append(b, 0)
	}
	return wire.AppendStat(append(b, 1), st)
}

// removeIndex removes the index file p, if there is one.
func removeIndex(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
