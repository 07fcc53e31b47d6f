//go:build !(linux || darwin)

package emit

import "io/fs"

// statSupported is false here: the index is neither read nor written, and every file
// is compared by reading it.
const statSupported = false

func lstat(string) (fileStat, bool) { return fileStat{}, false }

func (fileStat) isFile(fs.FileMode) bool { return false }

func statOfInfo(fs.FileInfo) (fileStat, bool) { return fileStat{}, false }
