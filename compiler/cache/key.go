package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime/debug"
	"sync"

	"github.com/mlc-gitops/mlc/internal/statindex"
)

// Key names an entry: a SHA-256 of its inputs.
type Key [sha256.Size]byte

// String returns the key in hexadecimal.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// MarshalText gives the key in hexadecimal.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a key in hexadecimal.
func (k *Key) UnmarshalText(b []byte) error {
	if n, err := hex.Decode(k[:], b); err != nil || n != len(k) {
		return fmt.Errorf("cache: %q is not a key", b)
	}
	return nil
}

// Hasher builds a Key. Every field is written with its length first, so that no two
// different sequences of fields hash alike.
type Hasher struct {
	h   hash.Hash
	buf []byte
}

// NewHasher starts a key.
func NewHasher() *Hasher { return &Hasher{h: sha256.New()} }

// Bytes adds a field.
func (h *Hasher) Bytes(b []byte) {
	h.length(len(b))
	h.h.Write(b)
}

// String adds a field.
func (h *Hasher) String(s string) {
	h.length(len(s))
	h.buf = append(h.buf[:0], s...) // the hash takes bytes: copied into one buffer
	h.h.Write(h.buf)
}

func (h *Hasher) length(n int) {
	h.buf = binary.AppendUvarint(h.buf[:0], uint64(n))
	h.h.Write(h.buf)
}

// Key returns the key of the fields added so far.
func (h *Hasher) Key() Key {
	var k Key
	h.h.Sum(k[:0])
	return k
}

// Version identifies the running compiler, for the keys: "" when it cannot be known,
// and then nothing should be cached.
//
// It is a hash of the executable's bytes together with its build information. The
// bytes change with any change to mlc's code, its embedded schemas or its
// dependencies, also in development builds and test binaries, whose module version
// is "(devel)" and whose vcs.modified flag says that the tree changed but not how. A
// release's version string alone would be enough, but cannot be told apart from a
// local build of a modified tree. Hashing the executable takes a few tens of
// milliseconds, once per process.
var Version = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		h.Write([]byte(bi.String()))
	}
	return hex.EncodeToString(h.Sum(nil))
})

// Version is the package's Version, remembered in the cache for the next process: a
// record keeps the executable's stat with its version, and while the executable's stat
// vouches for its bytes (see statindex), it is the same file. That saves hashing the
// executable at every start.
func (c *Cache) Version() string { return c.version() }

// versionRecord is the kind of cache record that remembers an executable's version.
const versionRecord = "exe"

func (c *Cache) rememberedVersion() string {
	exe, err := os.Executable()
	if err != nil {
		return Version()
	}
	info, err := os.Stat(exe)
	if err != nil {
		return Version()
	}
	st, ok := statindex.FromInfo(info)
	if !ok {
		return Version()
	}
	var known statindex.Index
	if b, ok := c.LoadRecord(versionRecord, exe); ok && known.UnmarshalBinary(b) == nil {
		if sum, ok := known.Lookup(exe, st); ok {
			return hex.EncodeToString(sum[:])
		}
	}
	x := statindex.New(c.now()) // before the executable is read
	v := Version()
	var sum statindex.Sum
	if n, err := hex.Decode(sum[:], []byte(v)); err != nil || n != len(sum) {
		return v
	}
	x.Add(exe, st, sum)
	if b, err := x.MarshalBinary(); err == nil {
		_ = c.StoreRecord(versionRecord, exe, b)
	}
	return v
}
