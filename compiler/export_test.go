package compiler

import "time"

// Belongs is belongs, for the tests of package compiler_test.
var Belongs = belongs

// SetClock makes the compilation take the time from now, and returns what restores it.
func SetClock(now func() time.Time) (restore func()) {
	old := clock
	clock = now
	return func() { clock = old }
}

// TenantFilesRead returns how many tenant files compilations have read so far.
func TenantFilesRead() int64 { return tenantFilesRead.Load() }
