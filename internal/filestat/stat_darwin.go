package filestat

import (
	"syscall"

	"golang.org/x/sys/unix"
)

func statOf(st *syscall.Stat_t) Stat {
	return Stat{
		Size:  uint64(st.Size),
		Mode:  uint64(st.Mode),
		Dev:   uint64(st.Dev),
		Ino:   uint64(st.Ino),
		Mtime: st.Mtimespec.Nano(),
		Ctime: st.Ctimespec.Nano(),
	}
}

func statOfUnix(st *unix.Stat_t) Stat {
	return Stat{
		Size:  uint64(st.Size),
		Mode:  uint64(st.Mode),
		Dev:   uint64(st.Dev),
		Ino:   uint64(st.Ino),
		Mtime: st.Mtim.Nano(),
		Ctime: st.Ctim.Nano(),
	}
}
