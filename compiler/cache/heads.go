package cache

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/mlc-gitops/mlc/internal/atomicfile"
)

// A repository's heads record keeps, for each of its tenants, the key under which the
// tenant was last stored, with that entry's head (see Entry's layout). A warm
// compilation reads this one file instead of a thousand entries' heads, which is most
// of what it reads; and a tenant whose files changed is compared by its previous key
// with what it compiled to before (LoadDigests). The YAML of an object read from a head
// here is still read from its entry, when it is wanted; Trim keeps the entries that a
// kept record names. The record is a hint: a missing, stale or damaged one only costs
// work.
//
// Layout: headsMagic, the repository, the number of tenants, then per tenant in order
// of name its name, key, and head (its length, 0 for none, then its bytes as the entry
// holds them: header, head and checksum); last, a CRC-32C of everything before. Strings
// are a uvarint length and their bytes.

const (
	headsMagic  = "mlc-tenant-heads/1\n"
	headsRecord = "heads"
)

// heads is a heads record as read back.
type heads struct {
	repo  string
	path  string
	keys  map[string]Key // by tenant
	heads map[Key][]byte
}

// UseHeads reads repo's heads record (repo is any string naming the repository, such as
// its root directory) and returns the key stored last for each tenant, empty when there
// is none. Until SaveHeads, the cache reads the heads of the entries it names from the
// record, and remembers the heads of the entries it reads or stores, for SaveHeads.
func (c *Cache) UseHeads(repo string) map[string]Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = map[Key][]byte{}
	c.heads = nil
	p := c.recordPath(headsRecord, repo)
	b, err := os.ReadFile(p)
	if err != nil {
		return map[string]Key{}
	}
	h := decodeHeads(b, repo)
	if h == nil {
		return map[string]Key{}
	}
	h.path = p
	c.heads = h
	if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > touchAfter {
		now := time.Now()
		_ = os.Chtimes(p, now, now) // used: Trim keeps it and the entries it names
	}
	return maps.Clone(h.keys)
}

// SaveHeads replaces repo's heads record with keys, by tenant, and the heads of their
// entries the cache read or stored since UseHeads. Nothing is written when the record
// read holds just that already.
func (c *Cache) SaveHeads(repo string, keys map[string]Key) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	headOf := func(k Key) []byte {
		if b, ok := c.seen[k]; ok {
			return b
		}
		if c.heads != nil {
			return c.heads.heads[k]
		}
		return nil
	}
	if h := c.heads; h != nil && h.repo == repo && maps.Equal(h.keys, keys) {
		complete := true
		for _, k := range keys {
			if _, ok := h.heads[k]; !ok && headOf(k) != nil {
				complete = false
				break
			}
		}
		if complete {
			return nil
		}
	}
	// Written as it is put together: the heads of a large repository are megabytes,
	// and fresh memory is dearer than a few more writes.
	return atomicfile.WriteWith(c.recordPath(headsRecord, repo), 0o600, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 64<<10)
		sum := crc32.New(crcTable)
		out := io.MultiWriter(w, sum)
		var n [binary.MaxVarintLen64]byte
		field := func(b []byte) {
			out.Write(binary.AppendUvarint(n[:0], uint64(len(b))))
			out.Write(b)
		}
		out.Write([]byte(headsMagic))
		field([]byte(repo))
		out.Write(binary.AppendUvarint(n[:0], uint64(len(keys))))
		for _, name := range slices.Sorted(maps.Keys(keys)) {
			k := keys[name]
			field([]byte(name))
			out.Write(k[:])
			field(headOf(k))
		}
		w.Write(binary.LittleEndian.AppendUint32(n[:0], sum.Sum32()))
		return w.Flush() // the first error of any write
	})
}

// remember keeps the head of the entry under k for SaveHeads, when UseHeads was called.
func (c *Cache) remember(k Key, head []byte) {
	c.mu.Lock()
	if c.seen != nil {
		c.seen[k] = head
	}
	c.mu.Unlock()
}

// recordedHead returns the head of the entry under k from the heads record in use.
func (c *Cache) recordedHead(k Key) ([]byte, string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heads == nil {
		return nil, "", false
	}
	b, ok := c.heads.heads[k]
	return b, c.heads.path, ok
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// decodeHeads decodes a heads record of repo; nil when b is not one. The heads share b.
func decodeHeads(b []byte, repo string) *heads {
	if len(b) < len(headsMagic)+4 || string(b[:len(headsMagic)]) != headsMagic {
		return nil
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(b[len(body):]) {
		return nil
	}
	d := &decoder{buf: body[len(headsMagic):]}
	if d.string() != repo {
		return nil
	}
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		return nil
	}
	h := &heads{repo: repo, keys: make(map[string]Key, n), heads: make(map[Key][]byte, n)}
	for range n {
		name := d.string()
		var k Key
		copy(k[:], d.bytes(len(k)))
		size := d.uvarint()
		if d.err != nil || size > uint64(len(d.buf)) {
			return nil
		}
		h.keys[name] = k
		if head := d.bytes(int(size)); size > 0 {
			h.heads[k] = head[:size:size]
		}
	}
	if d.err != nil || len(d.buf) != 0 {
		return nil
	}
	return h
}

// namedByHeads returns the keys of the entries named by the heads records in dir that
// are younger than maxAge, each with its record's modification time: Trim counts an
// entry as used when a record that names it was.
func namedByHeads(dir string, now time.Time, maxAge time.Duration) map[Key]time.Time {
	named := map[Key]time.Time{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return named
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || now.Sub(info.ModTime()) > maxAge {
			continue
		}
		b, err := os.ReadFile(dir + string(os.PathSeparator) + e.Name())
		if err != nil || len(b) < len(headsMagic) {
			continue
		}
		d := &decoder{buf: b[len(headsMagic):]}
		h := decodeHeads(b, d.string())
		if h == nil {
			continue
		}
		for k := range h.heads {
			if info.ModTime().After(named[k]) {
				named[k] = info.ModTime()
			}
		}
	}
	return named
}
