package emit

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlc-gitops/mlc/internal/atomicfile"
	"github.com/mlc-gitops/mlc/internal/filestat"
)

// ManifestFile, in an output directory, lists the files mlc wrote there, so the next
// render replaces exactly those and leaves every other file alone.
const ManifestFile = ".mlc-files"

// WriteStream writes the clusters' objects as one YAML stream. With more than one
// cluster, each cluster's part starts with a comment naming it.
func (t *Tree) WriteStream(w io.Writer) error {
	if err := t.Load(); err != nil {
		return err
	}
	for i, c := range t.names {
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if len(t.names) > 1 {
			if _, err := fmt.Fprintf(w, "# cluster: %s\n", c); err != nil {
				return err
			}
		}
		if _, err := w.Write(t.Stream(c)); err != nil {
			return err
		}
	}
	return nil
}

// WriteOption is an option of WriteDir.
type WriteOption func(*writeOptions)

type writeOptions struct {
	index   string
	prestat *Prestat
}

// WithIndex makes WriteDir keep a stat index of the files it wrote in the file at path,
// which must not be inside the output directory (the output stays exactly the tree's
// files): what it records of each file, as git's index does, lets the next WriteDir into
// the same directory tell that a file is unchanged without reading it. The index is a
// cache: one that is missing, damaged, of another version or of another directory is
// ignored, and one that cannot be written is no error. An empty path means no index.
func WithIndex(path string) WriteOption {
	return func(o *writeOptions) { o.index = path }
}

// WriteDir writes the tree into dir, all its clusters in one committed step: after a
// failure, or a kill at any instant followed by Recover (which WriteDir runs first), dir
// holds the whole old tree or the whole new one (see SwapFolder). Only the cluster
// folders and the ManifestFile are changed; the caller keeps other writers out of dir
// (package dirlock). Inside them, files and
// folders mlc did not write (those its ManifestFile does not list) are carried over as
// they are; a tree file that would overwrite one of them is an error, and then nothing is
// written at all. Files of clusters mlc wrote before and no longer renders are removed.
//
// When dir already holds a tree mlc wrote, only what changed is written. The files mlc
// wrote are compared with the tree's (bytes and mode): read, or, with WithIndex, known
// unchanged when their size, mode, inode and modification and change times are those the
// index recorded and the tree's bytes hash to the recorded SHA-256, as git does; a file
// any of these differ for, or that changed too shortly before the index was written, is
// read. With WithPrestat, those stats are the ones a look begun ahead took (see
// StartPrestat). In each cluster, the smallest folder that holds every difference is
// staged anew and swapped into its place, the files that did not change hard-linked into
// the new folder instead of written again; a single changed file is staged alone; a
// cluster whose files are all the same is not written at all.
func (t *Tree) WriteDir(dir string, opts ...WriteOption) error {
	var o writeOptions
	for _, opt := range opts {
		opt(&o)
	}
	// dir itself may be a link, or lie under one (out -> /mnt/out): the user named it.
	// Below it mlc follows no link to a folder (folderCheck).
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := Recover(dir); err != nil {
		return err
	}
	w := &dirWriter{dir: dir, workers: ioWorkers()}
	var x *index
	var indexDir string
	var stamp int64 // before any file is looked at
	var check *indexCheck
	if o.index != "" && filestat.Supported {
		var err error
		if indexDir, err = filepath.Abs(dir); err != nil {
			return err
		}
		w.indexed = true
		var ahead bool
		if x, stamp, check, ahead = o.prestat.take(o.index, indexDir); ahead {
			defer check.halt() // on an error before the check is finished
		} else {
			x = readIndex(o.index, indexDir)
			stamp = now().UnixNano()
		}
	} else {
		o.prestat.Stop()
	}

	// The files mlc wrote before: those the ManifestFile lists, or, when the index
	// vouches for the ManifestFile and lists the tree's files, those.
	manifestPath := filepath.Join(dir, ManifestFile)
	var listing []byte
	var manifest fileStat
	manifestKnown := false
	inOrder := x.lists(t.Files)
	if inOrder && x.manifestKnown && x.trusts(x.manifest) {
		if st, ok := filestat.Lstat(manifestPath); ok && st == x.manifest {
			w.allOurs, manifest, manifestKnown = true, st, true
		}
	}
	if !w.allOurs {
		var err error
		if w.ours, listing, manifest, manifestKnown, err = readManifest(manifestPath); err != nil {
			return err
		}
	}
	// Check everything before writing anything: no folder mlc writes in, removes from
	// or copies from is a symlink (on every render, whatever the index vouches for), and
	// no file of the tree is one mlc did not write. A file whose folder does not exist
	// cannot be there: folders are looked at once each, not every file of a new tree.
	folders := newFolderCheck(dir)
	if check != nil {
		if check.lookAtLinks(); check.linksErr == nil {
			folders.ahead = check.links
		}
	}
	oursKept := 0 // files of the tree mlc wrote before
	var folder string
	var exists bool
	for i, f := range t.Files {
		if i == 0 || !inFolder(f.Path, folder) {
			var err error
			folder = path.Dir(f.Path)
			if exists, err = folders.folder(folder); err != nil {
				return err
			}
		}
		if w.allOurs || w.ours[f.Path] {
			oursKept++
			continue
		}
		if !exists {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s: mlc did not write this file and will not overwrite it; move it, or render to another directory", p)
		}
	}
	if err := folders.folders(maps.Keys(w.ours)); err != nil {
		return err
	}
	// The tree's paths are distinct: the same number of them, all listed, is the list.
	w.sameListing = w.allOurs || oursKept == len(t.Files) && len(w.ours) == len(t.Files)

	var err error
	if w.sw, err = beginSwap(dir); err != nil {
		return err
	}
	defer w.sw.discard() // unless committed
	if w.perm, err = filePerm(w.sw.folder); err != nil {
		return err
	}
	cmp, err := w.compare(t.Files, x, inOrder, check)
	if err != nil {
		return err
	}
	if !cmp.allSame {
		// What is to be written must be read, if it was deferred.
		var errs indexedErrors
		parallel(len(t.Files), w.workers, func(i int) {
			if !cmp.same[i] {
				if _, err := t.Files[i].bytes(); err != nil {
					errs.add(i, err)
				}
			}
		})
		if err := errs.join(); err != nil {
			return err
		}
	}
	var units map[string][]int // the files of each cluster folder, by index
	if !cmp.allSame || !w.sameListing {
		units = map[string][]int{}
		for i, f := range t.Files {
			top, _, _ := strings.Cut(f.Path, "/")
			units[top] = append(units[top], i)
		}
	}
	if o.index != "" && (!cmp.allSame || !w.sameListing) {
		// The tree is about to change: no index must outlive a failure half-way.
		if err := removeIndex(o.index); err != nil {
			w.indexed = false
		}
	}
	if !cmp.allSame || !w.sameListing {
		if err := w.updateAll(t.Files, units, cmp); err != nil {
			return err
		}
	}
	if !w.sameListing {
		// Files of clusters no longer rendered.
		for _, rel := range slices.Sorted(maps.Keys(w.ours)) {
			top, _, _ := strings.Cut(rel, "/")
			if _, kept := units[top]; !kept {
				w.sw.remove(rel)
			}
		}
		listed := make([]string, len(t.Files))
		for i, f := range t.Files {
			listed[i] = f.Path
		}
		slices.Sort(listed)
		newListing := []byte(strings.Join(listed, "\n") + "\n")
		if !bytes.Equal(newListing, listing) {
			if err := os.WriteFile(w.sw.stage(ManifestFile), newListing, 0o644); err != nil {
				return err
			}
			manifestKnown = false // written, not read
		}
	}
	if err := w.sw.commit(); err != nil {
		return err
	}
	if w.indexed {
		if x == nil || cmp.read > 0 || !cmp.allSame || !w.sameListing || !w.allOurs || !slices.Equal(x.folders, t.keyed) {
			// What to record of a file no stat vouches for: the sum of what it holds.
			entry := func(i int) indexEntry {
				if e := cmp.entry(i); e.summed {
					return e
				}
				return indexEntry{summed: true, sum: t.Files[i].sum()}
			}
			// Written beside and renamed; a leftover of a crash is removed by the cache's Trim.
			_ = atomicfile.WriteWith(o.index, 0o600, func(w io.Writer) error {
				return writeIndex(w, indexDir, stamp, manifest, manifestKnown, t.Files, entry, t.keyed)
			})
		} else if now().Sub(x.modTime) > time.Hour {
			// Used: keep the cache's Trim from aging it out.
			at := now()
			_ = os.Chtimes(o.index, at, at)
		}
	}
	return nil
}

// updateAll brings each cluster folder to its files (units, by index into files), with
// what compare found; the index entries of the files it writes or links are forgotten.
func (w *dirWriter) updateAll(files []File, units map[string][]int, cmp *comparison) error {
	for _, top := range slices.Sorted(maps.Keys(units)) {
		idx := units[top]
		var unit []File
		var same []bool
		if first, last := idx[0], idx[len(idx)-1]; last-first == len(idx)-1 {
			// The files are together, as in a tree Build lays out.
			unit, same = files[first:last+1], cmp.same[first:last+1]
		} else {
			unit, same = make([]File, len(idx)), make([]bool, len(idx))
			for k, i := range idx {
				unit[k], same[k] = files[i], cmp.same[i]
			}
		}
		touched, err := w.update(top, unit, same)
		if err != nil {
			return err
		}
		if touched != "" && w.indexed {
			inside := touched + "/"
			for _, i := range idx {
				if p := files[i].Path; p == touched || strings.HasPrefix(p, inside) {
					cmp.forget(i)
				}
			}
		}
	}
	return nil
}

// ioWorkers is how many files are compared or written at once: the work is mostly system
// calls, which overlap a little beyond the cores.
func ioWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

// statWorkers is how many folders' files are looked at (lstat) at once.
func statWorkers() int { return runtime.GOMAXPROCS(0) }

// dirWriter writes the clusters of a tree into dir.
type dirWriter struct {
	dir string
	// ours lists the files mlc wrote in dir before (the ManifestFile), unless allOurs
	// says they are the tree's files.
	ours    map[string]bool
	allOurs bool
	workers int
	// perm is the mode a file mlc writes gets (0o644 less the umask); a file of another
	// mode is written again.
	perm fs.FileMode
	// sameListing is set when the tree's files are exactly those of ours: none is to be
	// removed.
	sameListing bool
	// indexed is set when files are hashed for a stat index.
	indexed bool
	// sw is the swap the changes are staged in.
	sw *swap
}

// comparison is what compare found of each file of a tree.
type comparison struct {
	same    []bool // the file in dir holds the tree's bytes, with the right mode
	allSame bool
	read    int // files read to compare them
	// What the new index is to record of each file, known when the file is the same
	// and its stat was taken before its bytes were read, or was vouched for by the old
	// index x: vouched[i] is the file of x whose record vouched for the i-th (-1: none),
	// readEntries holds the others.
	x           *index
	vouched     []int32
	readEntries map[int]indexEntry
	mu          sync.Mutex // over readEntries, while compare runs
}

// entry returns what the new index is to record of the i-th file.
func (c *comparison) entry(i int) indexEntry {
	if c.vouched != nil && c.vouched[i] >= 0 {
		return c.x.entry(int(c.vouched[i]))
	}
	return c.readEntries[i]
}

// forget makes the new index record nothing of the i-th file.
func (c *comparison) forget(i int) {
	if c.vouched != nil {
		c.vouched[i] = -1
	}
	delete(c.readEntries, i)
}

// compare compares the files of the tree that mlc wrote in dir before with the tree's,
// on several workers. A file whose record in x vouches for the tree's bytes, and whose
// stat is still the one recorded, is not read: check, when not nil, is the look at
// those stats begun before (StartPrestat), to be finished; else compare looks at them
// itself. inOrder tells that x lists the tree's files in their order. Files whose bytes
// were deferred are read only when they must be compared by reading.
func (w *dirWriter) compare(files []File, x *index, inOrder bool, check *indexCheck) (*comparison, error) {
	c := &comparison{same: make([]bool, len(files)), x: x}
	if !w.allOurs && len(w.ours) == 0 {
		return c, nil
	}
	if x != nil {
		if check == nil {
			check = newIndexCheck(w.dir, x)
		}
		check.finish(statWorkers())
		c.vouched = make([]int32, len(files))
	}
	var read atomic.Int64
	var errs indexedErrors
	parallel(len(files), w.workers, func(i int) {
		f := &files[i]
		if x != nil {
			c.vouched[i] = -1
		}
		if !w.allOurs && !w.ours[f.Path] {
			return
		}
		var e indexEntry
		if w.indexed {
			e.sum = f.sum()
		}
		if x != nil {
			j := x.fileOf(i, f.Path, inOrder)
			if j >= 0 && check.held[j] && x.stat(j).IsFile(w.perm) && string(x.sum(j)) == string(e.sum[:]) {
				c.same[i], c.vouched[i] = true, int32(j)
				return
			}
		}
		p := filepath.Join(w.dir, filepath.FromSlash(f.Path))
		if f.unread() {
			// Known by their sum, the tree's bytes need not be read to compare the file's.
			if !w.indexed {
				e.sum = f.sum()
			}
			read.Add(1)
			e.stat, c.same[i] = w.unchangedSum(p, &e.sum)
		} else {
			data, err := f.bytes()
			if err != nil {
				errs.add(i, err)
				return
			}
			if !w.indexed {
				c.same[i] = w.unchanged(p, data)
				return
			}
			read.Add(1)
			e.stat, c.same[i] = w.unchangedStat(p, data)
		}
		if c.same[i] && w.indexed {
			e.known, e.summed = true, true
			c.mu.Lock()
			if c.readEntries == nil {
				c.readEntries = map[int]indexEntry{}
			}
			c.readEntries[i] = e
			c.mu.Unlock()
		}
	})
	if err := errs.join(); err != nil {
		return c, err
	}
	c.read = int(read.Load())
	c.allSame = !slices.Contains(c.same, false)
	return c, nil
}

// indexedErrors collects the errors of numbered pieces of work done at once.
type indexedErrors struct {
	mu   sync.Mutex
	errs map[int]error
}

func (e *indexedErrors) add(i int, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.errs == nil {
		e.errs = map[int]error{}
	}
	e.errs[i] = err
}

// join returns the errors joined in the order of their numbers; nil when there is none.
func (e *indexedErrors) join() error {
	var errs []error
	for _, i := range slices.Sorted(maps.Keys(e.errs)) {
		errs = append(errs, e.errs[i])
	}
	return errors.Join(errs...)
}

// update brings dir/top to the files, writing only what changed (see WriteDir); same
// tells which files dir holds already. It returns the path of the folder it rebuilt or
// the file it replaced, slash-separated, or "" when nothing was written.
func (w *dirWriter) update(top string, files []File, same []bool) (string, error) {
	// What differs: files to write, and files mlc wrote that are no longer rendered.
	var changed []string
	var lastChanged int
	for i, f := range files {
		if !same[i] {
			changed = append(changed, f.Path)
			lastChanged = i
		}
	}
	removed := 0
	if !w.sameListing {
		rendered := make(map[string]bool, len(files))
		for _, f := range files {
			rendered[f.Path] = true
		}
		for rel := range w.ours {
			if strings.HasPrefix(rel, top+"/") && !rendered[rel] {
				if _, err := os.Lstat(filepath.Join(w.dir, filepath.FromSlash(rel))); err == nil {
					changed = append(changed, rel)
					removed++
				}
			}
		}
	}
	if len(changed) == 0 {
		return "", nil
	}
	// One file written again: staged alone. Its folder must be there and be a folder of
	// its own, and no folder be in its place.
	if len(changed) == 1 && removed == 0 {
		p := filepath.Join(w.dir, filepath.FromSlash(changed[0]))
		if st, err := os.Lstat(filepath.Dir(p)); err == nil && st.IsDir() && path.Dir(changed[0]) != "." && !isDir(p) {
			return changed[0], writeNewFile(w.sw.stage(changed[0]), files[lastChanged].Data, 0o644)
		}
	}
	// Otherwise the smallest existing folder that holds every difference is rebuilt.
	sub := commonDir(changed)
	if !strings.HasPrefix(sub+"/", top+"/") {
		sub = top
	}
	for sub != top {
		if st, err := os.Lstat(filepath.Join(w.dir, filepath.FromSlash(sub))); err == nil && st.IsDir() {
			break
		}
		sub = path.Dir(sub)
	}
	var inside []File
	var insideSame []bool
	for i, f := range files {
		if strings.HasPrefix(f.Path, sub+"/") {
			inside = append(inside, f)
			insideSame = append(insideSame, same[i])
		}
	}
	return sub, w.rebuild(sub, inside, insideSame)
}

// fileReads counts the files read to compare them, for tests.
var fileReads atomic.Int64

// unchanged tells whether the file at p is a regular file (not a symlink) of mode
// w.perm holding exactly data.
func (w *dirWriter) unchanged(p string, data []byte) bool {
	_, same := w.unchangedStat(p, data)
	return same
}

// unchangedStat is unchanged, and when the file is unchanged, its stat taken before it
// was read.
func (w *dirWriter) unchangedStat(p string, data []byte) (fileStat, bool) {
	fileReads.Add(1)
	bp := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(bp)
	return sameFile(p, len(data), w.perm, bp, func(b []byte) bool { return bytes.Equal(b, data) })
}

// unchangedSum is unchangedStat for a file whose bytes should hash to sum.
func (w *dirWriter) unchangedSum(p string, sum *[sha256.Size]byte) (fileStat, bool) {
	fileReads.Add(1)
	bp := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(bp)
	return sameFile(p, -1, w.perm, bp, func(b []byte) bool { return sha256.Sum256(b) == *sum })
}

// readBuffers hold the files read to compare them.
var readBuffers = sync.Pool{New: func() any { return new([]byte) }}

// rebuild stages the folder dir/sub (slash-separated, inside a cluster folder) anew with
// the files, those under it of the tree, keeping what mlc did not write there. A file
// marked same is hard-linked from the old folder rather than written (written when it
// cannot be linked).
func (w *dirWriter) rebuild(sub string, files []File, same []bool) error {
	target := filepath.Join(w.dir, filepath.FromSlash(sub))
	tmp := w.sw.stage(sub)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	ours := func(rel string) bool { return w.ours[rel] }
	if w.allOurs {
		// What mlc wrote in the folder is the tree's files there.
		inside := make(map[string]bool, len(files))
		for _, f := range files {
			inside[f.Path] = true
		}
		ours = func(rel string) bool { return inside[rel] }
	}
	if err := carryOver(target, tmp, sub, ours); err != nil {
		return err
	}
	// Folders first, then the files by several workers.
	dirs := map[string]bool{}
	for _, f := range files {
		rel := strings.TrimPrefix(f.Path, sub+"/")
		if d := path.Dir(rel); d != "." && !dirs[d] {
			dirs[d] = true
			if err := os.MkdirAll(filepath.Join(tmp, filepath.FromSlash(d)), 0o755); err != nil {
				return err
			}
		}
	}
	// A worker writes one folder at a time: files created in the same folder at once
	// queue on the folder's lock in the kernel, which costs more than it overlaps.
	var folders []int // index of each folder's first file; a folder's files are together
	for i, f := range files {
		if i == 0 || path.Dir(f.Path) != path.Dir(files[i-1].Path) {
			folders = append(folders, i)
		}
	}
	folders = append(folders, len(files))
	errs := make([]error, len(files))
	parallel(len(folders)-1, w.workers, func(d int) {
		for i := folders[d]; i < folders[d+1]; i++ {
			rel := filepath.FromSlash(strings.TrimPrefix(files[i].Path, sub+"/"))
			to := filepath.Join(tmp, rel)
			if same[i] && os.Link(filepath.Join(target, rel), to) == nil {
				continue
			}
			errs[i] = writeNewFile(to, files[i].Data, 0o644)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	mode := fs.FileMode(0o755)
	if st, err := os.Stat(target); err == nil {
		mode = st.Mode().Perm()
	}
	return os.Chmod(tmp, mode)
}

// commonDir returns the deepest folder that holds every path (slash-separated).
func commonDir(paths []string) string {
	common := strings.Split(path.Dir(paths[0]), "/")
	for _, p := range paths[1:] {
		parts := strings.Split(path.Dir(p), "/")
		n := 0
		for n < len(common) && n < len(parts) && common[n] == parts[n] {
			n++
		}
		common = common[:n]
	}
	if len(common) == 0 {
		return "."
	}
	return strings.Join(common, "/")
}

// parallel calls f(0) … f(n-1) on at most workers goroutines.
func parallel(n, workers int, f func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
}

// carryOver copies into tmp every file, folder and symlink under target (the tree's
// folder top) that mlc did not write, with its mode; ours tells by path in the tree
// (slash-separated) which files mlc wrote. A folder is carried over when it holds
// something carried over, or nothing at all (a user's empty folder): one that held only
// files mlc wrote, such as a removed tenant's, is not.
func carryOver(target, tmp, top string, ours func(rel string) bool) error {
	modes := map[string]fs.FileMode{} // of the folders under target
	full := map[string]bool{}         // the folders that hold anything
	made := map[string]bool{}
	var mkdir func(rel string) error // makes the folder in tmp, and those it is in
	mkdir = func(rel string) error {
		if rel == "." || made[rel] {
			return nil
		}
		if err := mkdir(filepath.Dir(rel)); err != nil {
			return err
		}
		made[rel] = true
		return os.Mkdir(filepath.Join(tmp, rel), modes[rel])
	}
	err := filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == target {
			return filepath.SkipAll
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(target, p)
		if err != nil || rel == "." {
			return err
		}
		full[filepath.Dir(rel)] = true
		to := filepath.Join(tmp, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			modes[rel] = info.Mode().Perm()
			return nil
		case ours(path.Join(top, filepath.ToSlash(rel))):
			return nil
		}
		if err := mkdir(filepath.Dir(rel)); err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, info.Mode().Perm())
	})
	if err != nil {
		return err
	}
	for rel := range modes {
		if !full[rel] {
			if err := mkdir(rel); err != nil {
				return err
			}
		}
	}
	return nil
}

func removeEmptyParents(root, dir string) {
	for dir != root && strings.HasPrefix(dir, root) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// readManifest returns the files listed in the ManifestFile at p, its bytes, and its
// stat taken before it was read, when known.
func readManifest(p string) (ours map[string]bool, listing []byte, st fileStat, known bool, err error) {
	ours = map[string]bool{}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return ours, nil, fileStat{}, false, nil
	}
	if err != nil {
		return nil, nil, fileStat{}, false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fileStat{}, false, err
	}
	st, known = filestat.FromInfo(info)
	if listing, err = io.ReadAll(f); err != nil {
		return nil, nil, fileStat{}, false, err
	}
	// The paths are slices of one string. One that leaves the directory was not written
	// by mlc, whoever wrote it in the list.
	for line := range strings.Lines(string(listing)) {
		if line = strings.TrimSpace(line); line != "" && inTree(line) {
			ours[line] = true
		}
	}
	return ours, listing, st, known && info.Mode().IsRegular(), nil
}

// filePerm returns the mode os.WriteFile(..., 0o644) gives a new file in dir: 0o644 less
// the process's umask, found by creating one.
func filePerm(dir string) (fs.FileMode, error) {
	f, err := os.CreateTemp(dir, ".mlc-perm-")
	if err != nil {
		return 0, err
	}
	name := f.Name()
	f.Close()
	defer os.Remove(name)
	// CreateTemp uses 0o600; a file created with 0o644 tells the umask.
	if err := os.Remove(name); err != nil {
		return 0, err
	}
	g, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, err
	}
	st, err := g.Stat()
	g.Close()
	if err != nil {
		return 0, err
	}
	return st.Mode().Perm(), nil
}
