//go:build linux || darwin

package emit

import (
	"bytes"
	"io/fs"
	"syscall"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// sameFile tells whether p is a regular file, not a symlink, of mode perm that holds
// exactly data; buf has room for len(data)+1 bytes. When it does, st is the file's stat,
// taken before its bytes were read, for the index. It makes the system calls itself
// (open, fstat, read, close): os.Open also registers each file with the runtime's poller
// and sets a finalizer, which doubled the time to compare a tree of 25,000 files.
func sameFile(p string, data []byte, perm fs.FileMode, buf []byte) (st fileStat, same bool) {
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
		return fileStat{}, false
	}
	defer syscall.Close(fd)
	var sys syscall.Stat_t
	if err := syscall.Fstat(fd, &sys); err != nil {
		return fileStat{}, false
	}
	st = filestat.FromSys(&sys)
	if !st.IsFile(perm) || st.Size != uint64(len(data)) {
		return fileStat{}, false
	}
	// The size matched; read one byte more than data, to see the file end where it does.
	n := 0
	for n < len(buf) {
		k, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fileStat{}, false
		}
		if k == 0 {
			break
		}
		n += k
	}
	if n != len(data) || !bytes.Equal(buf[:n], data) {
		return fileStat{}, false
	}
	return st, true
}
