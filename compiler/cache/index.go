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

	"github.com/mlc-gitops/mlc/internal/atomicfile"
)

// An index remembers, for one repository, the key under which each tenant was last
// stored, so that a tenant whose files changed can be compared with what it compiled to
// before. It is a hint: a missing, stale or damaged index only costs work.

// indexMagic starts every index file.
const indexMagic = "mlc-tenant-index/1"

// recordPath is where the record of kind about id is kept.
func (c *Cache) recordPath(kind, id string) string {
	h := sha256.Sum256([]byte(id))
	return filepath.Join(c.dir, kind, hex.EncodeToString(h[:16]))
}

// LoadRecord returns the record of kind (a folder of the cache) about id (a
// repository's root, an output directory), false when there is none. Records are small
// files the cache keeps beside its entries, aged out as they are; what they hold is up
// to their writers, who must check it is theirs.
func (c *Cache) LoadRecord(kind, id string) ([]byte, bool) {
	b, err := os.ReadFile(c.recordPath(kind, id))
	return b, err == nil
}

// StoreRecord replaces the record of kind about id (see LoadRecord).
func (c *Cache) StoreRecord(kind, id string, b []byte) error {
	return atomicfile.Write(c.recordPath(kind, id), b, 0o600)
}

func (c *Cache) indexPath(repo string) string { return c.recordPath("index", repo) }

// LoadIndex returns the keys last stored for the tenants of repo (any string naming the
// repository, such as its absolute path), by tenant name; empty when there is no index.
func (c *Cache) LoadIndex(repo string) map[string]Key {
	keys := map[string]Key{}
	b, ok := c.LoadRecord("index", repo)
	if !ok {
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
	return c.StoreRecord("index", repo, b.Bytes())
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
