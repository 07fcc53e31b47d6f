//go:build !(linux || darwin)

package filestat

import "io/fs"

// Supported is false here: no file is vouched for by its stat; every one is read.
const Supported = false

// Lstat gives nothing here (see Supported).
func Lstat(string) (Stat, bool) { return Stat{}, false }

// IsFile is false here (see Supported).
func (Stat) IsFile(fs.FileMode) bool { return false }

// IsDir is false here (see Supported).
func (Stat) IsDir() bool { return false }

// IsRegular is false here (see Supported).
func (Stat) IsRegular() bool { return false }

// FromInfo gives nothing here (see Supported).
func FromInfo(fs.FileInfo) (Stat, bool) { return Stat{}, false }

// Dir is an open folder (see Supported: none can be opened here).
type Dir struct{}

// OpenDir opens nothing here (see Supported).
func OpenDir(string) (Dir, bool) { return Dir{}, false }

// Lstat gives nothing here (see Supported).
func (Dir) Lstat(string) (Stat, bool) { return Stat{}, false }

// Close does nothing here.
func (Dir) Close() {}
