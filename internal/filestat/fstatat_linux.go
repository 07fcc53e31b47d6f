//go:build linux && (amd64 || arm64)

package filestat

import (
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// lstatAt is unix.Fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) without the copy of
// name it allocates: a render looks at tens of thousands of files. The name is made a
// C string in a buffer on the stack; a longer one takes unix.Fstatat.
func lstatAt(dirfd int, name string, st *unix.Stat_t) error {
	var buf [512]byte
	if len(name) >= len(buf) || strings.IndexByte(name, 0) >= 0 {
		return unix.Fstatat(dirfd, name, st, unix.AT_SYMLINK_NOFOLLOW)
	}
	copy(buf[:], name) // the rest of buf is zero: the name ends there
	_, _, errno := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(dirfd), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
