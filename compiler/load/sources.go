package load

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// Sum is the SHA-256 of a file's bytes.
type Sum = [sha256.Size]byte

// FileIndex remembers what a repository's files held, by their stat (package filestat),
// so that a file unchanged since need not be read until it is evaluated: a render that
// evaluates one tenant of a thousand reads that tenant's files and the platform files,
// and only stats the others. Everything else the compiler needs of an unread file is
// its Sum, for the cache's keys.
type FileIndex struct {
	// Root is the repository's root directory.
	Root string
	// Stamp is when the stats were taken, in nanoseconds since 1970; a stat is trusted
	// only when it is settled at Stamp (filestat.Stat.Settled).
	Stamp int64
	// Files are by path relative to Root, with forward slashes.
	Files map[string]IndexedFile
	// Dirs are the tenant directories, by path relative to Root, with forward slashes.
	Dirs map[string]IndexedDir
}

// IndexedDir is one directory of a FileIndex: its stat, taken before it was listed, and
// the names of the .cue files listed, sorted.
type IndexedDir struct {
	Stat  filestat.Stat
	Files []string
}

// IndexedFile is one file of a FileIndex: its stat, taken before it was read, and the
// sum of what was read.
type IndexedFile struct {
	Stat filestat.Stat
	Sum  Sum
}

// fileIndexMagic starts an encoded FileIndex.
const fileIndexMagic = "mlc file index 2\n"

// MarshalBinary encodes the index, its entries sorted by path.
func (x *FileIndex) MarshalBinary() ([]byte, error) {
	size := len(fileIndexMagic) + len(x.Root) + 1 + 2*binary.MaxVarintLen64 + sha256.Size
	for p := range x.Files {
		size += len(p) + 7*binary.MaxVarintLen64 + sha256.Size
	}
	b := make([]byte, 0, size)
	b = append(b, fileIndexMagic...)
	b = append(b, x.Root...)
	b = append(b, 0)
	b = binary.AppendVarint(b, x.Stamp)
	b = binary.AppendUvarint(b, uint64(len(x.Files)))
	for _, p := range slices.Sorted(maps.Keys(x.Files)) {
		f := x.Files[p]
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
		b = appendStat(b, f.Stat)
		b = append(b, f.Sum[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(x.Dirs)))
	for _, p := range slices.Sorted(maps.Keys(x.Dirs)) {
		d := x.Dirs[p]
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
		b = appendStat(b, d.Stat)
		b = binary.AppendUvarint(b, uint64(len(d.Files)))
		for _, name := range d.Files {
			b = binary.AppendUvarint(b, uint64(len(name)))
			b = append(b, name...)
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

func appendStat(b []byte, st filestat.Stat) []byte {
	b = binary.AppendUvarint(b, st.Size)
	b = binary.AppendUvarint(b, st.Mode)
	b = binary.AppendUvarint(b, st.Dev)
	b = binary.AppendUvarint(b, st.Ino)
	b = binary.AppendVarint(b, st.Mtime)
	return binary.AppendVarint(b, st.Ctime)
}

func (r *byteReader) stat() filestat.Stat {
	var st filestat.Stat
	st.Size, st.Mode, st.Dev, st.Ino = r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint()
	st.Mtime, st.Ctime = r.varint(), r.varint()
	return st
}

// UnmarshalBinary decodes what MarshalBinary wrote; anything else is an error.
func (x *FileIndex) UnmarshalBinary(b []byte) error {
	bad := fmt.Errorf("not a file index")
	if len(b) < len(fileIndexMagic)+sha256.Size || !bytes.HasPrefix(b, []byte(fileIndexMagic)) {
		return bad
	}
	body := b[:len(b)-sha256.Size]
	if sha256.Sum256(body) != Sum(b[len(body):]) {
		return bad
	}
	body = body[len(fileIndexMagic):]
	root, rest, ok := bytes.Cut(body, []byte{0})
	if !ok {
		return bad
	}
	d := &byteReader{b: rest}
	out := FileIndex{Root: string(root), Stamp: d.varint()}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return bad
	}
	out.Files = make(map[string]IndexedFile, n)
	// The paths share one copy of the body (b is the caller's) instead of one each.
	paths := string(d.b)
	str := func() string {
		size := d.uvarint()
		at := len(paths) - len(d.b)
		if d.bytes(size); d.bad {
			return ""
		}
		return paths[at : at+int(size)]
	}
	for range n {
		p := str()
		if d.bad {
			return bad
		}
		var f IndexedFile
		f.Stat = d.stat()
		copy(f.Sum[:], d.bytes(sha256.Size))
		out.Files[p] = f
	}
	n = d.uvarint()
	if n > uint64(len(d.b)) {
		return bad
	}
	out.Dirs = make(map[string]IndexedDir, n)
	for range n {
		p := str()
		dir := IndexedDir{Stat: d.stat()}
		k := d.uvarint()
		if d.bad || k > uint64(len(d.b)) {
			return bad
		}
		dir.Files = make([]string, k)
		for i := range dir.Files {
			dir.Files[i] = str()
		}
		out.Dirs[p] = dir
	}
	if d.bad || len(d.b) != 0 {
		return bad
	}
	*x = out
	return nil
}

type byteReader struct {
	b   []byte
	bad bool
}

func (r *byteReader) uvarint() uint64 {
	n, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[k:]
	return n
}

func (r *byteReader) varint() int64 {
	n, k := binary.Varint(r.b)
	if k <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[k:]
	return n
}

func (r *byteReader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// fileReads counts the files read, for tests.
var fileReads atomic.Int64

func readFile(p string) ([]byte, error) {
	fileReads.Add(1)
	return os.ReadFile(p)
}

// sourceFile is one of the repository's files as the Evaluator knows it.
type sourceFile struct {
	// sum is the SHA-256 of the file's bytes: of those read, or vouched for by the
	// index before they are.
	sum Sum
	// stat was taken before the file was read or vouched for; statKnown says whether
	// there is one.
	stat      filestat.Stat
	statKnown bool
	// platform is set for the platform files, read before the others.
	platform bool

	once sync.Once
	data []byte
	err  error
}

// readSources reads the repository's files and returns them by path. With indexed, each
// file is stat'ed before it is read and its sum taken, for a new FileIndex stamped with
// the returned time; and the tenant files that prior (of the same root) vouches for are
// not read (platform files always are). The platform files are read when it returns;
// the tenant files are read on, in the background, until rest returns, with the error
// of the first that could not be.
func readSources(repo *Repository, indexed bool, prior *FileIndex) (files map[string]*sourceFile, stamp int64, rest func() error, err error) {
	names := slices.Clone(repo.PlatformFiles)
	platform := len(names)
	for _, t := range repo.Tenants {
		names = append(names, t.Files...)
	}
	if prior != nil && prior.Root != repo.Root {
		prior = nil
	}
	stamp = time.Now().UnixNano()
	if repo.stamp != 0 { // FindIndexed stat'ed the directories from then on
		stamp = repo.stamp
	}
	files = make(map[string]*sourceFile, len(names))
	list := make([]*sourceFile, len(names))
	for i, name := range names {
		list[i] = &sourceFile{platform: i < platform}
		files[name] = list[i]
	}
	errs := make([]error, len(names))
	readOne := func(i int) {
		f := list[i]
		p := filepath.Join(repo.Root, filepath.FromSlash(names[i]))
		if indexed && filestat.Supported {
			f.stat, f.statKnown = filestat.Lstat(p)
		}
		if prior != nil && f.statKnown && i >= platform {
			if old, ok := prior.Files[names[i]]; ok && old.Stat == f.stat && old.Stat.Settled(prior.Stamp) {
				f.sum = old.Sum
				return
			}
		}
		data, err := readFile(p)
		if err != nil {
			errs[i] = err
			return
		}
		f.once.Do(func() { f.data = data })
		if indexed {
			f.sum = sha256.Sum256(data)
		}
	}
	// By several goroutines: most of the time is in system calls.
	workers := 2 * runtime.GOMAXPROCS(0)
	parallel(0, platform, workers, readOne).Wait()
	if err := errors.Join(errs[:platform]...); err != nil {
		return nil, 0, nil, err
	}
	tenants := parallel(platform, len(names), workers, readOne)
	rest = sync.OnceValue(func() error {
		tenants.Wait()
		for _, err := range errs[platform:] {
			if err != nil {
				return err
			}
		}
		return nil
	})
	return files, stamp, rest, nil
}

// parallel calls f(from) … f(to-1) on at most workers goroutines and returns what
// waits for them.
func parallel(from, to, workers int, f func(int)) *sync.WaitGroup {
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	for range min(workers, to-from) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < to; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	return &wg
}

// read returns the file's bytes, reading them now if they were vouched for by the index,
// and then making sure they are what it vouched for: a file that changed since the
// render began would otherwise be compiled into an entry of the cache under the key of
// what it held before.
func (f *sourceFile) read(root, name string) ([]byte, error) {
	f.once.Do(func() {
		data, err := readFile(filepath.Join(root, filepath.FromSlash(name)))
		switch {
		case err != nil:
			f.err = err
		case sha256.Sum256(data) != f.sum:
			f.err = fmt.Errorf("%s changed while mlc was reading the repository; run mlc again", name)
		default:
			f.data = data
		}
	})
	return f.data, f.err
}

// Sum returns the SHA-256 of a file of the repository (relative to its root, with
// forward slashes) read by an Evaluator made by NewIndexedEvaluator; false for a file
// it did not list.
func (e *Evaluator) Sum(rel string) (Sum, bool) {
	if e.Wait() != nil {
		return Sum{}, false
	}
	f, ok := e.files[rel]
	if !ok || !e.indexed {
		return Sum{}, false
	}
	return f.sum, true
}

// Index returns the FileIndex of the repository's files as the Evaluator found them, to
// be given to the next NewIndexedEvaluator of the repository; nil for an Evaluator
// made by NewEvaluator. Files whose stat could not be taken are left out.
func (e *Evaluator) Index() *FileIndex {
	if !e.indexed || e.Wait() != nil {
		return nil
	}
	x := &FileIndex{Root: e.repo.Root, Stamp: e.stamp, Files: make(map[string]IndexedFile, len(e.files)), Dirs: make(map[string]IndexedDir, len(e.repo.dirStats))}
	for name, f := range e.files {
		if f.statKnown && f.stat.IsRegular() {
			x.Files[name] = IndexedFile{Stat: f.stat, Sum: f.sum}
		}
	}
	for _, t := range e.repo.Tenants {
		if st, ok := e.repo.dirStats[t.Dir]; ok {
			names := make([]string, len(t.Files))
			for i, f := range t.Files {
				names[i] = strings.TrimPrefix(f, t.Dir+"/")
			}
			x.Dirs[t.Dir] = IndexedDir{Stat: st, Files: names}
		}
	}
	return x
}

// source returns the bytes of one of the repository's files.
func (e *Evaluator) source(name string) ([]byte, error) {
	f, ok := e.files[name]
	if !ok {
		return nil, fmt.Errorf("%s is not a file of the repository", name)
	}
	if !f.platform { // read in the background (see readSources)
		if err := e.Wait(); err != nil {
			return nil, err
		}
	}
	return f.read(e.repo.Root, name)
}
