package emit

import (
	"context"
	"path/filepath"
	"runtime/trace"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// indexCheck finds which files of an index still have the stat it recorded, by an lstat
// of each: folder by folder, each folder opened once and its files looked at by name.
// Any number of goroutines may work at it at once (work); held is complete once every
// folder is done (pending).
type indexCheck struct {
	root    string // the output directory
	x       *index
	folders []indexFolder
	// held[j] is set when the j-th file of x has a known stat, settled before x was
	// stamped (x.trusts), and the file at its path had exactly that stat.
	held    []bool
	next    atomic.Int64 // the next folder to look at
	pending sync.WaitGroup
	halted  atomic.Bool
	// links, once lookAtLinks ran, knows which folders of x's files are real folders;
	// linksErr names a symlink among them.
	linksOnce sync.Once
	links     *folderCheck
	linksErr  error
}

// lookAtLinks looks, once, for symlinks among the folders of x's files (folderCheck).
// Ahead of WriteDir, under the lock of the directory, it spares WriteDir the lstat of
// each folder of a tree that barely changed.
func (c *indexCheck) lookAtLinks() {
	c.linksOnce.Do(func() {
		c.links = newFolderCheck(c.root)
		c.linksErr = c.links.folders(slices.Values(c.x.paths))
	})
}

// indexFolder is a run of an index's files in one folder: files [start, end) are in
// dir (slash-separated, "" for the root).
type indexFolder struct {
	dir        string
	start, end int
}

// newIndexCheck readies the check of x's files in root; no file is looked at yet.
func newIndexCheck(root string, x *index) *indexCheck {
	c := &indexCheck{root: root, x: x, held: make([]bool, len(x.paths))}
	for j, p := range x.paths {
		dir := ""
		if k := strings.LastIndexByte(p, '/'); k >= 0 {
			dir = p[:k]
		}
		if n := len(c.folders); n > 0 && c.folders[n-1].dir == dir {
			c.folders[n-1].end = j + 1
		} else {
			c.folders = append(c.folders, indexFolder{dir, j, j + 1})
		}
	}
	c.pending.Add(len(c.folders))
	return c
}

// work looks at the folders no one took yet, one at a time, until none is left or the
// check is halted.
func (c *indexCheck) work() {
	for !c.halted.Load() {
		k := int(c.next.Add(1)) - 1
		if k >= len(c.folders) {
			return
		}
		c.look(&c.folders[k])
		c.pending.Done()
	}
}

// look takes the lstat of the files of the folder whose recorded stats are trusted;
// the folder is opened only if there is one.
func (c *indexCheck) look(f *indexFolder) {
	var d filestat.Dir
	opened := false
	for j := f.start; j < f.end; j++ {
		if !c.x.known(j) {
			continue
		}
		recorded := c.x.stat(j)
		if !c.x.trusts(recorded) {
			continue
		}
		if !opened {
			var ok bool
			if d, ok = filestat.OpenDir(filepath.Join(c.root, filepath.FromSlash(f.dir))); !ok {
				return
			}
			defer d.Close()
			opened = true
		}
		name := c.x.paths[j]
		if f.dir != "" {
			name = name[len(f.dir)+1:]
		}
		st, ok := d.Lstat(name)
		c.held[j] = ok && st == recorded
	}
}

// finish works at the check on that many goroutines, besides those already at it, and
// returns once every folder is done. The check must not have been halted.
func (c *indexCheck) finish(workers int) {
	var wg sync.WaitGroup
	for range max(1, min(workers, len(c.folders))) {
		wg.Go(c.work)
	}
	wg.Wait()
	c.pending.Wait()
}

// halt makes the goroutines at the check stop after the folder they are at.
func (c *indexCheck) halt() { c.halted.Store(true) }

// Prestat is a look, begun ahead of WriteDir, at which files of the tree mlc wrote
// before into a directory are still as its stat index recorded them: see StartPrestat.
type Prestat struct {
	index string // the index file
	dir   string // the output directory, resolved as WriteDir resolves it
	// Set before ready is closed; x is nil when there is nothing to look at.
	x     *index
	stamp int64 // taken after x was read, before any file was looked at
	check *indexCheck
	ready chan struct{}
	done  chan struct{} // closed when the goroutine looking ahead returns
	taken atomic.Bool   // by a WriteDir, or Stop
}

// prestatWorkers is how many goroutines look ahead: one leaves the other cores to
// the work that goes on meanwhile, such as compiling the tree.
const prestatWorkers = 1

// StartPrestat begins, in the background, the look at the files that WriteDir into dir
// with the same options takes first over a tree it wrote before: it reads the stat
// index (WithIndex) and takes the lstat of each file whose recorded stat is settled. The
// caller meanwhile compiles the tree, then hands the look to WriteDir with WithPrestat;
// over a tree that barely changed, the look is most of WriteDir's work. If the look is
// not done by then, WriteDir finishes it on all cores. Without an index (or where
// filestat is not Supported) it does nothing.
//
// Why it is safe. WriteDir takes a file as unchanged, and neither reads nor writes it,
// when the lstat of the look gives the stat the index recorded for the file, settled
// before the index was stamped, and the recorded SHA-256 is that of the tree's bytes:
// the argument of package filestat, with the look's lstat in place of WriteDir's own,
// says the file held the tree's bytes when it was looked at. A change made to it after
// the look is not seen by that WriteDir, as a change made just after WriteDir's own
// lstat would not be: for the files it looked at, the directory holds the tree as of
// the look. But such a change is never taken for the tree's bytes later. The new index
// records, for a file the look vouched for, the stat the old index recorded, never one
// taken since; and the change moved the file's change time (which no one can set back)
// away from it, so the next WriteDir finds the file changed, reads it and writes it
// again. And the new index is stamped with a time taken before the look began, earlier
// than any stat that WriteDir takes: a stat it records of a file it read is trusted
// later only if the file was settled before the look, which is stricter than before
// WriteDir began.
//
// A Prestat serves one WriteDir, into dir with the same index, and none after: that
// WriteDir changes what it looked at. Stop ends it when no WriteDir will take it.
func StartPrestat(dir string, opts ...WriteOption) *Prestat {
	var o writeOptions
	for _, opt := range opts {
		opt(&o)
	}
	p := &Prestat{index: o.index, ready: make(chan struct{}), done: make(chan struct{})}
	if o.index == "" || !filestat.Supported {
		close(p.ready)
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		defer trace.StartRegion(context.Background(), "prestat").End()
		p.begin(dir)
		close(p.ready)
		if p.check != nil {
			p.check.lookAtLinks()
			var wg sync.WaitGroup
			for range prestatWorkers {
				wg.Go(p.check.work)
			}
			wg.Wait()
		}
	}()
	return p
}

// begin reads the index of dir, resolved as WriteDir resolves it, and readies the
// check of its files; it leaves p.x nil when there is none.
func (p *Prestat) begin(dir string) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return
	}
	if p.dir, err = filepath.Abs(real); err != nil {
		return
	}
	if p.x = readIndex(p.index, p.dir); p.x == nil {
		return
	}
	p.stamp = now().UnixNano()
	p.check = newIndexCheck(p.dir, p.x)
}

// readIndex returns the index p read, once it is read; nil for a nil p or when there is
// none.
func (p *Prestat) readIndex() *index {
	if p == nil {
		return nil
	}
	<-p.ready
	return p.x
}

// Holds tells whether the tree p looks at holds the folders of a tenant compiled under
// key (compiler.Tenant.Key), as its index recorded them: then the tenant's objects are
// not needed to lay them out (BuildOver). It is a compiler.Options.Omit; tenant is not
// needed, the key names it. It waits for p's index to be read.
func (p *Prestat) Holds(tenant string, key Key) bool {
	return len(p.readIndex().foldersOf(key)) > 0
}

// WithPrestat makes WriteDir use what p found, when p was started for the same
// directory and index and no WriteDir used it yet (see StartPrestat).
func WithPrestat(p *Prestat) WriteOption {
	return func(o *writeOptions) { o.prestat = p }
}

// take returns p's index, stamp and check when they are of the index file at path for
// the output directory dir and p is not taken yet; p is then taken.
func (p *Prestat) take(path, dir string) (*index, int64, *indexCheck, bool) {
	if p == nil || !p.taken.CompareAndSwap(false, true) {
		return nil, 0, nil, false
	}
	<-p.ready
	if p.x == nil || p.index != path || p.dir != dir {
		if p.check != nil {
			p.check.halt()
		}
		return nil, 0, nil, false
	}
	return p.x, p.stamp, p.check, true
}

// Stop ends p's look when no WriteDir took it, and waits until p no longer works. A nil
// p is stopped.
func (p *Prestat) Stop() {
	if p == nil {
		return
	}
	if p.taken.CompareAndSwap(false, true) {
		<-p.ready
		if p.check != nil {
			p.check.halt()
		}
	}
	<-p.done
}
