//go:build unix

package compiler_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, user and system: on a machine shared
// with other work, a steadier measure than the time on the clock.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
