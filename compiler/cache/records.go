package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"

	"github.com/mlc-gitops/mlc/internal/atomicfile"
)

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

// validRecord is the kind of record that marks an object known valid (RememberValid).
const validRecord = "valid"

// KnownValid tells whether the object whose YAML has SHA-256 sum was found valid before
// by this very mlc (RememberValid), outside any entry: the objects a platform compiles
// to once, not per tenant, such as a cluster's Flux bootstrap.
func (c *Cache) KnownValid(sum [sha256.Size]byte) bool {
	_, ok := c.LoadRecord(validRecord, c.Version()+hex.EncodeToString(sum[:]))
	return ok
}

// RememberValid records that the object whose YAML has SHA-256 sum was found valid.
func (c *Cache) RememberValid(sum [sha256.Size]byte) error {
	return c.StoreRecord(validRecord, c.Version()+hex.EncodeToString(sum[:]), nil)
}
