package load

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/internal/filestat"
	"github.com/mlc-gitops/mlc/internal/wire"
)

// Sum is the SHA-256 of a file's bytes.
type Sum = [sha256.Size]byte

// FileIndex remembers what a repository's files held, by their stat (package filestat),
// so that a file unchanged since need not be read until it is evaluated: a render that
// evaluates one tenant of a thousand reads that tenant's files and the platform files,
// and only stats the others. Everything else the compiler needs of an unread file is
// its Sum, for the cache's keys.
//
// Its entries are kept in slices, sorted as the repository lists its files (by
// directory, the root first and a directory before those in it, then by name), and
// looked up by File and Dir: a warm render loads and saves an index of thousands of
// files, where maps would be built only to be looked up once a file.
type FileIndex struct {
	// Root is the repository's root directory.
	Root string
	// Stamp is when the stats were taken, in nanoseconds since 1970; a stat is trusted
	// only when it is settled at Stamp (filestat.Stat.Settled).
	Stamp int64
	// Files are the files, sorted by Path as above (File needs them so).
	Files []IndexedFile
	// Dirs are the tenant directories, sorted by Path as above (Dir needs them so).
	Dirs []IndexedDir
}

// IndexedDir is one directory of a FileIndex: its stat, taken before it was listed, and
// the .cue files listed. Only a tenant folder with no folder inside it is indexed (since
// format 4): a file added deeper would leave its stat as it was.
type IndexedDir struct {
	// Path is relative to the repository's root, with forward slashes.
	Path string
	Stat filestat.Stat
	// Files are the paths of the .cue files listed, as TenantDir.Files: relative to the
	// root, with forward slashes, sorted.
	Files []string
}

// IndexedFile is one file of a FileIndex: its stat, taken before it was read, and the
// sum of what was read.
type IndexedFile struct {
	// Path is relative to the repository's root, with forward slashes.
	Path string
	Stat filestat.Stat
	Sum  Sum
}

// comparePaths orders paths relative to a repository's root, with forward slashes, as
// the repository lists its files (Repository.PlatformFiles, then each tenant's Files,
// tenants by name): by directory first, the root before any other and a directory
// before those in it, then by name. It returns -1, 0 or +1 as a is before, the same
// as, or after b.
func comparePaths(a, b string) int {
	// Each split at its last slash: the directory, then "/name" ("name" at the root).
	i, j := max(strings.LastIndexByte(a, '/'), 0), max(strings.LastIndexByte(b, '/'), 0)
	if c := strings.Compare(a[:i], b[:j]); c != 0 {
		return c
	}
	return strings.Compare(a[i:], b[j:])
}

// File returns the entry of the file at path (relative to Root, with forward slashes);
// false when there is none.
func (x *FileIndex) File(path string) (IndexedFile, bool) {
	i, ok := slices.BinarySearchFunc(x.Files, path, func(f IndexedFile, p string) int { return comparePaths(f.Path, p) })
	if !ok {
		return IndexedFile{}, false
	}
	return x.Files[i], true
}

// Dir returns the entry of the tenant directory at path (relative to Root, with forward
// slashes); false when there is none.
func (x *FileIndex) Dir(path string) (IndexedDir, bool) {
	i, ok := slices.BinarySearchFunc(x.Dirs, path, func(d IndexedDir, p string) int { return comparePaths(d.Path, p) })
	if !ok {
		return IndexedDir{}, false
	}
	return x.Dirs[i], true
}

// file is File, looking first at the entry at guess: where the file is when the index
// lists the same files as the caller does before it, as it mostly does. x may be nil.
func (x *FileIndex) file(path string, guess int) (IndexedFile, bool) {
	if x == nil {
		return IndexedFile{}, false
	}
	if guess < len(x.Files) && x.Files[guess].Path == path {
		return x.Files[guess], true
	}
	return x.File(path)
}

// dir is Dir, looking first at the entry at guess (see file). x may be nil.
func (x *FileIndex) dir(path string, guess int) (IndexedDir, bool) {
	if x == nil {
		return IndexedDir{}, false
	}
	if guess < len(x.Dirs) && x.Dirs[guess].Path == path {
		return x.Dirs[guess], true
	}
	return x.Dir(path)
}

func fileBefore(a, b IndexedFile) int { return comparePaths(a.Path, b.Path) }
func dirBefore(a, b IndexedDir) int   { return comparePaths(a.Path, b.Path) }

// fileIndexMagic starts an encoded FileIndex.
//
// After it: the root and a zero byte; the stamp; the numbers of files, directories and
// names the directories list; the length of the strings, then the strings, all paths
// one after the other (so that those decoded share one copy); then the files (the
// length of the path, the stat, the sum); the directories (the length of the path, the
// stat, the number of names); and the names, each 1 + the number of the file of that
// path, or 0 and the length of a string of its own. The numbers are varints; a SHA-256
// of all that ends it.
const fileIndexMagic = "mlc file index 4\n"

// MarshalBinary encodes the index.
func (x *FileIndex) MarshalBinary() ([]byte, error) {
	files, dirs := x.Files, x.Dirs
	if !slices.IsSortedFunc(files, fileBefore) {
		files = slices.SortedFunc(slices.Values(files), fileBefore)
	}
	if !slices.IsSortedFunc(dirs, dirBefore) {
		dirs = slices.SortedFunc(slices.Values(dirs), dirBefore)
	}
	for i := 1; i < len(files); i++ {
		if files[i-1].Path == files[i].Path {
			return nil, fmt.Errorf("file index: %s twice", files[i].Path)
		}
	}
	for i := 1; i < len(dirs); i++ {
		if dirs[i-1].Path == dirs[i].Path {
			return nil, fmt.Errorf("file index: %s twice", dirs[i].Path)
		}
	}
	// The size, to the byte: a fleet's index is hundreds of kilobytes.
	size := len(fileIndexMagic) + len(x.Root) + 1 + wire.VarintLen(x.Stamp)
	strs, names := 0, 0
	for _, f := range files {
		strs += len(f.Path)
		size += wire.UvarintLen(uint64(len(f.Path))) + wire.StatLen(f.Stat) + sha256.Size
	}
	for _, d := range dirs {
		strs += len(d.Path)
		names += len(d.Files)
		size += wire.UvarintLen(uint64(len(d.Path))) + wire.StatLen(d.Stat) + wire.UvarintLen(uint64(len(d.Files)))
	}
	for name, ref := range nameRefs(files, dirs) {
		size += wire.UvarintLen(uint64(ref))
		if ref == 0 {
			strs += len(name)
			size += wire.UvarintLen(uint64(len(name)))
		}
	}
	size += wire.UvarintLen(uint64(len(files))) + wire.UvarintLen(uint64(len(dirs))) + wire.UvarintLen(uint64(names)) +
		wire.UvarintLen(uint64(strs)) + strs + sha256.Size
	b := make([]byte, 0, size)
	b = append(b, fileIndexMagic...)
	b = append(b, x.Root...)
	b = append(b, 0)
	b = binary.AppendVarint(b, x.Stamp)
	b = binary.AppendUvarint(b, uint64(len(files)))
	b = binary.AppendUvarint(b, uint64(len(dirs)))
	b = binary.AppendUvarint(b, uint64(names))
	b = binary.AppendUvarint(b, uint64(strs))
	for _, f := range files {
		b = append(b, f.Path...)
	}
	for _, d := range dirs {
		b = append(b, d.Path...)
	}
	for name, ref := range nameRefs(files, dirs) {
		if ref == 0 {
			b = append(b, name...)
		}
	}
	for _, f := range files {
		b = binary.AppendUvarint(b, uint64(len(f.Path)))
		b = wire.AppendStat(b, f.Stat)
		b = append(b, f.Sum[:]...)
	}
	for _, d := range dirs {
		b = binary.AppendUvarint(b, uint64(len(d.Path)))
		b = wire.AppendStat(b, d.Stat)
		b = binary.AppendUvarint(b, uint64(len(d.Files)))
	}
	for name, ref := range nameRefs(files, dirs) {
		b = binary.AppendUvarint(b, uint64(ref))
		if ref == 0 {
			b = binary.AppendUvarint(b, uint64(len(name)))
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

// nameRefs yields each name the directories list, in order, with 1 + the number of the
// file of that path, or 0 when there is none (a file that could not be stat'ed). As
// both are in the same order, one walk through the files finds them.
func nameRefs(files []IndexedFile, dirs []IndexedDir) iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		next := 0
		for _, d := range dirs {
			for _, name := range d.Files {
				for next < len(files) && files[next].Path != name && comparePaths(files[next].Path, name) < 0 {
					next++
				}
				ref := 0
				if next < len(files) && files[next].Path == name {
					next++
					ref = next
				}
				if !yield(name, ref) {
					return
				}
			}
		}
	}
}

// errNotFileIndex is what UnmarshalBinary says of anything MarshalBinary did not write.
var errNotFileIndex = errors.New("not a file index")

// UnmarshalBinary decodes what MarshalBinary wrote; anything else is an error.
func (x *FileIndex) UnmarshalBinary(b []byte) error {
	if len(b) < len(fileIndexMagic)+sha256.Size || !bytes.HasPrefix(b, []byte(fileIndexMagic)) {
		return errNotFileIndex
	}
	body := b[:len(b)-sha256.Size]
	if sha256.Sum256(body) != Sum(b[len(body):]) {
		return errNotFileIndex
	}
	body = body[len(fileIndexMagic):]
	root, rest, ok := bytes.Cut(body, []byte{0})
	if !ok {
		return errNotFileIndex
	}
	d := &wire.Reader{B: rest}
	out := FileIndex{Root: string(root), Stamp: d.Varint()}
	nfiles, ndirs, nnames, nstrs := d.Uvarint(), d.Uvarint(), d.Uvarint(), d.Uvarint()
	// Each file, directory and name takes a byte at least: no more are made than the
	// bytes could hold.
	left := uint64(len(d.B))
	if d.Bad || nfiles > left || ndirs > left || nnames > left || nfiles+ndirs+nnames > left || nstrs > left {
		return errNotFileIndex
	}
	// The paths share one copy of the strings (b is the caller's) instead of one each.
	strs := string(d.Next(nstrs))
	str := func(n uint64) string {
		if n > uint64(len(strs)) {
			d.Bad = true
			return ""
		}
		s := strs[:n]
		strs = strs[n:]
		return s
	}
	out.Files = make([]IndexedFile, nfiles)
	for i := range out.Files {
		f := &out.Files[i]
		f.Path = str(d.Uvarint())
		f.Stat = d.Stat()
		copy(f.Sum[:], d.Next(sha256.Size))
		if d.Bad || i > 0 && comparePaths(out.Files[i-1].Path, f.Path) >= 0 {
			return errNotFileIndex
		}
	}
	out.Dirs = make([]IndexedDir, ndirs)
	names := make([]string, nnames)
	free := names
	for i := range out.Dirs {
		dir := &out.Dirs[i]
		dir.Path = str(d.Uvarint())
		dir.Stat = d.Stat()
		n := d.Uvarint()
		if d.Bad || n > uint64(len(free)) || i > 0 && comparePaths(out.Dirs[i-1].Path, dir.Path) >= 0 {
			return errNotFileIndex
		}
		dir.Files, free = free[:n:n], free[n:]
	}
	for i := range names {
		switch ref := d.Uvarint(); {
		case ref == 0:
			names[i] = str(d.Uvarint())
		case ref <= nfiles:
			names[i] = out.Files[ref-1].Path
		default:
			d.Bad = true
		}
	}
	if d.Bad || len(d.B) != 0 || len(strs) != 0 || len(free) != 0 {
		return errNotFileIndex
	}
	*x = out
	return nil
}
