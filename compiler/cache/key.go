package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"runtime/debug"
	"sync"
)

// Key names an entry: a SHA-256 of its inputs.
type Key [sha256.Size]byte

// String returns the key in hexadecimal.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// Hasher builds a Key. Every field is written with its length first, so that no two
// different sequences of fields hash alike.
type Hasher struct{ h hash.Hash }

// NewHasher starts a key.
func NewHasher() *Hasher { return &Hasher{h: sha256.New()} }

// Bytes adds a field.
func (h *Hasher) Bytes(b []byte) {
	h.h.Write(binary.AppendUvarint(nil, uint64(len(b))))
	h.h.Write(b)
}

// String adds a field.
func (h *Hasher) String(s string) { h.Bytes([]byte(s)) }

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
