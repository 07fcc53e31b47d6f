//go:build (linux || darwin) && !(linux && (amd64 || arm64))

package filestat

import "golang.org/x/sys/unix"

// lstatAt is unix.Fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW).
func lstatAt(dirfd int, name string, st *unix.Stat_t) error {
	return unix.Fstatat(dirfd, name, st, unix.AT_SYMLINK_NOFOLLOW)
}
