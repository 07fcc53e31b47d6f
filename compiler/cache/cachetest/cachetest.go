// Package cachetest keeps a test binary's compilations out of the user's render cache.
package cachetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// LastKeys returns the key each tenant of the repository at repo was last stored under
// in the cache in dir: the compiler's "last" record, JSON named by the SHA-256 of the
// repository's absolute path (see compiler/incremental.go).
func LastKeys(t testing.TB, dir, repo string) map[string]cache.Key {
	t.Helper()
	abs, err := filepath.Abs(repo)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(abs))
	b, err := os.ReadFile(filepath.Join(dir, "last", hex.EncodeToString(sum[:16])))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]cache.Key{}
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	return keys
}
