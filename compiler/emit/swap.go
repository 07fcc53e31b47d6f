package emit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// A tree replaces the one in an output directory in one committed step, for all its
// clusters at once. WriteDir first stages every change in the directory's SwapFolder:
// for each cluster, the folder that holds its changes (or the one file that changed),
// and the new ManifestFile. Then it writes a journal of the steps that put them in place
// and renames it into the swap folder: that rename is the commit. Each step moves one
// path: what is in place is renamed aside into the swap folder, the staged folder or
// file renamed into its place; a file of a cluster no longer rendered is renamed aside.
// Every step can be done again or undone, found done or not by what is where, so that
// Recover, which each writer runs first, finishes a committed swap that a kill
// interrupted, or undoes it if it cannot be finished, and removes an uncommitted one:
// the directory then holds the whole new tree or the whole old one, and nothing staged
// or set aside is left. A swap that fails is undone the same way. This guards against
// the process dying, not the machine: nothing is synced to disk first.
//
// Not symlinks flipped in one rename, which would spare the journal: the cluster folders
// would be links into a hidden folder, which git, Windows, and kustomize's and Flux's
// checks on paths that leave a root each treat their own way, and the files a user keeps
// in a cluster folder would have to move with each render. With the journal every path
// stays a plain folder or file; only a reader that looks during the renames, or after a
// kill and before the next render, can see clusters of both trees.

// SwapFolder, in an output directory, holds what WriteDir stages and sets aside while it
// swaps a tree in. It exists only while WriteDir runs, or after a kill until the next
// Recover.
const SwapFolder = ".mlc-swap"

const (
	journalFile = "journal"
	// journalMagic starts a journal; one of another version is refused, not guessed at.
	journalMagic = "mlc swap journal 1"
)

// swapStep, when not nil, is called before each step of a swap that changes the output
// directory (the commit, each rename, the removal of the journal and of the swap
// folder), numbered from 0; an error it returns fails the step. Tests fail steps, or
// kill the process there.
var swapStep func(step int) error

// opKind is what a step of a swap does.
type opKind string

const (
	opReplace opKind = "replace" // rename the target aside and the staged one into its place
	opRemove  opKind = "remove"  // rename the target aside, and remove the folders left empty
)

// swapOp is a step of a swap. target is a path in the output directory, slash-separated;
// the n-th step's staged folder or file is new-<n> in the swap folder, and what it set
// aside old-<n>.
type swapOp struct {
	kind   opKind
	target string
}

// swap is the swap of a tree into an output directory.
type swap struct {
	dir, folder string // the output directory, and its swap folder
	ops         []swapOp
	committed   bool
	undone      bool // its steps failed and were undone
	removed     bool // the swap folder is removed
	steps       int  // the steps taken, for swapStep
}

// beginSwap makes dir's swap folder, which must not exist: Recover removed any left.
func beginSwap(dir string) (*swap, error) {
	s := &swap{dir: dir, folder: filepath.Join(dir, SwapFolder)}
	if err := os.Mkdir(s.folder, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s exists: another mlc render may be writing %s", s.folder, dir)
		}
		return nil, err
	}
	return s, nil
}

// stage adds a step that puts a folder or file at target (slash-separated) and returns
// where to make it.
func (s *swap) stage(target string) string {
	s.ops = append(s.ops, swapOp{opReplace, target})
	return s.item("new", len(s.ops)-1)
}

// remove adds a step that removes the file at target (slash-separated).
func (s *swap) remove(target string) {
	s.ops = append(s.ops, swapOp{opRemove, target})
}

// item is the path of the n-th step's new or old item in the swap folder.
func (s *swap) item(which string, n int) string {
	return filepath.Join(s.folder, which+"-"+strconv.Itoa(n))
}

func (s *swap) step() error {
	n := s.steps
	s.steps++
	if swapStep != nil {
		return swapStep(n)
	}
	return nil
}

// commit writes the journal of the swap's steps, then takes them and removes the swap
// folder. When a step fails, the steps taken are undone and the directory holds what it
// held before; only when that fails too is the journal left, for Recover.
func (s *swap) commit() error {
	if len(s.ops) == 0 {
		return s.discard()
	}
	tmp := filepath.Join(s.folder, journalFile+".tmp")
	if err := os.WriteFile(tmp, formatJournal(s.ops), 0o644); err != nil {
		return err
	}
	if err := s.step(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(s.folder, journalFile)); err != nil {
		return err
	}
	s.committed = true
	return s.finish()
}

// finish takes the steps of the committed journal, or undoes them if one fails, then
// removes the journal and the swap folder.
func (s *swap) finish() error {
	if err := s.forward(); err != nil {
		if uerr := s.backward(); uerr != nil {
			return fmt.Errorf("putting the new tree in %s: %w; putting the old one back: %v (the next render tries again)", s.dir, err, uerr)
		}
		s.undone = true
		return errors.Join(fmt.Errorf("putting the new tree in %s: %w (it holds the old one)", s.dir, err), s.close())
	}
	return s.close()
}

// close removes the journal, then the swap folder.
func (s *swap) close() error {
	if err := s.step(); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(s.folder, journalFile)); err != nil {
		return err
	}
	s.committed = false
	return s.discard()
}

// discard removes the swap folder with what it holds, unless the swap is committed or
// the folder is removed already.
func (s *swap) discard() error {
	if s.committed || s.removed {
		return nil
	}
	s.removed = true
	if err := s.step(); err != nil {
		return err
	}
	return os.RemoveAll(s.folder)
}

// forward takes each step not taken yet.
func (s *swap) forward() error {
	for n, op := range s.ops {
		target := filepath.Join(s.dir, filepath.FromSlash(op.target))
		newItem, oldItem := s.item("new", n), s.item("old", n)
		if op.kind == opReplace && !exists(newItem) {
			continue // in place
		}
		if op.kind == opRemove && isDir(target) {
			continue // a folder in place of a file mlc wrote is not mlc's
		}
		if exists(target) {
			if exists(oldItem) {
				return fmt.Errorf("%s is back, although mlc set it aside", target)
			}
			if err := s.rename(target, oldItem); err != nil {
				return err
			}
		}
		if op.kind == opRemove {
			if err := s.removeEmptyFolders(filepath.Dir(target)); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := s.rename(newItem, target); err != nil {
			return err
		}
	}
	return nil
}

// backward undoes the steps taken, last first.
func (s *swap) backward() error {
	for n := len(s.ops) - 1; n >= 0; n-- {
		op := s.ops[n]
		target := filepath.Join(s.dir, filepath.FromSlash(op.target))
		newItem, oldItem := s.item("new", n), s.item("old", n)
		if op.kind == opReplace && !exists(newItem) && exists(target) {
			if err := s.rename(target, newItem); err != nil {
				return err
			}
		}
		if exists(oldItem) {
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := s.rename(oldItem, target); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeEmptyFolders removes dir and the folders above it, up to the output directory,
// while they are empty. A folder already gone is passed over, not taken for the end: a
// kill between two removals leaves the upper folders for Recover to remove.
func (s *swap) removeEmptyFolders(dir string) error {
	for dir != s.dir && strings.HasPrefix(dir, s.dir+string(filepath.Separator)) {
		if exists(dir) {
			if err := s.step(); err != nil {
				return err
			}
			if os.Remove(dir) != nil {
				return nil // not empty: a file the user keeps, or one of the tree
			}
		}
		dir = filepath.Dir(dir)
	}
	return nil
}

func (s *swap) rename(from, to string) error {
	if err := s.step(); err != nil {
		return err
	}
	return os.Rename(from, to)
}

// exists tells whether there is anything at p (an error other than not existing counts
// as something, which the rename that follows reports).
func exists(p string) bool {
	_, err := os.Lstat(p)
	return !errors.Is(err, fs.ErrNotExist)
}

func isDir(p string) bool {
	st, err := os.Lstat(p)
	return err == nil && st.IsDir()
}

// Recover finishes, in the output directory dir, the swap of a tree that a killed
// WriteDir committed (or undoes it, if it cannot be finished), or removes what it staged
// when it did not commit: dir then holds one whole tree, and no swap folder. Without a
// swap folder, which is all it looks at then, it does nothing. WriteDir runs it first; a
// caller that looks at dir before WriteDir does runs it before that, holding the
// directory's lock (package dirlock) against other writers.
func Recover(dir string) error {
	folder := filepath.Join(dir, SwapFolder)
	st, err := os.Lstat(folder)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return linkError(folder) // planted: mlc makes a folder
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: mlc did not make this; move it away", folder)
	}
	s := &swap{dir: dir, folder: folder}
	journal := filepath.Join(folder, journalFile)
	data, err := os.ReadFile(journal)
	if errors.Is(err, fs.ErrNotExist) {
		return os.RemoveAll(folder) // not committed
	}
	if err != nil {
		return err
	}
	if s.ops, err = parseJournal(data); err != nil {
		return fmt.Errorf("%s: %w", journal, err)
	}
	// A link planted in a folder since the swap was checked would lead the renames out.
	folders := newFolderCheck(dir)
	if err := folders.folders(func(yield func(string) bool) {
		for _, op := range s.ops {
			if !yield(op.target) {
				return
			}
		}
	}); err != nil {
		return err
	}
	s.committed = true
	err = s.finish()
	if s.undone && !exists(folder) {
		return nil // dir holds the old tree; the render that follows meets the failure again
	}
	return err
}

// formatJournal writes the journal of a swap's steps: a line of journalMagic, a line
// per step (its kind and its target, quoted), and a line "end".
func formatJournal(ops []swapOp) []byte {
	var b strings.Builder
	b.WriteString(journalMagic + "\n")
	for _, op := range ops {
		fmt.Fprintf(&b, "%s %s\n", op.kind, strconv.Quote(op.target))
	}
	b.WriteString("end\n")
	return []byte(b.String())
}

// parseJournal reads the steps of a journal formatJournal wrote.
func parseJournal(data []byte) ([]swapOp, error) {
	lines := strings.Split(string(data), "\n")
	n := len(lines)
	if n < 3 || lines[0] != journalMagic || lines[n-2] != "end" || lines[n-1] != "" {
		return nil, errors.New("not a journal of this version of mlc; finish the render with the mlc that began it")
	}
	ops := make([]swapOp, 0, n-3)
	for i, line := range lines[1 : n-2] {
		kind, quoted, _ := strings.Cut(line, " ")
		target, err := strconv.Unquote(quoted)
		if err != nil || (opKind(kind) != opReplace && opKind(kind) != opRemove) || !inTree(target) {
			return nil, fmt.Errorf("line %d: not a step mlc takes", i+2)
		}
		ops = append(ops, swapOp{opKind(kind), target})
	}
	return ops, nil
}

// inTree tells whether a journal's target is a clean path inside the output directory,
// out of the swap folder: a journal written by someone else must not move anything
// elsewhere.
func inTree(target string) bool {
	return target != "" && path.Clean(target) == target && filepath.IsLocal(filepath.FromSlash(target)) &&
		!strings.ContainsRune(target, '\\') && strings.Split(target, "/")[0] != SwapFolder
}
