package cache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// An index remembers, for one repository, the key under which each tenant was last
// stored, so that a tenant whose files changed can be compared with what it compiled to
// before. It is a hint: a missing, stale or damaged index only costs work.

// indexMagic starts every index file.
const indexMagic = "mlc-tenant-index/1"

func (c *Cache) indexPath(repo string) string {
	h := sha256.Sum256([]byte(repo))
	return filepath.Join(c.dir, "index", hex.EncodeToString(h[:16]))
}

// LoadIndex returns the keys last stored for the tenants of repo (any string naming the
// repository, such as its absolute path), by tenant name; empty when there is no index.
func (c *Cache) LoadIndex(repo string) map[string]Key {
	keys := map[string]Key{}
	b, err := os.ReadFile(c.indexPath(repo))
	if err != nil {
		return keys
	}
	s := bufio.NewScanner(bytes.NewReader(b))
	s.Buffer(nil, 1<<20)
	if !s.Scan() || s.Text() != indexMagic+" "+repo {
		return keys
	}
	for s.Scan() {
		name, hexKey, ok := strings.Cut(s.Text(), " ")
		var k Key
		if n, err := hex.Decode(k[:], []byte(hexKey)); !ok || err != nil || n != len(k) {
			return map[string]Key{}
		}
		keys[name] = k
	}
	return keys
}

// StoreIndex replaces repo's index with keys (see LoadIndex).
func (c *Cache) StoreIndex(repo string, keys map[string]Key) error {
	var b bytes.Buffer
	b.WriteString(indexMagic + " " + repo + "\n")
	for _, name := range slices.Sorted(maps.Keys(keys)) {
		k := keys[name]
		b.WriteString(name + " " + k.String() + "\n")
	}
	return c.writeFile(c.indexPath(repo), b.Bytes())
}

// LoadDigests returns the ObjectDigest of every object of the entry under k, false
// when there is none.
func (c *Cache) LoadDigests(k Key) (map[Digest]bool, bool) {
	e, ok := c.LoadIdentities(k)
	if !ok {
		return nil, false
	}
	set := make(map[Digest]bool, len(e.digests))
	for _, d := range e.digests {
		set[d] = true
	}
	return set, true
}
