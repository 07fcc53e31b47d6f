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
	"sync/atomic"
	"time"

	"github.com/mlc-gitops/mlc/internal/parallel"
	"github.com/mlc-gitops/mlc/internal/statindex"
)

// ManifestFile, in an output directory, lists the files mlc wrote there, so the next
// render replaces exactly those and leaves every other file alone.
const ManifestFile = ".mlc-files"

// WriteStream writes the clusters' objects as one YAML stream. With more than one
// cluster, each cluster's part starts with a comment naming it.
func (t *Tree) WriteStream(w io.Writer) error {
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
	index string
	now   func() time.Time // stamps the index
	reads *int             // when set, gets the number of files read to compare them
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

// withClock makes WriteDir stamp its index by now: tests move the clock ahead so that
// the index trusts the stats of files just written.
func withClock(now func() time.Time) WriteOption {
	return func(o *writeOptions) { o.now = now }
}

// withReads makes WriteDir set *n to the number of files it read to compare them.
func withReads(n *int) WriteOption {
	return func(o *writeOptions) { o.reads = n }
}

// WriteDir writes the tree into dir, all its clusters in one committed step: after a
// failure, or a kill at any instant followed by Recover (which WriteDir runs first), dir
// holds the whole old tree or the whole new one (see SwapFolder). Only the cluster
// folders and the ManifestFile are changed; the caller keeps other writers out of dir
// (package dirlock). Inside them, files and folders mlc did not write (those its
// ManifestFile does not list) are carried over as they are; a tree file that would
// overwrite one of them is an error, and then nothing is written at all. Files of
// clusters mlc wrote before and no longer renders are removed.
//
// Over a tree mlc wrote, only what changed is written. Each file mlc wrote is compared
// with the tree's (bytes and mode), by reading it or, with WithIndex, by its lstat as
// the index recorded it. In each cluster, the smallest folder that holds every
// difference is staged anew and swapped into its place, the unchanged files hard-linked
// into it; a single changed file is staged alone; a cluster whose files are all the
// same is not written at all.
func (t *Tree) WriteDir(dir string, opts ...WriteOption) error {
	o := writeOptions{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	dir, err := prepareDir(dir)
	if err != nil {
		return err
	}
	w := &dirWriter{dir: dir, files: t.Files, workers: ioWorkers()}
	if o.index != "" {
		stamp := o.now() // before any file is looked at
		w.old, w.oldTime = readIndex(o.index, dir)
		w.next = statindex.New(stamp)
	}
	if err := w.readOurs(); err != nil {
		return err
	}
	if err := w.checkPaths(); err != nil {
		return err
	}
	if w.sw, err = beginSwap(dir); err != nil {
		return err
	}
	defer w.sw.discard() // unless committed
	if w.perm, err = filePerm(w.sw.folder); err != nil {
		return err
	}
	w.compare()
	if o.reads != nil {
		*o.reads = int(w.reads.Load())
	}
	changed := slices.Contains(w.same, false) || !w.sameListing
	if changed && o.index != "" && removeIndex(o.index) != nil {
		w.next = nil // an index must not outlive a write that fails half-way
	}
	if changed {
		if err := w.stageChanges(); err != nil {
			return err
		}
	}
	if err := w.sw.commit(); err != nil {
		return err
	}
	w.saveIndex(o.index, changed, o.now)
	return nil
}

// prepareDir makes the output directory dir if need be, and returns its absolute path
// with links resolved, after finishing a swap a killed WriteDir left there (Recover).
func prepareDir(dir string) (string, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return "", fmt.Errorf("%s exists and is not a directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// dir itself may be a link, or lie under one (out -> /mnt/out): the user named it.
	// Below it mlc follows no link to a folder (folderCheck).
	real, err := filepath.EvalSymlinks(dir)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		return "", err
	}
	return real, Recover(real)
}

// ioWorkers is how many files are compared or written at once: the work is mostly system
// calls, which overlap a little beyond the cores.
func ioWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

// dirWriter writes the files of a tree into dir.
type dirWriter struct {
	dir     string
	files   []File
	workers int
	// ours lists the files mlc wrote in dir before (the ManifestFile), unless allOurs
	// says they are the tree's files.
	ours    map[string]bool
	allOurs bool
	// listing is the ManifestFile of the tree; sameListing tells that dir holds it.
	listing     []byte
	sameListing bool
	// perm is the mode a file mlc writes gets (0o644 less the umask); a file of another
	// mode is written again.
	perm fs.FileMode
	// old is the index of dir read, next the one to be written; nil without an index.
	old, next *statindex.Index
	oldTime   time.Time // when the old index was written
	// same tells, by file, that dir holds it already; reads counts the files read to
	// tell. For the next index, entries[i] records the i-th file when set.
	same    []bool
	reads   atomic.Int64
	entries []*statindex.Entry
	// sw is the swap the changes are staged in.
	sw *swap
}

// path returns the path in dir of rel, a path of the tree.
func (w *dirWriter) path(rel string) string { return filepath.Join(w.dir, filepath.FromSlash(rel)) }

func (w *dirWriter) isOurs(rel string) bool { return w.allOurs || w.ours[rel] }

// readOurs finds the files mlc wrote in dir before: those the ManifestFile lists, or the
// tree's when the index tells that the ManifestFile lists exactly them.
func (w *dirWriter) readOurs() error {
	paths := make([]string, len(w.files))
	for i, f := range w.files {
		paths[i] = f.Path
	}
	slices.Sort(paths)
	w.listing = []byte(strings.Join(paths, "\n") + "\n")
	sum := sha256.Sum256(w.listing)
	p := filepath.Join(w.dir, ManifestFile)
	if st, ok := statindex.Lstat(p); ok && st.Mode.IsRegular() {
		if old, ok := w.old.Lookup(ManifestFile, st); ok && old == sum {
			w.allOurs, w.sameListing = true, true
			w.next.Add(ManifestFile, st, sum)
			return nil
		}
	}
	ours, data, st, err := readManifest(p)
	if err != nil {
		return err
	}
	w.ours, w.sameListing = ours, bytes.Equal(data, w.listing)
	if w.sameListing && w.next != nil {
		w.next.Add(ManifestFile, st, sum)
	}
	return nil
}

// readManifest returns the files listed in the ManifestFile at p, its bytes, and its
// stat taken before it was read.
func readManifest(p string) (ours map[string]bool, listing []byte, st statindex.Stat, err error) {
	ours = map[string]bool{}
	f, err := os.OpenFile(p, os.O_RDONLY|openFlags, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return ours, nil, st, nil
	}
	if err != nil {
		return nil, nil, st, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, st, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, st, fmt.Errorf("%s: mlc did not make this; move it away", p)
	}
	st, _ = statindex.FromInfo(info)
	if listing, err = io.ReadAll(f); err != nil {
		return nil, nil, st, err
	}
	// A path that leaves the directory was not written by mlc, whoever listed it.
	for line := range strings.Lines(string(listing)) {
		if line = strings.TrimSpace(line); line != "" && inTree(line) {
			ours[line] = true
		}
	}
	return ours, listing, st, nil
}

// checkPaths refuses, before anything is written, a symlink at a folder mlc writes in,
// removes from or copies from, and a file of the tree in place of one mlc did not write.
// A file whose folder does not exist cannot be there: folders are looked at once each,
// not every file of a new tree.
func (w *dirWriter) checkPaths() error {
	folders := newFolderCheck(w.dir)
	var folder string
	var there bool // the folder exists
	for i, f := range w.files {
		if d := path.Dir(f.Path); i == 0 || d != folder {
			var err error
			folder = d
			if there, err = folders.folder(folder); err != nil {
				return err
			}
		}
		if !there || w.isOurs(f.Path) {
			continue
		}
		if p := w.path(f.Path); isThere(p) {
			return fmt.Errorf("%s: mlc did not write this file and will not overwrite it; move it, or render to another directory", p)
		}
	}
	return folders.folders(maps.Keys(w.ours))
}

// isThere tells whether there is a file, folder or link at p.
func isThere(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// compare finds which files of the tree dir holds already, on several workers.
func (w *dirWriter) compare() {
	w.same = make([]bool, len(w.files))
	w.entries = make([]*statindex.Entry, len(w.files))
	parallel.For(len(w.files), w.workers, w.compareFile)
}

// compareFile tells whether dir holds the i-th file: by its stat, when the old index
// recorded it and trusts it, else by reading it.
func (w *dirWriter) compareFile(i int) {
	f := &w.files[i]
	if !w.isOurs(f.Path) {
		return
	}
	p := w.path(f.Path)
	if w.old != nil {
		st, ok := statindex.Lstat(p)
		if ok && st.Mode.IsRegular() && st.Mode.Perm() == w.perm {
			if old, ok := w.old.Lookup(f.Path, st); ok {
				// The file holds the bytes of the old sum: the tree's, or others.
				sum := sha256.Sum256(f.Data)
				if w.same[i] = old == sum; w.same[i] {
					w.entries[i] = &statindex.Entry{Stat: st, Sum: sum}
				}
				return
			}
		}
	}
	w.reads.Add(1)
	st, same := sameFile(p, f.Data, w.perm)
	if w.same[i] = same; same && w.next != nil {
		w.entries[i] = &statindex.Entry{Stat: st, Sum: sha256.Sum256(f.Data)}
	}
}

// sameFile tells whether the file at p is a regular file (not a symlink) of mode perm
// holding exactly data, with its stat, taken before it was read.
func sameFile(p string, data []byte, perm fs.FileMode) (statindex.Stat, bool) {
	f, err := os.OpenFile(p, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return statindex.Stat{}, false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() || info.Mode().Perm() != perm || info.Size() != int64(len(data)) {
		return statindex.Stat{}, false
	}
	st, _ := statindex.FromInfo(info)
	// A byte more than expected, to see the file end where it should.
	b := make([]byte, len(data)+1)
	n, err := io.ReadFull(f, b)
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(b[:n], data) {
		return statindex.Stat{}, false
	}
	return st, true
}

// stageChanges stages, cluster folder by cluster folder, what differs in dir, and, when
// the ManifestFile changes, the removal of the files of clusters no longer rendered and
// the new ManifestFile.
func (w *dirWriter) stageChanges() error {
	clusters := map[string][]int{} // the files of each cluster folder, by index
	for i, f := range w.files {
		top, _, _ := strings.Cut(f.Path, "/")
		clusters[top] = append(clusters[top], i)
	}
	for _, top := range slices.Sorted(maps.Keys(clusters)) {
		if err := w.update(top, clusters[top]); err != nil {
			return err
		}
	}
	if w.sameListing {
		return nil
	}
	for _, rel := range slices.Sorted(maps.Keys(w.ours)) {
		top, _, _ := strings.Cut(rel, "/")
		if _, kept := clusters[top]; !kept {
			w.sw.remove(rel)
		}
	}
	return os.WriteFile(w.sw.stage(ManifestFile), w.listing, 0o644)
}

// update stages what differs in the cluster folder top, whose files are the idx-th of
// the tree: the one changed file alone, or else the smallest folder that holds every
// change. The index forgets the files it writes or links.
func (w *dirWriter) update(top string, idx []int) error {
	var changed []string
	last := -1
	for _, i := range idx {
		if !w.same[i] {
			changed = append(changed, w.files[i].Path)
			last = i
		}
	}
	removed := w.gone(top, idx)
	if len(changed)+len(removed) == 0 {
		return nil
	}
	if len(changed) == 1 && len(removed) == 0 && w.replaceable(changed[0]) {
		return os.WriteFile(w.sw.stage(changed[0]), w.files[last].Data, 0o644)
	}
	sub := commonDir(append(changed, removed...))
	if !strings.HasPrefix(sub+"/", top+"/") {
		sub = top
	}
	for sub != top && !isDir(w.path(sub)) {
		sub = path.Dir(sub)
	}
	var inside []int
	for _, i := range idx {
		if strings.HasPrefix(w.files[i].Path, sub+"/") {
			inside = append(inside, i)
			w.entries[i] = nil
		}
	}
	return w.rebuild(sub, inside)
}

// gone returns the files mlc wrote in the cluster folder top that the tree, whose
// files there are the idx-th, no longer has and that are still there.
func (w *dirWriter) gone(top string, idx []int) []string {
	if w.sameListing {
		return nil
	}
	rendered := make(map[string]bool, len(idx))
	for _, i := range idx {
		rendered[w.files[i].Path] = true
	}
	var gone []string
	for rel := range w.ours {
		if strings.HasPrefix(rel, top+"/") && !rendered[rel] && exists(w.path(rel)) {
			gone = append(gone, rel)
		}
	}
	return gone
}

// replaceable tells whether the file rel can be staged alone: its folder is a folder,
// inside a cluster folder, and no folder is in its place.
func (w *dirWriter) replaceable(rel string) bool {
	p := w.path(rel)
	return path.Dir(rel) != "." && isDir(filepath.Dir(p)) && !isDir(p)
}

// rebuild stages the folder dir/sub (slash-separated, inside a cluster folder) anew with
// the idx-th files of the tree, keeping what mlc did not write there. A file dir holds
// already is hard-linked from the old folder (written when it cannot be).
func (w *dirWriter) rebuild(sub string, idx []int) error {
	target := w.path(sub)
	tmp := w.sw.stage(sub)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	ours := w.isOurs
	if w.allOurs {
		// What mlc wrote in the folder is the tree's files there.
		inside := make(map[string]bool, len(idx))
		for _, i := range idx {
			inside[w.files[i].Path] = true
		}
		ours = func(rel string) bool { return inside[rel] }
	}
	if err := carryOver(target, tmp, sub, ours); err != nil {
		return err
	}
	// A worker writes one folder at a time: files made in one folder at once queue on
	// the folder's lock in the kernel.
	var folders [][]int // the files of each folder, together in the tree
	for k, i := range idx {
		if k == 0 || path.Dir(w.files[i].Path) != path.Dir(w.files[idx[k-1]].Path) {
			folders = append(folders, nil)
		}
		folders[len(folders)-1] = append(folders[len(folders)-1], i)
	}
	errs := make([]error, len(folders))
	parallel.For(len(folders), w.workers, func(d int) {
		errs[d] = w.writeFolder(sub, target, tmp, folders[d])
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

// writeFolder writes the idx-th files of the tree, all in one folder under sub, into
// tmp, the folder staged for target: a file dir holds already is hard-linked from
// target.
func (w *dirWriter) writeFolder(sub, target, tmp string, idx []int) error {
	rel := func(i int) string { return filepath.FromSlash(strings.TrimPrefix(w.files[i].Path, sub+"/")) }
	if err := os.MkdirAll(filepath.Dir(filepath.Join(tmp, rel(idx[0]))), 0o755); err != nil {
		return err
	}
	for _, i := range idx {
		to := filepath.Join(tmp, rel(i))
		if w.same[i] && os.Link(filepath.Join(target, rel(i)), to) == nil {
			continue
		}
		if err := os.WriteFile(to, w.files[i].Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// saveIndex writes the next index to p, unless it records what the old one does: then
// the old one is only marked used, now and then, for the cache's Trim to keep it.
func (w *dirWriter) saveIndex(p string, changed bool, now func() time.Time) {
	if w.next == nil {
		return
	}
	if !changed && w.allOurs && w.reads.Load() == 0 {
		if at := now(); at.Sub(w.oldTime) > time.Hour {
			_ = os.Chtimes(p, at, at)
		}
		return
	}
	for i, e := range w.entries {
		if e != nil {
			w.next.Add(w.files[i].Path, e.Stat, e.Sum)
		}
	}
	_ = writeIndex(p, w.dir, w.next)
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
