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
	"github.com/mlc-gitops/mlc/internal/wire"
)

// A repository's heads record keeps, for each of its tenants, the key under which the
// tenant was last stored, with that entry's outline and head (see Entry's layout). A
// warm compilation reads this one file instead of a thousand entries' heads, which is
// most of what it reads; and a tenant whose files changed is compared by its previous
// key with what it compiled to before (LoadDigests). The YAML of an object read from a
// head here is still read from its entry, when it is wanted; Trim keeps the entries that
// a kept record names. The record is a hint: a missing, stale or damaged one only costs
// work, and one copied from another repository or forged gives nothing that was not
// stored for the key and tenant asked for, since outlines and heads begin with the
// entry's binding (see Entry.boundTo), checked as the entry's own is.
//
// Layout: headsMagic, the length of the table (4 bytes, little endian), the table, a
// CRC-32C of everything before, then the heads. The table holds the repository, the
// number of tenants, then per tenant in order of name its name, its key, its entry's
// outline (the start of its head, before the objects: see LoadOutline) and the length of
// its head, 0 for none. The heads follow in the table's order, each as its entry holds
// it (header, head and checksum), which is checked when the head is decoded. Strings
// and outlines are a uvarint length and their bytes. A compilation that wants only the
// outlines (a render over a tree that holds most tenants already) reads the table
// alone, a tenth of the record.

const (
	headsMagic     = "mlc-tenant-heads/3\n"
	headsRecord    = "heads"
	headsHeaderLen = len(headsMagic) + 4
)

// HeadsUse says what a compilation wants of the entries a heads record names (UseHeads).
type HeadsUse int

const (
	// Outlines wants their outlines only (LoadOutline): the heads are not read, and the
	// entries' heads are read from the entries when wanted.
	Outlines HeadsUse = iota
	// Heads wants their heads too (LoadIdentities, LoadDeferred), read with the record.
	Heads
	// HeadsDecoded wants their heads decoded ahead of time for LoadDeferred, in the
	// background: most of them are wanted when the repository changed little.
	HeadsDecoded
)

// heads is a heads record as read back.
type heads struct {
	repo   string
	path   string
	keys   map[string]Key // by tenant
	places map[Key]headPlace
	// file is the record, kept open until SaveHeads copies the heads it did not read.
	file  *os.File
	start int64 // where the heads start in it
	// all are the heads, when they were read (Heads, HeadsDecoded).
	all []byte
	// decoded are the entries of the heads, decoded for LoadDeferred ahead of time; each
	// is handed out once.
	decoded map[Key]*Entry
}

// headPlace is what a heads record holds of an entry: its outline, in the table, and
// where its head is, from the start of the heads.
type headPlace struct {
	outline []byte
	off, n  int64
}

// head returns the head of the entry under k, when the heads were read.
func (h *heads) head(k Key) ([]byte, bool) {
	pl, ok := h.places[k]
	if !ok || pl.n == 0 || h.all == nil || pl.off+pl.n > int64(len(h.all)) {
		return nil, false
	}
	return h.all[pl.off : pl.off+pl.n : pl.off+pl.n], true
}

// UseHeads starts reading repo's heads record (repo is any string naming the
// repository, such as its root directory) in the background, as much of it as use
// says: a compilation has other work meanwhile. Until SaveHeads, the cache reads the
// outlines and heads of the entries the record names from it, and remembers the heads
// of the entries it reads or stores, for SaveHeads.
func (c *Cache) UseHeads(repo string, use HeadsUse) {
	ready := make(chan struct{})
	c.mu.Lock()
	c.seen = map[Key][]byte{}
	if c.heads != nil {
		c.heads.close()
	}
	c.heads = nil
	c.headsReady = ready
	c.mu.Unlock()
	go func() {
		defer close(ready)
		h := c.readHeads(c.recordPath(headsRecord, repo), repo, use)
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

// readHeads reads the heads record of repo at p, as much of it as use says; nil when
// there is none.
func (c *Cache) readHeads(p, repo string, use HeadsUse) *heads {
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	h := readHeadsTable(f, repo)
	info, err := f.Stat()
	if h == nil || err != nil {
		f.Close()
		return nil
	}
	h.path, h.file = p, f
	if time.Since(info.ModTime()) > touchAfter {
		now := time.Now()
		_ = os.Chtimes(p, now, now) // used: Trim keeps it and the entries it names
	}
	if use == Outlines {
		return h
	}
	all := make([]byte, max(0, info.Size()-h.start))
	if _, err := f.ReadAt(all, h.start); err == nil {
		h.all = all
	}
	if use != HeadsDecoded {
		return h
	}
	keys := slices.Collect(maps.Keys(h.places))
	entries := make([]*Entry, len(keys))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(keys); i = int(next.Add(1)) - 1 {
				if head, ok := h.head(keys[i]); ok {
					entries[i], _ = decodeRawHead(head, c.path(keys[i]), p, readDeferred)
				}
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

// close closes the record's file.
func (h *heads) close() {
	if h.file != nil {
		h.file.Close()
		h.file = nil
	}
}

// SaveHeads replaces repo's heads record with keys, by tenant, and the heads of their
// entries the cache read or stored since UseHeads. Nothing is written when the record
// read holds just that already.
func (c *Cache) SaveHeads(repo string, keys map[string]Key) error {
	c.waitHeads()
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.heads
	if h != nil {
		defer h.close()
	}
	if h != nil && h.repo == repo && maps.Equal(h.keys, keys) {
		complete := true
		for _, k := range keys {
			if pl := h.places[k]; pl.n == 0 && c.seen[k] != nil {
				complete = false
				break
			}
		}
		if complete {
			return nil
		}
	}
	// Each tenant's outline and head: one seen, or the record's.
	names := slices.Sorted(maps.Keys(keys))
	type source struct {
		seen    []byte // a head read or stored since UseHeads
		outline []byte
		off, n  int64 // else, the record's
	}
	sources := make([]source, len(names))
	size := 2*binary.MaxVarintLen64 + len(repo)
	for i, name := range names {
		k := keys[name]
		src := &sources[i]
		if b, ok := c.seen[k]; ok {
			src.seen, src.n = b, int64(len(b))
			src.outline = outlineOf(b)
		} else if h != nil {
			if pl, ok := h.places[k]; ok && (h.all != nil || h.file != nil) {
				src.outline, src.off, src.n = pl.outline, pl.off, pl.n
			}
		}
		if src.outline == nil {
			src.n = 0 // a head is kept only with its outline
		}
		size += 3*binary.MaxVarintLen64 + len(name) + len(k) + len(src.outline)
	}
	table := make([]byte, 0, size)
	table = appendBytes(table, []byte(repo))
	table = binary.AppendUvarint(table, uint64(len(names)))
	for i, name := range names {
		k, src := keys[name], &sources[i]
		table = appendBytes(table, []byte(name))
		table = append(table, k[:]...)
		table = appendBytes(table, src.outline)
		table = binary.AppendUvarint(table, uint64(src.n))
	}
	// Written as it is put together: the heads of a large repository are megabytes,
	// and fresh memory is dearer than a few more writes.
	return atomicfile.WriteWith(c.recordPath(headsRecord, repo), 0o600, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 64<<10)
		var n [binary.MaxVarintLen64]byte
		header := binary.LittleEndian.AppendUint32(append(n[:0:0], headsMagic...), uint32(len(table)))
		sum := crc32.Update(crc32.Checksum(header, crcTable), crcTable, table)
		w.Write(header)
		w.Write(table)
		w.Write(binary.LittleEndian.AppendUint32(n[:0], sum))
		// The record's heads are copied from it in runs: the tenants are in the same
		// order in both.
		var runOff, runN int64
		copyRun := func() error {
			if runN == 0 {
				return nil
			}
			off, length := runOff, runN
			runOff, runN = 0, 0
			if h.all != nil {
				_, err := w.Write(h.all[off : off+length])
				return err
			}
			// File to file: the system copies it (copy_file_range on Linux).
			if err := w.Flush(); err != nil {
				return err
			}
			if _, err := h.file.Seek(h.start+off, io.SeekStart); err != nil {
				return err
			}
			_, err := io.Copy(f, io.LimitReader(h.file, length))
			return err
		}
		for _, src := range sources {
			switch {
			case src.seen != nil:
				if err := copyRun(); err != nil {
					return err
				}
				w.Write(src.seen)
			case src.n > 0:
				if runN > 0 && runOff+runN != src.off {
					if err := copyRun(); err != nil {
						return err
					}
				}
				if runN == 0 {
					runOff = src.off
				}
				runN += src.n
			}
		}
		if err := copyRun(); err != nil {
			return err
		}
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
	b, ok := c.heads.head(k)
	if mode == readDeferred {
		if decoded = c.heads.decoded[k]; decoded != nil {
			delete(c.heads.decoded, k)
		}
	}
	return b, c.heads.path, decoded, ok
}

// recordedOutline returns the outline of the entry under k from the heads record in
// use.
func (c *Cache) recordedOutline(k Key) ([]byte, bool) {
	c.waitHeads()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heads == nil {
		return nil, false
	}
	pl, ok := c.heads.places[k]
	return pl.outline, ok && pl.outline != nil
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// readHeadsTable reads the table of the heads record of repo in f, of any repository
// when repo is ""; nil when f is not one. The outlines share the bytes read.
func readHeadsTable(f io.ReaderAt, repo string) *heads {
	header := make([]byte, headsHeaderLen)
	if _, err := f.ReadAt(header, 0); err != nil || string(header[:len(headsMagic)]) != headsMagic {
		return nil
	}
	n := int64(binary.LittleEndian.Uint32(header[len(headsMagic):]))
	table := make([]byte, n+4)
	if _, err := f.ReadAt(table, int64(headsHeaderLen)); err != nil {
		return nil
	}
	sum := crc32.Update(crc32.Checksum(header, crcTable), crcTable, table[:n])
	if sum != binary.LittleEndian.Uint32(table[n:]) {
		return nil
	}
	d := &decoder{Reader: wire.Reader{B: table[:n]}, shared: true}
	named := d.string()
	if repo != "" && named != repo {
		return nil
	}
	count := d.Uvarint()
	if count > uint64(len(d.B)) {
		return nil
	}
	h := &heads{repo: named, start: int64(headsHeaderLen) + n + 4, keys: make(map[string]Key, count), places: make(map[Key]headPlace, count)}
	var off int64
	for range count {
		name := d.string()
		var k Key
		copy(k[:], d.Next(uint64(len(k))))
		outline := d.Bytes()
		size := d.Uvarint()
		if d.Bad || size > 1<<30 {
			return nil
		}
		h.keys[name] = k
		if len(outline) > 0 {
			h.places[k] = headPlace{outline: outline[:len(outline):len(outline)], off: off, n: int64(size)}
		}
		off += int64(size)
	}
	if d.Bad || len(d.B) != 0 {
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
		f, err := os.Open(dir + string(os.PathSeparator) + e.Name())
		if err != nil {
			continue
		}
		h := readHeadsTable(f, "")
		f.Close()
		if h == nil {
			continue
		}
		for k := range h.places {
			if info.ModTime().After(named[k]) {
				named[k] = info.ModTime()
			}
		}
	}
	return named
}
