// Package dirlock lets one process at a time work in a directory. The lock is taken on
// the directory itself, not on a file in it: nothing is written, so there is no lock
// file to leave behind, and the kernel releases the lock when the process ends, however
// it ends (kill -9 included).
package dirlock

import (
	"fmt"
	"os"
)

// Lock is a lock held on a directory.
type Lock struct {
	f *os.File // nil where locks are not Supported
}

// Acquire locks dir, which must be an existing directory, for this process, waiting
// while another holds it: waiting, when not nil, is called once before the wait with
// the holder's process id, or 0 when it cannot be told. Locks of the same directory
// exclude each other within a process too.
func Acquire(dir string, waiting func(holder int)) (*Lock, error) {
	if !Supported {
		return &Lock{}, nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := lock(f, waiting); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return &Lock{f: f}, nil
}

// Release releases the lock.
func (l *Lock) Release() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close() // which releases the lock
}
