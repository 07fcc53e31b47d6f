//go:build !(linux || darwin)

package emit

import (
	"bytes"
	"io"
	"io/fs"
	"os"
)

// sameFile tells whether p is a regular file, not a symlink, of mode perm that holds
// exactly data; buf has room for len(data)+1 bytes. Its stat is never known here.
func sameFile(p string, data []byte, perm fs.FileMode, buf []byte) (fileStat, bool) {
	st, err := os.Lstat(p)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != perm || st.Size() != int64(len(data)) {
		return fileStat{}, false
	}
	f, err := os.Open(p)
	if err != nil {
		return fileStat{}, false
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	return fileStat{}, err == io.ErrUnexpectedEOF && n == len(data) && bytes.Equal(buf[:n], data)
}
