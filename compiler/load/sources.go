package load

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// fileReads counts the files read, for tests.
var fileReads atomic.Int64

func readFile(p string) ([]byte, error) {
	fileReads.Add(1)
	return os.ReadFile(p)
}

// sourceFile is one of the repository's files as the Evaluator knows it.
type sourceFile struct {
	// entry is the file's entry of the Evaluator's index: its path; the stat taken
	// before the file was read or vouched for (zero when none was); and the SHA-256 of
	// its bytes, of those read or vouched for by the prior index before they are.
	entry *IndexedFile
	// platform is set for the platform files, read before the others.
	platform bool

	once sync.Once
	data []byte
	err  error
}

// readSources reads the repository's files and keeps them by path (e.files). With
// e.indexed, each file is stat'ed before it is read and its sum taken, for a new
// FileIndex stamped e.stamp; and the tenant files that prior (of the same root) vouches
// for are not read (platform files always are). The platform files are read when it
// returns; the tenant files are read on, in the background, until e.rest returns, with
// the error of the first that could not be.
func (e *Evaluator) readSources(prior *FileIndex) error {
	repo := e.repo
	platform, n := len(repo.PlatformFiles), len(repo.PlatformFiles)
	for _, t := range repo.Tenants {
		n += len(t.Files)
	}
	if prior != nil && prior.Root != repo.Root {
		prior = nil
	}
	e.stamp = time.Now().UnixNano()
	if repo.stamp != 0 { // FindIndexed stat'ed the directories from then on
		e.stamp = repo.stamp
	}
	// In the order the repository lists them, that of an index's files (see FileIndex).
	e.entries = make([]IndexedFile, 0, n)
	for _, name := range repo.PlatformFiles {
		e.entries = append(e.entries, IndexedFile{Path: name})
	}
	for _, t := range repo.Tenants {
		for _, name := range t.Files {
			e.entries = append(e.entries, IndexedFile{Path: name})
		}
	}
	list := make([]sourceFile, n)
	e.files = make(map[string]*sourceFile, n)
	for i := range list {
		list[i] = sourceFile{entry: &e.entries[i], platform: i < platform}
		e.files[e.entries[i].Path] = &list[i]
	}
	// Each file is stat'ed by its path from the root, opened once (fstatat): the kernel
	// resolves the root's path once, and no path is made for a file vouched for.
	var rootDir filestat.Dir
	if e.indexed && filestat.Supported {
		rootDir, _ = filestat.OpenDir(repo.Root)
	}
	readOne := func(i int) {
		f := list[i].entry
		var statKnown bool
		if e.indexed {
			f.Stat, statKnown = rootDir.Lstat(f.Path) // zero when unknown
		}
		if prior != nil && statKnown && i >= platform {
			if old, ok := prior.file(f.Path, i); ok && old.Stat == f.Stat && old.Stat.Settled(prior.Stamp) {
				f.Sum = old.Sum
				return
			}
		}
		data, err := readFile(filepath.Join(repo.Root, filepath.FromSlash(f.Path)))
		list[i].once.Do(func() { list[i].data, list[i].err = data, err })
		if e.indexed && err == nil {
			f.Sum = sha256.Sum256(data)
		}
	}
	// By several goroutines: most of the time is in system calls.
	workers := 2 * runtime.GOMAXPROCS(0)
	parallel(0, platform, workers, readOne).Wait()
	var errs []error
	for i := range platform {
		errs = append(errs, list[i].err)
	}
	if err := errors.Join(errs...); err != nil {
		rootDir.Close()
		return err
	}
	tenants := parallel(platform, n, workers, readOne)
	go func() {
		tenants.Wait()
		rootDir.Close()
	}()
	e.rest = sync.OnceValue(func() error {
		tenants.Wait()
		// Nothing else reads the tenants' files before this returns (source waits).
		for i := platform; i < n; i++ {
			if list[i].err != nil {
				return list[i].err
			}
		}
		return nil
	})
	return nil
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
func (f *sourceFile) read(root string) ([]byte, error) {
	f.once.Do(func() {
		data, err := readFile(filepath.Join(root, filepath.FromSlash(f.entry.Path)))
		switch {
		case err != nil:
			f.err = err
		case sha256.Sum256(data) != f.entry.Sum:
			f.err = fmt.Errorf("%s changed while mlc was reading the repository; run mlc again", f.entry.Path)
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
	return f.entry.Sum, true
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
	f, ok := e.files[name]
	if !ok {
		return nil, fmt.Errorf("%s is not a file of the repository", name)
	}
	if !f.platform { // read in the background (see readSources)
		if err := e.Wait(); err != nil {
			return nil, err
		}
	}
	return f.read(e.repo.Root)
}
