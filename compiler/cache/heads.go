package cache

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
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
	// decoded are the entries of the heads, decoded for LoadDeferred ahead of time; each
	// is handed out once.
	decoded map[Key]*Entry
}

// UseHeads starts reading repo's heads record (repo is any string naming the
// repository, such as its root directory) in the background, and, with deferred,
// decoding the entries' heads it holds as LoadDeferred wants them: a compilation has
// other work meanwhile, and most of those entries are wanted when the repository
// changed little. Until SaveHeads, the cache reads the heads of the entries the record
// names from it, and remembers the heads of the entries it reads or stores, for
// SaveHeads.
func (c *Cache) UseHeads(repo string, deferred bool) {
	ready := make(chan struct{})
	c.mu.Lock()
	c.seen = map[Key][]byte{}
	c.heads = nil
	c.headsReady = ready
	c.mu.Unlock()
	go func() {
		defer close(ready)
		h := c.readHeads(c.recordPath(headsRecord, repo), repo, deferred)
		c.mu.Lock()
		c.heads = h
		c.mu.Unlock()
	}()
}

// LastKeys returns the key stored last for each tenant of the repository given to
// UseHeads, empty when there is no record of it.
func (c *Cache) LastKeys() map[string]Key {
	c.waitHeads()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heads == nil {
		return map[string]Key{}
	}
	return maps.Clone(c.heads.keys)
}

// waitHeads waits until the heads record UseHeads reads is read.
func (c *Cache) waitHeads() {
	c.mu.Lock()
	ready := c.headsReady
	c.mu.Unlock()
	if ready != nil {
		<-ready
	}
}

// readHeads reads the heads record of repo at p, and with deferred decodes its entries
// for LoadDeferred; nil when there is none.
func (c *Cache) readHeads(p, repo string, deferred bool) *heads {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	h := decodeHeads(b, repo)
	if h == nil {
		return nil
	}
	h.path = p
	if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > touchAfter {
		now := time.Now()
		_ = os.Chtimes(p, now, now) // used: Trim keeps it and the entries it names
	}
	if !deferred {
		return h
	}
	keys := slices.Collect(maps.Keys(h.heads))
	entries := make([]*Entry, len(keys))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(keys); i = int(next.Add(1)) - 1 {
				entries[i], _ = decodeRawHead(h.heads[keys[i]], c.path(keys[i]), p, readDeferred)
			}
		})
	}
	wg.Wait()
	h.decoded = make(map[Key]*Entry, len(keys))
	for i, k := range keys {
		if entries[i] != nil {
			h.decoded[k] = entries[i]
		}
	}
	return h
}

// SaveHeads replaces repo's heads record with keys, by tenant, and the heads of their
// entries the cache read or stored since UseHeads. Nothing is written when the record
// read holds just that already.
func (c *Cache) SaveHeads(repo string, keys map[string]Key) error {
	c.waitHeads()
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

// recordedHead returns the head of the entry under k from the heads record in use, and
// the entry decoded for LoadDeferred, if it was not handed out yet.
func (c *Cache) recordedHead(k Key, mode readMode) (head []byte, record string, decoded *Entry, ok bool) {
	c.waitHeads()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heads == nil {
		return nil, "", nil, false
	}
	b, ok := c.heads.heads[k]
	if mode == readDeferred {
		if decoded = c.heads.decoded[k]; decoded != nil {
			delete(c.heads.decoded, k)
		}
	}
	return b, c.heads.path, decoded, ok
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
