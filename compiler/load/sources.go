package load

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// fileReads counts the files read, for tests.
var fileReads atomic.Int64

// MaxFileSize is the largest .cue file mlc reads, in bytes: far more than anyone
// writes by hand, and a bound on what one file can make mlc read.
const MaxFileSize = 4 << 20

// RefusedFileError is a file of the repository that mlc does not read: a symlink that
// leaves the repository, a file that is not a regular one (a device, a named pipe), or
// one larger than MaxFileSize.
type RefusedFileError struct {
	// Path is relative to the repository's root, with forward slashes.
	Path   string
	Reason string
}

func (e *RefusedFileError) Error() string { return e.Path + ": " + e.Reason }

// readFile reads the file rel of the repository at root, if it is one mlc reads: a
// regular file, or a symlink to one inside the repository, of at most MaxFileSize.
// Whatever else it is, it is neither waited on (a named pipe is opened without
// blocking) nor read past the limit.
func readFile(root, rel string) ([]byte, error) {
	fileReads.Add(1)
	p := filepath.Join(root, filepath.FromSlash(rel))
	info, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		if p, err = insideRepository(root, rel, p); err != nil {
			return nil, &RefusedFileError{rel, err.Error()}
		}
		if info, err = os.Stat(p); err != nil {
			return nil, err
		}
	}
	// Refused before it is opened: opening a socket fails, a device may do anything.
	if !info.Mode().IsRegular() {
		return nil, refuseNotRegular(rel, info.Mode())
	}
	f, err := os.OpenFile(p, os.O_RDONLY|openNonBlocking, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() { // it changed since the stat
		return nil, refuseNotRegular(rel, info.Mode())
	}
	if info.Size() > MaxFileSize {
		return nil, &RefusedFileError{rel, fmt.Sprintf("is %d bytes, more than the %d bytes a .cue file may have", info.Size(), MaxFileSize)}
	}
	// The size may have grown since the stat: what is read stops past the limit.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, &RefusedFileError{rel, fmt.Sprintf("is more than the %d bytes a .cue file may have", MaxFileSize)}
	}
	return data, nil
}

func refuseNotRegular(rel string, m fs.FileMode) error {
	return &RefusedFileError{rel, fmt.Sprintf("is %s, not a regular file: mlc reads only regular files", describeType(m))}
}

// insideRepository resolves the symlink at p, the file rel of the repository at root,
// and returns its target when it stays in the part of the repository rel is in: a
// tenant's file links only to files in its tenant's folder, and a platform file to none
// in tenants/, so that no link lets one owner's edits change another's files.
func insideRepository(root, rel, p string) (string, error) {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("is a symlink that cannot be followed: %v", err)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	to, err := filepath.Rel(realRoot, target)
	if err != nil || to == ".." || strings.HasPrefix(to, ".."+string(filepath.Separator)) || filepath.IsAbs(to) {
		return "", fmt.Errorf("is a symlink to %s, outside the repository: mlc reads only files inside it", target)
	}
	to = filepath.ToSlash(to)
	if owner := ownerOf(rel); ownerOf(to) != owner {
		return "", fmt.Errorf("is a symlink to %s, in %s: a link may lead only to a file of %s", to, describeOwner(ownerOf(to)), describeOwner(owner))
	}
	return target, nil
}

// ownerOf returns the tenant folder a repository path is in (tenants/<name>), or "" for
// the platform's part of the repository.
func ownerOf(rel string) string {
	rest, ok := strings.CutPrefix(rel, TenantsDir+"/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return TenantsDir + "/" + name
}

func describeOwner(owner string) string {
	if owner == "" {
		return "the platform's files"
	}
	return owner + "/"
}

// sourceFile holds the bytes of one of the repository's files, once read.
type sourceFile struct {
	once sync.Once
	data []byte
	err  error
}

// readSources reads the repository's files, into e.entries and e.sources. With
// e.indexed, each file is stat'ed before it is read and its sum taken, for a new
// FileIndex stamped e.stamp; and the tenant files that prior (of the same root) vouches
// for are not read (platform files always are). The platform files are read when it
// returns; the tenant files are read on, in the background, until e.rest returns, with
// the error of the first that could not be.
//
// Nothing is made for each file before it is looked at: the memory of its entry is
// touched first by the goroutine that reads it, while the platform is evaluated.
func (e *Evaluator) readSources(prior *FileIndex) error {
	repo := e.repo
	platform, n := len(repo.PlatformFiles), len(repo.PlatformFiles)
	e.first = make([]int, len(repo.Tenants))
	for k, t := range repo.Tenants {
		e.first[k] = n
		n += len(t.Files)
	}
	if prior != nil && prior.Root != repo.Root {
		prior = nil
	}
	e.stamp = time.Now().UnixNano()
	if repo.stamp != 0 { // FindIndexed stat'ed the directories from then on
		e.stamp = repo.stamp
	}
	e.entries = make([]IndexedFile, n)
	e.sources = make([]*sourceFile, n)
	// Each file is stat'ed by its path from the root, opened once (fstatat): the kernel
	// resolves the root's path once, and no path is made for a file vouched for.
	var rootDir filestat.Dir
	if e.indexed && filestat.Supported {
		rootDir, _ = filestat.OpenDir(repo.Root)
	}
	readOne := func(i int, name string) {
		f := &e.entries[i]
		f.Path = name
		var statKnown bool
		if e.indexed {
			f.Stat, statKnown = rootDir.Lstat(name) // zero when unknown
		}
		if prior != nil && statKnown && i >= platform {
			if old, ok := prior.file(name, i); ok && old.Stat == f.Stat && old.Stat.Settled(prior.Stamp) {
				f.Sum = old.Sum
				return
			}
		}
		data, err := readFile(repo.Root, name)
		src := e.sourceAt(i)
		src.once.Do(func() { src.data, src.err = data, err })
		if e.indexed && err == nil {
			f.Sum = sha256.Sum256(data)
		}
	}
	// By several goroutines: most of the time is in system calls.
	workers := 2 * runtime.GOMAXPROCS(0)
	parallel(0, platform, workers, func(i int) { readOne(i, repo.PlatformFiles[i]) }).Wait()
	// A file mlc refuses to read is reported at the file when it is parsed.
	var errs []error
	for _, src := range e.sources[:platform] {
		if !refused(src.err) {
			errs = append(errs, src.err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		rootDir.Close()
		return err
	}
	tenants := parallel(0, len(repo.Tenants), workers, func(k int) {
		for j, name := range repo.Tenants[k].Files {
			readOne(e.first[k]+j, name)
		}
	})
	go func() {
		tenants.Wait()
		rootDir.Close()
	}()
	e.rest = sync.OnceValue(func() error {
		tenants.Wait()
		// Nothing else reads the tenants' files before this returns (source waits).
		for _, src := range e.sources[platform:] {
			if src != nil && src.err != nil && !refused(src.err) {
				return src.err
			}
		}
		return nil
	})
	return nil
}

// refused tells whether err is a file mlc does not read (RefusedFileError).
func refused(err error) bool {
	var r *RefusedFileError
	return errors.As(err, &r)
}

// sourceAt returns what holds the bytes of the i-th file of e.entries, made if need be.
func (e *Evaluator) sourceAt(i int) *sourceFile {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sources[i] == nil {
		e.sources[i] = new(sourceFile)
	}
	return e.sources[i]
}

// file returns the number in e.entries of the repository's file at rel (relative to
// its root, with forward slashes); false when the repository does not list it.
func (e *Evaluator) file(rel string) (int, bool) {
	// Next to the tenant file looked up last, as the files are mostly looked up in
	// order; in its tenant's directory, found among the tenants sorted by name, as Find
	// lists them; among the platform files; or else anywhere.
	tenants := e.repo.Tenants
	next := e.next.Load()
	k, j := int(next>>32), int(uint32(next))
	if k < len(tenants) && j == len(tenants[k].Files) { // the next tenant's first
		k, j = k+1, 0
	}
	if k < len(tenants) && j < len(tenants[k].Files) && tenants[k].Files[j] == rel {
		e.next.Store(int64(k)<<32 | int64(j+1))
		return e.first[k] + j, true
	}
	dir := rel[:max(strings.LastIndexByte(rel, '/'), 0)]
	if k, ok := slices.BinarySearchFunc(tenants, dir, func(t TenantDir, dir string) int { return strings.Compare(t.Dir, dir) }); ok {
		if j := slices.Index(tenants[k].Files, rel); j >= 0 {
			e.next.Store(int64(k)<<32 | int64(j+1))
			return e.first[k] + j, true
		}
	}
	if i := slices.Index(e.repo.PlatformFiles, rel); i >= 0 {
		return i, true
	}
	for k, t := range tenants {
		if j := slices.Index(t.Files, rel); j >= 0 {
			return e.first[k] + j, true
		}
	}
	return 0, false
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

// read returns the bytes of f, the file of entry x, reading them now if they were
// vouched for by the index, and then making sure they are what it vouched for: a file
// that changed since the render began would otherwise be compiled into an entry of the
// cache under the key of what it held before.
func (f *sourceFile) read(root string, x *IndexedFile) ([]byte, error) {
	f.once.Do(func() {
		data, err := readFile(root, x.Path)
		switch {
		case err != nil:
			f.err = err
		case sha256.Sum256(data) != x.Sum:
			f.err = fmt.Errorf("%s changed while mlc was reading the repository; run mlc again", x.Path)
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
	i, ok := e.file(rel)
	if !ok || !e.indexed {
		return Sum{}, false
	}
	return e.entries[i].Sum, true
}

// Index returns the FileIndex of the repository's files as the Evaluator found them, and
// of its tenant directories as FindIndexed did, to be given to the next FindIndexed and
// NewIndexedEvaluator of the repository; nil for an Evaluator made by NewEvaluator.
// Files whose stat could not be taken are left out. The index shares its entries with
// the Evaluator and the Repository, and must not be modified.
func (e *Evaluator) Index() *FileIndex {
	if !e.indexed || e.Wait() != nil {
		return nil
	}
	x := &FileIndex{Root: e.repo.Root, Stamp: e.stamp, Files: e.entries}
	if !slices.IsSortedFunc(x.Files, fileBefore) || slices.ContainsFunc(x.Files, notRegular) {
		// Not as Find lists a repository; or with files not stat'ed.
		x.Files = slices.DeleteFunc(slices.Clone(x.Files), notRegular)
		slices.SortFunc(x.Files, fileBefore)
	}
	x.Files = slices.Clip(x.Files)
	x.Dirs = slices.Clip(e.repo.dirs) // as FindIndexed listed them, in order
	return x
}

func notRegular(f IndexedFile) bool { return !f.Stat.IsRegular() }

// source returns the bytes of one of the repository's files.
func (e *Evaluator) source(name string) ([]byte, error) {
	i, ok := e.file(name)
	if !ok {
		return nil, fmt.Errorf("%s is not a file of the repository", name)
	}
	if i >= len(e.repo.PlatformFiles) { // read in the background (see readSources)
		if err := e.Wait(); err != nil {
			return nil, err
		}
	}
	return e.sourceAt(i).read(e.repo.Root, &e.entries[i])
}
