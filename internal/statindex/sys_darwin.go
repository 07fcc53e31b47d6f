package statindex

import "syscall"

func fromSys(sys any) (Stat, bool) {
	st, ok := sys.(*syscall.Stat_t)
	if !ok {
		return Stat{}, false
	}
	return Stat{Dev: uint64(st.Dev), Ino: st.Ino, Mtime: st.Mtimespec.Nano(), Ctime: st.Ctimespec.Nano()}, true
}
