//go:build !(linux || darwin)

package emit

import (
	"io"
	"io/fs"
	"os"
)

// sameFile tells whether p is a regular file, not a symlink, of mode perm, whose bytes
// satisfy same; size, when not negative, is the size they must have. *buf holds them.
// Its stat is never known here.
func sameFile(p string, size int, perm fs.FileMode, buf *[]byte, same func([]byte) bool) (fileStat, bool) {
	st, err := os.Lstat(p)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != perm || size >= 0 && st.Size() != int64(size) || st.Size() > 1<<30 {
		return fileStat{}, false
	}
	f, err := os.Open(p)
	if err != nil {
		return fileStat{}, false
	}
	defer f.Close()
	if cap(*buf) < int(st.Size())+1 {
		*buf = make([]byte, st.Size()+1)
	}
	b := (*buf)[:st.Size()+1]
	n, err := io.ReadFull(f, b)
	return fileStat{}, err == io.ErrUnexpectedEOF && int64(n) == st.Size() && same(b[:n])
}
