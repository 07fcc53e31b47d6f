//go:build !(linux || darwin)

package cache

import (
	"os"
	"time"
)

// entryFile is an entry opened for reading.
type entryFile struct{ *os.File }

func openEntry(p string) (entryFile, error) {
	f, err := os.Open(p)
	return entryFile{f}, err
}

// stat returns the file's size and modification time.
func (f entryFile) stat() (int64, time.Time, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, time.Time{}, err
	}
	return st.Size(), st.ModTime(), nil
}
