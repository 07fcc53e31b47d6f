package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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

// ReadFile reads the file rel of the repository at root, if it is one mlc reads: a
// regular file, or a symlink to one inside the repository, of at most MaxFileSize.
// Whatever else it is, it is neither waited on (a named pipe is opened without
// blocking) nor read past the limit.
func ReadFile(root, rel string) ([]byte, error) {
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

// ReadFunc reads the file rel of a repository (relative to its root, with forward
// slashes), as ReadFile does.
type ReadFunc func(rel string) ([]byte, error)

// sourceFile holds the bytes of one of the repository's files, read once.
type sourceFile struct {
	once sync.Once
	data []byte
	err  error
}

// source returns the bytes of one of the repository's files, read on first use.
func (e *Evaluator) source(name string) ([]byte, error) {
	e.mu.Lock()
	f, ok := e.sources[name]
	if !ok && e.listed[name] {
		f = new(sourceFile)
		e.sources[name] = f
	}
	e.mu.Unlock()
	if f == nil {
		return nil, fmt.Errorf("%s is not a file of the repository", name)
	}
	f.once.Do(func() { f.data, f.err = e.read(name) })
	return f.data, f.err
}

// readPlatform reads the platform files; it returns the errors of those that could not
// be read, except those mlc refuses to read, which are reported at the file when it is
// parsed.
func (e *Evaluator) readPlatform() error {
	var errs []error
	for _, name := range e.repo.PlatformFiles {
		if _, err := e.source(name); err != nil && !refused(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// refused tells whether err is a file mlc does not read (RefusedFileError).
func refused(err error) bool {
	var r *RefusedFileError
	return errors.As(err, &r)
}
