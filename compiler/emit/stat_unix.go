//go:build linux || darwin

package emit

import (
	"io/fs"
	"syscall"
)

// statSupported tells whether lstat gives what the index records, so that it can vouch
// for a file without reading it.
const statSupported = true

// lstat returns what the index records of the file at p, without following a symlink.
func lstat(p string) (fileStat, bool) {
	var st syscall.Stat_t
	for {
		err := syscall.Lstat(p, &st)
		if err == nil {
			return statOf(&st), true
		}
		if err != syscall.EINTR {
			return fileStat{}, false
		}
	}
}

// isFile tells whether s is of a regular file of mode perm.
func (s fileStat) isFile(perm fs.FileMode) bool {
	return uint32(s.mode)&syscall.S_IFMT == syscall.S_IFREG && fs.FileMode(s.mode&0o777) == perm
}

// statOfInfo returns what the index records of the file info describes.
func statOfInfo(info fs.FileInfo) (fileStat, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	return statOf(st), true
}
