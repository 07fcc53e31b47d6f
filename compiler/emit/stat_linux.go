package emit

import "syscall"

func statOf(st *syscall.Stat_t) fileStat {
	return fileStat{
		size:  uint64(st.Size),
		mode:  uint64(st.Mode),
		dev:   uint64(st.Dev),
		ino:   uint64(st.Ino),
		mtime: st.Mtim.Nano(),
		ctime: st.Ctim.Nano(),
	}
}
