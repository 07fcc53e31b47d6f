//go:build unix

package load

import "syscall"

// openNonBlocking opens a named pipe without waiting for a writer, so that reading the
// repository never blocks on one (it is then refused as not a regular file).
const openNonBlocking = syscall.O_NONBLOCK
