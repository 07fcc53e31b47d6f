//go:build linux || darwin

package emit

import (
	"io/fs"
	"syscall"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// sameFile tells whether p is a regular file, not a symlink, of mode perm, whose bytes
// satisfy same; size, when not negative, is the size they must have. *buf holds them
// (grown as need be). When they do, st is the file's stat, taken before its bytes were
// read, for the index. It makes the system calls itself (open, fstat, read, close):
// os.Open also registers each file with the runtime's poller and sets a finalizer,
// which doubled the time to compare a tree of 25,000 files.
func sameFile(p string, size int, perm fs.FileMode, buf *[]byte, same func([]byte) bool) (st fileStat, ok bool) {
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
	if !st.IsFile(perm) || size >= 0 && st.Size != uint64(size) || st.Size > 1<<30 {
		return fileStat{}, false
	}
	// Read one byte more than the size, to see the file end where it does.
	if cap(*buf) < int(st.Size)+1 {
		*buf = make([]byte, st.Size+1)
	}
	b := (*buf)[:st.Size+1]
	n := 0
	for n < len(b) {
		k, err := syscall.Read(fd, b[n:])
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
	if uint64(n) != st.Size || !same(b[:n]) {
		return fileStat{}, false
	}
	return st, true
}
