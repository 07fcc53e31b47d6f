// Package cachetest keeps a test binary's compilations out of the user's render cache.
package cachetest

import (
	"fmt"
	"os"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/cache"
)

// Run runs the tests with an empty render cache of their own, removed afterwards, and
// returns their exit code: call it from TestMain as os.Exit(cachetest.Run(m)).
func Run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mlc-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	os.Setenv(cache.EnvDir, dir)
	return m.Run()
}
