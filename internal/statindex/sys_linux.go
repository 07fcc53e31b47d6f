package statindex

import "syscall"

func fromSys(sys any) (Stat, bool) {
	st, ok := sys.(*syscall.Stat_t)
	if !ok {
		return Stat{}, false
	}
	return Stat{Dev: uint64(st.Dev), Ino: st.Ino, Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}, true
}
