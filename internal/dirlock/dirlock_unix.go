//go:build unix

package dirlock

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Supported tells whether Acquire locks: here it does, with flock(2), whose lock
// belongs to the open directory and goes with its last descriptor.
const Supported = true

func lock(f *os.File, waiting func(holder int)) error {
	fd := int(f.Fd())
	err := flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	if !errors.Is(err, unix.EWOULDBLOCK) {
		return err
	}
	if waiting != nil {
		waiting(holder(fd))
	}
	return flock(fd, unix.LOCK_EX)
}

func flock(fd, how int) error {
	for {
		if err := unix.Flock(fd, how); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
