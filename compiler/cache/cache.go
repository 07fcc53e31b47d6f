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
	"cmp"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mlc-gitops/mlc/internal/atomicfile"
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
	// now is the clock, a parameter for tests.
	now func() time.Time
}

// Open returns the cache in dir, creating the directory.
func Open(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c := &Cache{dir: dir, maxAge: MaxAge, maxSize: MaxSize, now: time.Now}
	c.version = sync.OnceValue(c.rememberedVersion)
	return c, nil
}

func (c *Cache) path(k Key) string {
	h := hex.EncodeToString(k[:])
	return filepath.Join(c.dir, h[:2], h)
}

// Load returns the entry stored under k for tenant; false when there is none, or it is
// damaged, or it was stored under another key or for another tenant (copied into
// place, or replayed). A used entry's modification time is refreshed, for Trim.
func (c *Cache) Load(k Key, tenant string) (*Entry, bool) {
	p := c.path(k)
	b, mtime, err := readFile(p)
	if err != nil {
		return nil, false
	}
	e, err := decodeEntry(b, k, tenant)
	if err != nil {
		return nil, false
	}
	if now := c.now(); now.Sub(mtime) > touchAfter {
		_ = os.Chtimes(p, now, now)
	}
	return e, true
}

// readFile returns the bytes of the file at p and its modification time.
func readFile(p string) ([]byte, time.Time, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	b := make([]byte, info.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, time.Time{}, err
	}
	return b, info.ModTime(), nil
}

// Store writes e under k, bound to k and tenant (see Load). An entry that cannot be
// encoded or written is an error the caller may ignore: the tenant is simply compiled
// again next time.
func (c *Cache) Store(k Key, tenant string, e *Entry) error {
	b, err := e.encode(k, tenant, c.Version())
	if err != nil {
		return err
	}
	return atomicfile.Write(c.path(k), b, 0o600)
}

// Trim deletes old entries, at most once every 24 hours (it records when in a file
// named "trimmed"): those unused for MaxAge, then, while the rest exceed MaxSize, the
// least recently used. Leftover temporary files older than an hour go too.
func (c *Cache) Trim() error {
	return c.trim(c.now(), false)
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

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
