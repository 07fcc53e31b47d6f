//go:build !unix

package dirlock

import "os"

// Supported tells whether Acquire locks: here (Windows among others) it does not, and
// two processes may work in one directory at once.
const Supported = false

func lock(*os.File, func(int)) error { return nil }
