// Package filestat tells whether a file is still the one seen before from what lstat
// says of it, as git's index does: its size, mode, device, inode and modification and
// change times. Writing a file changes its change time, which no one can set back, so a
// file whose stat is the same as when it was read still holds what was read — unless it
// was changed within the same tick of the file system's clock as the read. A stat taken
// at least a second before the moment it is trusted from (Settled) rules that out.
package filestat

import "time"

// Stat is what lstat says of a file that tells it apart from the same file changed.
type Stat struct {
	Size, Mode, Dev, Ino uint64
	// Mtime and Ctime are the modification and change times, in nanoseconds since 1970.
	Mtime, Ctime int64
}

// settleTime is how much older than a stamp a file's times must be for its stat to
// vouch for its content: more than any file system's clock tick.
const settleTime = time.Second

// Settled reports whether s was last changed before stamp (in nanoseconds since 1970)
// by more than the file system's clock can blur: a stat recorded at stamp that is
// settled cannot hide a change made just after the file was read.
func (s Stat) Settled(stamp int64) bool {
	limit := stamp - int64(settleTime)
	return s.Mtime < limit && s.Ctime < limit
}
