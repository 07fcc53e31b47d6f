//go:build !unix

package emit

import (
	"io/fs"
	"os"
)

// writeNewFile writes data to a file at name, which must not exist, with mode perm less
// the umask, as os.WriteFile would.
func writeNewFile(name string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
