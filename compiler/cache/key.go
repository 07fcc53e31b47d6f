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
	"strings"
	"sync"
	"time"

	"github.com/mlc-gitops/mlc/internal/filestat"
)

// Key names an entry: a SHA-256 of its inputs.
type Key [sha256.Size]byte

// String returns the key in hexadecimal.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

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

// Version is the package's Version, which hashes the running executable, remembered in
// the cache for the next process: a record keeps the executable's stat with its
// version, and while the executable's stat is the same (and was settled when recorded,
// see filestat), it is the same file. That saves hashing 100 MB at every start.
func (c *Cache) Version() string { return c.version() }

// versionRecord is the kind of cache record that remembers an executable's version.
const versionRecord = "exe"

func (c *Cache) rememberedVersion() string {
	exe, err := os.Executable()
	if err != nil || !filestat.Supported {
		return Version()
	}
	info, err := os.Stat(exe)
	if err != nil {
		return Version()
	}
	st, ok := filestat.FromInfo(info)
	if !ok {
		return Version()
	}
	if b, ok := c.LoadRecord(versionRecord, exe); ok {
		if v, ok := parseVersionRecord(b, exe, st); ok {
			return v
		}
	}
	stamp := time.Now().UnixNano()
	v := Version()
	if v != "" {
		_ = c.StoreRecord(versionRecord, exe, versionRecordOf(exe, st, stamp, v))
	}
	return v
}

// versionRecordOf writes a record: the executable's path and stat, when it was taken
// (before the executable was hashed) and its version, one per line.
func versionRecordOf(exe string, st filestat.Stat, stamp int64, version string) []byte {
	return fmt.Appendf(nil, "mlc executable 1\n%s\n%d %d %d %d %d %d\n%d\n%s\n",
		exe, st.Size, st.Mode, st.Dev, st.Ino, st.Mtime, st.Ctime, stamp, version)
}

// parseVersionRecord returns the version a record keeps when it is of exe at stat st,
// and st was settled when it was taken.
func parseVersionRecord(b []byte, exe string, st filestat.Stat) (string, bool) {
	lines := strings.Split(string(b), "\n")
	if len(lines) != 6 || lines[0] != "mlc executable 1" || lines[1] != exe || lines[5] != "" || len(lines[4]) != 2*sha256.Size {
		return "", false
	}
	var rec filestat.Stat
	var stamp int64
	if _, err := fmt.Sscanf(lines[2]+" "+lines[3], "%d %d %d %d %d %d %d", &rec.Size, &rec.Mode, &rec.Dev, &rec.Ino, &rec.Mtime, &rec.Ctime, &stamp); err != nil {
		return "", false
	}
	if rec != st || !rec.Settled(stamp) {
		return "", false
	}
	return lines[4], true
}
