//go:build unix

package emit

import "syscall"

// openFlags keep the comparison of a file from following a symlink put in its place,
// or blocking on a FIFO.
const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
