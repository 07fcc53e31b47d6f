package main

import (
	"os"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/cache/cachetest"
)

// TestMain keeps the tests' compilations out of the user's render cache.
func TestMain(m *testing.M) { os.Exit(cachetest.Run(m)) }
