package compiler

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlc-gitops/mlc/compiler/cache"
	"github.com/mlc-gitops/mlc/compiler/load"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/internal/parallel"
	"github.com/mlc-gitops/mlc/internal/statindex"
)

// incremental is where a compilation meets the cache of compiled tenants; the stages
// know nothing of it. A tenant's key hashes everything its compilation reads: mlc's
// version, the platform files and the tenant's files, .cue and data (paths relative to
// the repository and the SHA-256 of their bytes, so that the two revisions of mlc diff
// share entries)
// and the selected clusters that run it with their lowering targets. The keys are known
// before any tenant is evaluated, so a tenant whose key has an entry is not evaluated.
//
// The files' sums come from the repository's stat index (package statindex), kept in
// the cache: a file whose stat is as recorded is not read at all unless its tenant is
// evaluated, and then it must still hold what was recorded.
//
// A nil *incremental is a compilation without a cache; every method does nothing then.
type incremental struct {
	c *cache.Cache
	// writeOnly is Options.WriteOnlyCache: nothing is read from the cache.
	writeOnly bool
	repo      *load.Repository
	// sums are the SHA-256 of the files, by path; a file that could not be read has none.
	sums map[string]statindex.Sum
	// files is the stat index to keep for the next compilation.
	files *statindex.Index

	mu sync.Mutex
	// unclaimed are the bytes of files read to sum them, until the evaluator takes them.
	unclaimed map[string][]byte

	// keys are the tenants' keys, by name; a tenant with a file without a sum has none.
	keys map[string]cache.Key
	// clusters are, by tenant, the selected clusters that run it.
	clusters map[string][]string
	// last has, by tenant, the key stored last for it in this repository.
	last map[string]cache.Key
	// judges are, by tenant, what its objects are validated against (the CRDs each of
	// its clusters installs), now and (lastJudges) when its last entry was stored: the
	// objects of that entry are known valid only if the two are the same.
	judges, lastJudges map[string]string
	// early are the entries under the last keys, read while the platform is evaluated:
	// after a small change most keys are the last ones. Wait for them with earlyDone.
	early     map[string]*cache.Entry
	earlyDone sync.WaitGroup
}

// clock is what the compilation takes the time from, for the stat index; tests set it.
var clock = time.Now

// tenantFilesRead counts the tenants' files read, for tests.
var tenantFilesRead atomic.Int64

// readFile reads a file of the repository, counting the tenants' files.
func (inc *incremental) readFile(rel string) ([]byte, error) {
	if strings.HasPrefix(rel, load.TenantsDir+"/") {
		tenantFilesRead.Add(1)
	}
	return load.ReadFile(inc.repo.Root, rel)
}

// Record kinds the compilation keeps in the cache, by repository root.
const (
	filesRecord = "files" // the stat index of the repository's files
	lastRecord  = "last"  // the key each tenant was last stored under
	// judgesRecord has, by tenant, what its last entry was validated against.
	judgesRecord = "judges"
)

// startIncremental opens the cache opts use, if any, and sums the repository's files.
// A cache that cannot be opened is no cache: a render never fails because of it.
func startIncremental(opts Options, repo *load.Repository) *incremental {
	if opts.NoCache {
		return nil
	}
	dir := opts.CacheDir
	if dir == "" {
		var err error
		if dir, err = cache.Dir(); err != nil {
			return nil
		}
	}
	c, err := cache.Open(dir)
	if err != nil {
		return nil
	}
	go c.Version() // hashes the executable, if need be, while the files are read
	inc := &incremental{c: c, writeOnly: opts.WriteOnlyCache, repo: repo, last: map[string]cache.Key{}, lastJudges: map[string]string{}}
	var prior *statindex.Index
	if !inc.writeOnly {
		prior = inc.loadFiles()
		inc.loadLast()
		inc.readEarly(opts.Tenants)
	}
	inc.sumFiles(prior)
	return inc
}

// readEarly reads, in the background, the entries under the last keys of the tenants
// (those selected, when any are).
func (inc *incremental) readEarly(selected []string) {
	var tenants []string
	for t := range inc.last {
		if len(selected) == 0 || slices.Contains(selected, t) {
			tenants = append(tenants, t)
		}
	}
	entries := make([]*cache.Entry, len(tenants))
	inc.earlyDone.Go(func() {
		parallel.For(len(tenants), runtime.GOMAXPROCS(0), func(i int) {
			entries[i], _ = inc.c.Load(inc.last[tenants[i]], tenants[i])
		})
		inc.early = make(map[string]*cache.Entry, len(tenants))
		for i, t := range tenants {
			if entries[i] != nil {
				inc.early[t] = entries[i]
			}
		}
	})
}

// sumFiles takes the SHA-256 of every file of the repository: from prior when it
// trusts the file's stat, else by reading the file (kept for the evaluator).
func (inc *incremental) sumFiles(prior *statindex.Index) {
	files := inc.repo.Files()
	type summed struct {
		st          statindex.Stat
		indexed, ok bool
		sum         statindex.Sum
		data        []byte
	}
	out := make([]summed, len(files))
	inc.files = statindex.New(clock()) // before any file is looked at
	parallel.For(len(files), 2*runtime.GOMAXPROCS(0), func(i int) {
		s := &out[i]
		st, ok := statindex.Lstat(filepath.Join(inc.repo.Root, filepath.FromSlash(files[i])))
		s.st, s.indexed = st, ok && st.Mode.IsRegular() // a link's stat says nothing of its target
		if s.indexed {
			if s.sum, s.ok = prior.Lookup(files[i], st); s.ok {
				return
			}
		}
		data, err := inc.readFile(files[i])
		if err != nil {
			return // the evaluator reports it
		}
		s.sum, s.ok, s.data = sha256.Sum256(data), true, data
	})
	inc.sums = make(map[string]statindex.Sum, len(files))
	inc.unclaimed = map[string][]byte{}
	for i, s := range out {
		if !s.ok {
			continue
		}
		inc.sums[files[i]] = s.sum
		if s.data != nil {
			inc.unclaimed[files[i]] = s.data
		}
		if s.indexed {
			inc.files.Add(files[i], s.st, s.sum)
		}
	}
}

// read reads a file of the repository for the evaluator: the bytes read to sum it, or
// the file read now, which must hold what its sum says, else the tenant would be stored
// under the key of other bytes.
func (inc *incremental) read(rel string) ([]byte, error) {
	inc.mu.Lock()
	data, ok := inc.unclaimed[rel]
	delete(inc.unclaimed, rel)
	inc.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := inc.readFile(rel)
	if err != nil {
		return nil, err
	}
	if sum, ok := inc.sums[rel]; ok && sha256.Sum256(data) != sum {
		return nil, fmt.Errorf("%s changed while mlc was reading the repository; run mlc again", rel)
	}
	return data, nil
}

// reader is what the evaluator reads files with: read, or, without a cache, nil (the
// evaluator's own).
func (inc *incremental) reader() load.ReadFunc {
	if inc == nil {
		return nil
	}
	return inc.read
}

// keyTenants computes the tenants' keys for the selected clusters.
func (inc *incremental) keyTenants(plat *model.Platform, selected map[string]model.Cluster, installs map[string]*clusterInstall) {
	if inc == nil || inc.c.Version() == "" {
		return
	}
	h := cache.NewHasher()
	h.String("mlc compiled tenant")
	h.String(inc.c.Version())
	if !inc.hashFiles(h, inc.repo.PlatformFiles) {
		return
	}
	platformKey := h.Key()
	clusters := slices.Sorted(maps.Keys(selected))
	inc.keys = map[string]cache.Key{}
	inc.clusters = map[string][]string{}
	inc.judges = map[string]string{}
	for _, t := range inc.repo.Tenants {
		h := cache.NewHasher()
		h.Bytes(platformKey[:])
		h.String(t.Name)
		if !inc.hashFiles(h, t.Files) || !inc.hashFiles(h, t.Data) {
			continue
		}
		for _, name := range clusters {
			if c := selected[name]; c.Runs(t.Name) {
				h.String(name)
				h.String(fmt.Sprintf("%+v", lower.TargetOf(plat, c)))
				h.String(installDigest(installs[name]))
				inc.judges[t.Name] += name + "=" + installDigest(installs[name]) + ";"
				inc.clusters[t.Name] = append(inc.clusters[t.Name], name)
			}
		}
		inc.keys[t.Name] = h.Key()
	}
}

// hashFiles adds the files' paths and sums to h; false when one has no sum.
func (inc *incremental) hashFiles(h *cache.Hasher, files []string) bool {
	for _, f := range files {
		sum, ok := inc.sums[f]
		if !ok {
			return false
		}
		h.String(f)
		h.Bytes(sum[:])
	}
	return true
}

// lookup reads the entries of the tenants that have one, by several workers at once,
// and returns them as results. An entry whose objects do not belong to its tenant is a
// miss (see belongs).
func (inc *incremental) lookup(tenants []string, workers int) map[string]tenantResult {
	results := make(map[string]tenantResult, len(tenants))
	if inc == nil || inc.writeOnly || inc.keys == nil {
		return results
	}
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0) // reading entries is mostly system calls
	}
	inc.earlyDone.Wait()
	found := make([]*tenantResult, len(tenants))
	parallel.For(len(tenants), workers, func(i int) {
		start := time.Now()
		t := tenants[i]
		k, ok := inc.keys[t]
		if !ok {
			return
		}
		e, ok := inc.early[t]
		if !ok || inc.last[t] != k {
			e, ok = inc.c.Load(k, t)
		}
		if !ok || !belongs(t, inc.clusters[t], e.Outputs) {
			return
		}
		found[i] = &tenantResult{name: t, outputs: e.Outputs, diags: e.Diagnostics, cached: true, compile: time.Since(start)}
	})
	for _, r := range found {
		if r != nil {
			results[r.name] = *r
		}
	}
	return results
}

// knownValid returns the SHA-256 of the YAML of the objects the tenant compiled to when
// it was last stored from this repository by this mlc: compiled the same again, they
// need not be validated again.
func (inc *incremental) knownValid(tenant string) map[[sha256.Size]byte]bool {
	if inc == nil || inc.writeOnly {
		return nil
	}
	prev, ok := inc.last[tenant]
	if !ok || prev == inc.keys[tenant] || inc.lastJudges[tenant] != inc.judges[tenant] {
		return nil
	}
	inc.earlyDone.Wait()
	e, ok := inc.early[tenant] // the entry under prev, read while the platform was evaluated
	if !ok || e.Version != inc.c.Version() {
		return nil
	}
	known := map[[sha256.Size]byte]bool{}
	for _, out := range e.Outputs {
		for _, o := range slices.Concat(out.Platform, out.Workloads) {
			known[sha256.Sum256(o.Encoded)] = true
		}
	}
	return known
}

// store keeps a compiled tenant, unless it has errors (reported again, and cheaply, by
// evaluating it) or no key. A failure to write is not the user's concern.
func (inc *incremental) store(r tenantResult) {
	if inc == nil || r.diags.HasErrors() {
		return
	}
	if k, ok := inc.keys[r.name]; ok {
		_ = inc.c.Store(k, r.name, &cache.Entry{Diagnostics: r.diags, Outputs: r.outputs})
	}
}

// platformKnownValid returns the sums of the objects among objs (compiled from the
// platform files alone, such as a cluster's Flux bootstrap) recorded valid before.
func (inc *incremental) platformKnownValid(objs []manifest.Object) map[[sha256.Size]byte]bool {
	known := map[[sha256.Size]byte]bool{}
	if inc == nil || inc.writeOnly {
		return known
	}
	for _, o := range objs {
		if sum := sha256.Sum256(o.Encoded); inc.c.KnownValid(sum) {
			known[sum] = true
		}
	}
	return known
}

// rememberValid records valid the objects not known valid before.
func (inc *incremental) rememberValid(objs []manifest.Object, known map[[sha256.Size]byte]bool) {
	if inc == nil {
		return
	}
	for _, o := range objs {
		if sum := sha256.Sum256(o.Encoded); !known[sum] {
			_ = inc.c.RememberValid(sum)
		}
	}
}

// save keeps, for the next compilation, the stat index of the repository's files and
// the keys of the tenants compiled without errors; then it bounds the cache's size.
func (inc *incremental) save(results map[string]tenantResult) {
	if inc == nil {
		return
	}
	root := inc.repo.Root
	if b, err := inc.files.MarshalBinary(); err == nil {
		_ = inc.c.StoreRecord(filesRecord, root, b)
	}
	if !inc.writeOnly && inc.keys != nil {
		for name, r := range results {
			if !r.diags.HasErrors() {
				inc.last[name] = inc.keys[name]
			}
		}
		for name := range inc.last {
			if _, ok := inc.keys[name]; !ok { // no longer in the repository
				delete(inc.last, name)
			}
		}
		for name, r := range results {
			if !r.diags.HasErrors() {
				inc.lastJudges[name] = inc.judges[name]
			}
		}
		if b, err := json.Marshal(inc.last); err == nil {
			_ = inc.c.StoreRecord(lastRecord, root, b)
		}
		if b, err := json.Marshal(inc.lastJudges); err == nil {
			_ = inc.c.StoreRecord(judgesRecord, root, b)
		}
	}
	_ = inc.c.Trim()
}

func (inc *incremental) loadFiles() *statindex.Index {
	b, ok := inc.c.LoadRecord(filesRecord, inc.repo.Root)
	x := &statindex.Index{}
	if !ok || x.UnmarshalBinary(b) != nil {
		return nil
	}
	return x
}

func (inc *incremental) loadLast() {
	if b, ok := inc.c.LoadRecord(lastRecord, inc.repo.Root); ok {
		_ = json.Unmarshal(b, &inc.last)
	}
	if b, ok := inc.c.LoadRecord(judgesRecord, inc.repo.Root); ok {
		_ = json.Unmarshal(b, &inc.lastJudges)
	}
}
