package diff

import (
	"fmt"
	"os"
	"testing"
)

// TestMain keeps the tests' compilations out of the user's render cache: each run of the
// package's tests gets an empty cache of its own.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mlc-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("MLC_CACHE_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
