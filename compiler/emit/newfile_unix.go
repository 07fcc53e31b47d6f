//go:build unix

package emit

import (
	"errors"
	"io/fs"
	"syscall"
)

// writeNewFile writes data to a file at name, which must not exist, with mode perm less
// the umask, as os.WriteFile would. It makes the three system calls that takes (open,
// write, close) and not os.File's others (registering with the poller, querying the
// file): a render writes tens of thousands of files, and they added up to a noticeable
// share of its time.
func writeNewFile(name string, data []byte, perm fs.FileMode) error {
	fd, err := ignoringEINTR(func() (int, error) {
		return syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, uint32(perm.Perm()))
	})
	if err != nil {
		return &fs.PathError{Op: "open", Path: name, Err: err}
	}
	for len(data) > 0 && err == nil {
		var n int
		n, err = ignoringEINTR(func() (int, error) { return syscall.Write(fd, data) })
		data = data[n:]
	}
	if cerr := syscall.Close(fd); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: name, Err: err}
	}
	return nil
}

func ignoringEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if !errors.Is(err, syscall.EINTR) {
			return max(n, 0), err
		}
	}
}
