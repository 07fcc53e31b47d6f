//go:build linux || darwin

package cache

import (
	"io"
	"syscall"
	"time"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// entryFile is an entry opened for reading with plain system calls: a warm render reads
// a thousand entries' heads, and os.File's extra calls (registering with the poller,
// its finalizer) were a good part of that.
type entryFile struct{ fd int }

func openEntry(p string) (entryFile, error) {
	for {
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return entryFile{fd}, err
		}
	}
}

// ReadAt implements io.ReaderAt.
func (f entryFile) ReadAt(b []byte, off int64) (int, error) {
	read := 0
	for read < len(b) {
		n, err := syscall.Pread(f.fd, b[read:], off+int64(read))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return read, err
		}
		if n == 0 {
			return read, io.EOF
		}
		read += n
	}
	return read, nil
}

// stat returns the file's size and modification time.
func (f entryFile) stat() (int64, time.Time, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(f.fd, &st); err != nil {
		return 0, time.Time{}, err
	}
	s := filestat.FromSys(&st)
	return int64(s.Size), time.Unix(0, s.Mtime), nil
}

func (f entryFile) Close() error { return syscall.Close(f.fd) }
