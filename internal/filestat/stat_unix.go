//go:build linux || darwin

package filestat

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// Supported tells whether Lstat gives a Stat here. Where it does not, no file can be
// vouched for by its stat, and every file must be read.
const Supported = true

// Lstat returns the stat of the file at p, without following a symlink; false when
// there is none.
func Lstat(p string) (Stat, bool) {
	var st unix.Stat_t
	for {
		err := lstatAt(unix.AT_FDCWD, p, &st)
		if err == nil {
			return statOfUnix(&st), true
		}
		if err != unix.EINTR {
			return Stat{}, false
		}
	}
}

// IsFile tells whether s is of a regular file of mode perm.
func (s Stat) IsFile(perm fs.FileMode) bool {
	return uint32(s.Mode)&syscall.S_IFMT == syscall.S_IFREG && fs.FileMode(s.Mode&0o777) == perm
}

// IsRegular tells whether s is of a regular file.
func (s Stat) IsRegular() bool { return uint32(s.Mode)&syscall.S_IFMT == syscall.S_IFREG }

// IsDir tells whether s is a directory's.
func (s Stat) IsDir() bool { return uint32(s.Mode)&syscall.S_IFMT == syscall.S_IFDIR }

// FromInfo returns the stat that info describes (from os.Stat, os.Lstat, File.Stat).
func FromInfo(info fs.FileInfo) (Stat, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return Stat{}, false
	}
	return statOf(st), true
}

// FromSys returns the stat the system's stat structure describes (from syscall.Fstat).
func FromSys(st *syscall.Stat_t) Stat { return statOf(st) }

// Dir is an open folder whose files Lstat looks at by name. The kernel then resolves
// the folder's path once for all of them, not once a file.
type Dir struct {
	fd   int
	open bool
}

// OpenDir opens the folder at p, following symlinks as a path through it would; false
// when p is not a folder that can be opened. A Dir it opens must be closed.
func OpenDir(p string) (Dir, bool) {
	for {
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			return Dir{fd, true}, true
		}
		if err != unix.EINTR {
			return Dir{}, false
		}
	}
}

// Lstat returns the stat of the file of that name in d, or at that path relative to d,
// without following a symlink: the same as Lstat of the file's path; false when there
// is none.
func (d Dir) Lstat(name string) (Stat, bool) {
	if !d.open {
		return Stat{}, false
	}
	var st unix.Stat_t
	for {
		err := lstatAt(d.fd, name, &st)
		if err == nil {
			return statOfUnix(&st), true
		}
		if err != unix.EINTR {
			return Stat{}, false
		}
	}
}

// Close closes d; it does nothing to a Dir OpenDir did not open.
func (d Dir) Close() {
	if d.open {
		unix.Close(d.fd)
	}
}
