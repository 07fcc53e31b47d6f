//go:build linux || darwin

package filestat

import (
	"io/fs"
	"syscall"
)

// Supported tells whether Lstat gives a Stat here. Where it does not, no file can be
// vouched for by its stat, and every file must be read.
const Supported = true

// Lstat returns the stat of the file at p, without following a symlink; false when
// there is none.
func Lstat(p string) (Stat, bool) {
	var st syscall.Stat_t
	for {
		err := syscall.Lstat(p, &st)
		if err == nil {
			return statOf(&st), true
		}
		if err != syscall.EINTR {
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
