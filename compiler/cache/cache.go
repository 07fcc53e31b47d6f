// Package cache keeps compiled tenants on disk between runs of mlc, content-addressed:
// an entry's key is a hash of everything its compilation read (see Hasher), so a tenant
// whose inputs did not change is never evaluated again, whichever directory or git
// revision the repository was read from.
//
// The cache is an optimisation only. Entries that cannot be read or decoded are misses,
// and entries that cannot be written are skipped: a render never fails because of it.
// Each entry records the key it was stored under and its tenant's name, and is read only
// for that key and tenant: an entry copied under another key's name, of another tenant
// or an older one of the same tenant, is a miss. The cache is not authenticated,
// though: whoever can write it can forge an entry, so what must not depend on it (mlc
// push) does not read it.
//
// Entries live in Dir()/<2 hex digits>/<key>. Writing one is atomic (a temporary file
// renamed into place). Reading one refreshes its modification time when that is more
// than an hour old; once a day, Trim deletes entries unused for MaxAge and, if the rest
// still exceed MaxSize, the least recently used until they fit.
package cache

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/internal/atomicfile"
	"github.com/mlc-gitops/mlc/internal/wire"
)

// Limits of the cache's size on disk.
const (
	// MaxAge is how long an entry is kept after it was last used.
	MaxAge = 7 * 24 * time.Hour
	// MaxSize bounds the total size of the entries kept after a trim.
	MaxSize = 1 << 30
	// trimEvery is how often Trim looks at the entries at all.
	trimEvery = 24 * time.Hour
	// touchAfter is how stale a used entry's modification time may be before it is
	// refreshed, so that a warm render does not write to every entry.
	touchAfter = time.Hour
)

// EnvDir is the environment variable that overrides the cache directory.
const EnvDir = "MLC_CACHE_DIR"

// Dir returns where the cache lives: $MLC_CACHE_DIR, else mlc/render in the user's
// cache directory (os.UserCacheDir).
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "mlc", "render"), nil
}

// Cache is a directory of entries. Its methods are safe for concurrent use, also by
// several processes.
type Cache struct {
	dir     string
	maxAge  time.Duration
	maxSize int64
	// version is Version, remembered across processes (see Cache.Version).
	version func() string

	mu sync.Mutex
	// heads is the heads record in use (see UseHeads); seen, once UseHeads was called,
	// holds the heads of the entries read or stored since.
	heads      *heads
	headsReady chan struct{} // closed when heads is read (see UseHeads)
	seen       map[Key][]byte
}

// Open returns the cache in dir, creating the directory.
func Open(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c := &Cache{dir: dir, maxAge: MaxAge, maxSize: MaxSize}
	c.version = sync.OnceValue(c.rememberedVersion)
	return c, nil
}

func (c *Cache) path(k Key) string {
	h := hex.EncodeToString(k[:])
	return filepath.Join(c.dir, h[:2], h)
}

// Load returns the entry stored under k for tenant; false when there is none, it is
// unreadable, or it was stored under another key or for another tenant.
func (c *Cache) Load(k Key, tenant string) (*Entry, bool) { return c.load(k, tenant, readWhole) }

// LoadSlim is Load for a reader that wants only the objects' YAML: each object comes
// slimmed (manifest.Object.Slim), and its Content is neither read nor decoded, which is
// most of the work of loading an entry. An entry with objects stored without their YAML
// is read whole, and then its Encoded is false.
func (c *Cache) LoadSlim(k Key, tenant string) (*Entry, bool) { return c.load(k, tenant, readSlim) }

// LoadDeferred is LoadSlim for a reader that may not need the YAML at all (a render over
// the tree it wrote before, which knows its files by their SHA-256): each object's YAML
// is deferred (manifest.Object.Deferred), read from the entry only when wanted.
func (c *Cache) LoadDeferred(k Key, tenant string) (*Entry, bool) {
	return c.load(k, tenant, readDeferred)
}

// LoadIdentities is Load for a reader that only counts and names the objects (mlc vet):
// each comes as its identity alone (manifest.Object.IdentityOnly), read from the head
// of the entry.
func (c *Cache) LoadIdentities(k Key, tenant string) (*Entry, bool) {
	return c.load(k, tenant, readIdentity)
}

// LoadOutline is Load for a reader that wants none of the objects, only the entry's
// diagnostics and each output's notes (a render over a tree that holds the tenant's
// objects already): every Output comes without objects. It reads the least of all.
func (c *Cache) LoadOutline(k Key, tenant string) (*Entry, bool) {
	return c.load(k, tenant, readOutline)
}

// load reads the entry under k for tenant as mode wants it: from the heads record in
// use when it holds the entry's outline or head, else from the entry. Whichever it is
// read from, an entry not bound to k and tenant is not used.
func (c *Cache) load(k Key, tenant string, mode readMode) (*Entry, bool) {
	e, head, ok := c.loadRecorded(k, mode)
	// Identities are whole in a head; what else may be wanted is read from the entry.
	if ok && e.boundTo(k, tenant) && (mode == readIdentity || c.fileBound(k, tenant)) {
		if head != nil {
			c.remember(k, head)
		}
		return e, true
	}
	p := c.path(k)
	f, err := openEntry(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	size, modTime, err := f.stat()
	if err != nil {
		return nil, false
	}
	e, head, err = readEntry(f, p, size, mode)
	if err != nil || !e.boundTo(k, tenant) {
		return nil, false
	}
	c.remember(k, head)
	if time.Since(modTime) > touchAfter {
		now := time.Now()
		_ = os.Chtimes(p, now, now)
	}
	return e, true
}

// fileBound tells whether the entry under k is bound to k and tenant, reading its
// binding alone. An outline or head from the heads record is used only while the entry
// it was taken from is there: the YAML of its objects, when wanted, is read from it, and
// an entry put in its place since would then be an error, not a miss.
func (c *Cache) fileBound(k Key, tenant string) bool {
	f, err := openEntry(c.path(k))
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, headerLen+len(k)+binary.MaxVarintLen64+len(tenant))
	n, _ := f.ReadAt(b, 0) // an entry may be shorter than that: n tells
	if _, err := layoutOf(b[:n]); err != nil {
		return false
	}
	d := &decoder{Reader: wire.Reader{B: b[headerLen:n]}}
	e := &Entry{}
	e.key, e.tenant = d.binding()
	return !d.Bad && e.boundTo(k, tenant)
}

// loadRecorded reads the entry under k as mode wants it from the heads record in use,
// when the record holds what mode needs: the entry's outline (readOutline) or its head
// (readDeferred, readIdentity), which it returns too.
func (c *Cache) loadRecorded(k Key, mode readMode) (e *Entry, head []byte, ok bool) {
	switch mode {
	case readOutline:
		if outline, ok := c.recordedOutline(k); ok {
			if e, err := decodeOutline(outline); err == nil {
				return e, nil, true
			}
		}
	case readDeferred, readIdentity:
		if head, record, decoded, ok := c.recordedHead(k, mode); ok {
			if decoded != nil {
				return decoded, head, true
			}
			if e, err := decodeRawHead(head, c.path(k), record, mode); err == nil {
				return e, head, true
			}
		}
	}
	return nil, nil, false
}

// decodeRawHead decodes an entry's head as the entry at p holds it (header, head and
// checksum), kept in the heads record at record, as mode wants it: readDeferred,
// readIdentity or readOutline.
func decodeRawHead(raw []byte, p, record string, mode readMode) (*Entry, error) {
	l, err := layoutOf(raw)
	if err != nil || l.headEnd != int64(len(raw)) {
		return nil, errCorrupt
	}
	head, err := checked(raw)
	if err != nil {
		return nil, err
	}
	var from manifest.YAMLSource
	if mode == readDeferred {
		from = &entryYAML{path: p, layout: l, record: record}
	}
	return decodeHead(head[headerLen:], nil, nil, mode, from)
}

// headGuess is how much of an entry is read first: its header and head, most often.
const headGuess = 8 << 10

// readEntry decodes the entry in f, of size bytes, at path p, as mode wants it: only the
// parts it needs. It returns the entry's head too, as the entry holds it (header, head
// and checksum).
func readEntry(f io.ReaderAt, p string, size int64, mode readMode) (*Entry, []byte, error) {
	if mode != readWhole && size >= int64(headerLen) {
		// The header and, most often, the head in one read.
		b := make([]byte, min(size, headGuess))
		if _, err := f.ReadAt(b, 0); err != nil {
			return nil, nil, err
		}
		l, err := layoutOf(b)
		if err != nil || l.yamlEnd > size {
			return nil, nil, errCorrupt
		}
		end := l.headEnd
		if mode == readSlim {
			end = l.yamlEnd
		}
		if got := int64(len(b)); end > got {
			b = append(b, make([]byte, end-got)...)
			if _, err := f.ReadAt(b[got:], got); err != nil {
				return nil, nil, err
			}
		}
		raw := b[:l.headEnd:l.headEnd]
		head, err := checked(raw)
		if err != nil {
			return nil, nil, err
		}
		var yaml []byte
		if mode == readSlim {
			if yaml, err = checked(b[l.headEnd:end]); err != nil {
				return nil, nil, err
			}
		}
		var from manifest.YAMLSource
		if mode == readDeferred {
			from = &entryYAML{path: p, layout: l}
		}
		e, err := decodeHead(head[headerLen:], yaml, nil, mode, from)
		if err != errNeedContents {
			return e, raw, err
		}
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, nil, err
	}
	e, err := decodeEntry(b)
	if err != nil {
		return nil, nil, err
	}
	l, _ := layoutOf(b)
	return e, bytes.Clone(b[:l.headEnd]), nil
}

// entryYAML is the YAML part of the entry at path, deferred: it is read once, when an
// object's YAML is first wanted, and each object's bytes are checked against their
// SHA-256. Should the entry have gone in the meantime (trimmed by another mlc), reading
// fails and says so.
type entryYAML struct {
	path   string
	layout layout
	// record, when not empty, is the heads record the entry's head was read from: it is
	// removed when the entry is gone, so that the next compilation reads the entries.
	record string
	once   sync.Once
	yaml   []byte
	err    error
}

// ReadYAML implements manifest.YAMLSource.
func (y *entryYAML) ReadYAML(off, n int, sum *[sha256.Size]byte) ([]byte, error) {
	y.once.Do(y.read)
	if y.err != nil {
		return nil, y.err
	}
	if off+n > len(y.yaml) || sha256.Sum256(y.yaml[off:off+n]) != *sum {
		return nil, fmt.Errorf("the cache entry %s changed while mlc was rendering; run it again", y.path)
	}
	return y.yaml[off : off+n : off+n], nil
}

func (y *entryYAML) read() {
	again := func(err error) error {
		return fmt.Errorf("reading the cache entry %s again: %w (rendering with --no-cache does without the cache)", y.path, err)
	}
	f, err := os.Open(y.path)
	if err != nil {
		if y.record != "" && errors.Is(err, fs.ErrNotExist) {
			_ = os.Remove(y.record)
		}
		y.err = again(err)
		return
	}
	defer f.Close()
	b := make([]byte, y.layout.yamlEnd-y.layout.headEnd)
	if _, err := f.ReadAt(b, y.layout.headEnd); err != nil {
		y.err = again(err)
		return
	}
	if y.yaml, err = checked(b); err != nil {
		y.err = fmt.Errorf("the cache entry %s changed while mlc was rendering; run it again", y.path)
	}
}

// Store writes e under k, bound to k and tenant (see Load). An entry that cannot be
// encoded or written is an error the caller may ignore: the tenant is simply compiled
// again next time.
func (c *Cache) Store(k Key, tenant string, e *Entry) error {
	b, err := e.encode(k, tenant, c.Version())
	if err != nil {
		return err
	}
	if err := atomicfile.Write(c.path(k), b, 0o600); err != nil {
		return err
	}
	if l, err := layoutOf(b); err == nil {
		c.remember(k, bytes.Clone(b[:l.headEnd])) // not the whole entry's bytes
	}
	return nil
}

// Trim deletes old entries, at most once every 24 hours (it records when in a file
// named "trimmed"): those unused for MaxAge, then, while the rest exceed MaxSize, the
// least recently used. Leftover temporary files older than an hour go too.
func (c *Cache) Trim() error {
	return c.trim(time.Now(), false)
}

func (c *Cache) trim(now time.Time, force bool) error {
	marker := filepath.Join(c.dir, "trimmed")
	if st, err := os.Stat(marker); !force && err == nil && now.Sub(st.ModTime()) < trimEvery {
		return nil
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		return err
	}
	type entry struct {
		path string
		size int64
		used time.Time
	}
	var kept []entry
	var total int64
	named := namedByHeads(filepath.Join(c.dir, headsRecord), now, c.maxAge)
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || filepath.Dir(filepath.Dir(p)) != filepath.Clean(c.dir) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		used := info.ModTime()
		var k Key
		if n, err := hex.Decode(k[:], []byte(d.Name())); err == nil && n == len(k) && named[k].After(used) {
			used = named[k] // read through a heads record
		}
		age := now.Sub(used)
		temp := strings.HasPrefix(d.Name(), atomicfile.TempPrefix)
		if age > c.maxAge || (temp && age > time.Hour) {
			_ = os.Remove(p)
			return nil
		}
		if !temp {
			kept = append(kept, entry{p, info.Size(), used})
			total += info.Size()
		}
		return nil
	})
	if total > c.maxSize {
		slices.SortFunc(kept, func(a, b entry) int { return cmp.Compare(a.used.UnixNano(), b.used.UnixNano()) })
		for _, e := range kept {
			if total <= c.maxSize {
				break
			}
			if os.Remove(e.path) == nil {
				total -= e.size
			}
		}
	}
	return err
}
