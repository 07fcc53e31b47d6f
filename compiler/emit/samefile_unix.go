//go:build linux || darwin

package emit

import (
	"bytes"
	"io/fs"
	"syscall"
)

// sameFile tells whether p is a regular file, not a symlink, of mode perm that holds
// exactly data; buf has room for len(data)+1 bytes. It makes the system calls itself
// (open, fstat, read, close): os.Open also registers each file with the runtime's poller
// and sets a finalizer, which doubled the time to compare a tree of 25,000 files.
func sameFile(p string, data []byte, perm fs.FileMode, buf []byte) bool {
	var fd int
	var err error
	for {
		// O_NONBLOCK: a FIFO in the way must not block the render.
		fd, err = syscall.Open(p, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil ||
		uint32(st.Mode)&syscall.S_IFMT != syscall.S_IFREG ||
		fs.FileMode(uint32(st.Mode)&0o777) != perm ||
		st.Size != int64(len(data)) {
		return false
	}
	// The size matched; read one byte more than data, to see the file end where it does.
	n := 0
	for n < len(buf) {
		k, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		if k == 0 {
			break
		}
		n += k
	}
	return n == len(data) && bytes.Equal(buf[:n], data)
}
