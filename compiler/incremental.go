package compiler

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlc-gitops/mlc/compiler/cache"
	"github.com/mlc-gitops/mlc/compiler/load"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// incremental connects a compilation to the cache of compiled tenants. A tenant's key
// hashes everything its compilation reads: mlc's version, the platform files and the
// tenant's files (their paths relative to the repository root, never the directory it
// was read from, so that the two revisions of mlc diff share entries, and the SHA-256
// of their bytes), and the selected clusters that run it with their lowering targets.
// It is known before any CUE is evaluated, so a hit costs no evaluation at all; and the
// files of a tenant that hits are not even read when the repository's FileIndex, kept
// in the cache, vouches for their sums.
type incremental struct {
	c    *cache.Cache // nil when caching is off
	keys map[string]cache.Key
	// encode is Options.Encode with a cache: entries are wanted with their objects'
	// YAML, and compiled tenants are encoded to be stored with it.
	encode bool
	// identities is Options.IdentitiesOnly (without Encode): entries are wanted with
	// their objects' identities only.
	identities bool
	// deferYAML is Options.DeferYAML with encode: entries are wanted with their
	// objects' YAML deferred.
	deferYAML bool
	// repo names the repository's heads record (cache.Cache.UseHeads): its root.
	repo string
	// index has, by tenant, the key stored last for it in this repository.
	index map[string]cache.Key
	// omit is Options.Omit: the tenants only the outline of whose entries is wanted.
	omit func(tenant string, key cache.Key) bool
	// clusters are, by tenant, the selected clusters that run it: those its entry
	// must have an output for, and no other.
	clusters map[string][]string
	// writeOnly is Options.WriteOnlyCache: nothing is read from the cache.
	writeOnly bool
}

// openCache returns the cache the options use; nil with NoCache or when it cannot be
// opened (a render never fails because of its cache).
func openCache(opts Options) *cache.Cache {
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
	return c
}

// fileIndexRecord is the kind of cache record that keeps a repository's FileIndex.
const fileIndexRecord = "files"

// loadFileIndex returns the index of the repository at root that the last compilation
// with cache c left; nil when there is none.
func loadFileIndex(c *cache.Cache, root string) *load.FileIndex {
	b, ok := c.LoadRecord(fileIndexRecord, root)
	if !ok {
		return nil
	}
	x := &load.FileIndex{}
	if x.UnmarshalBinary(b) != nil || x.Root != root {
		return nil
	}
	return x
}

// saveFileIndex keeps the index of the repository's files for the next compilation.
func (inc *incremental) saveFileIndex(ev *load.Evaluator) {
	x := ev.Index()
	if inc.c == nil || x == nil {
		return
	}
	if b, err := x.MarshalBinary(); err == nil {
		_ = inc.c.StoreRecord(fileIndexRecord, x.Root, b)
	}
}

// newIncremental prepares the compilation's use of cache c (nil for none): the keys of
// the tenants, from the sums of the files ev read (load.NewIndexedEvaluator).
func newIncremental(c *cache.Cache, opts Options, ev *load.Evaluator, repo *load.Repository, plat *model.Platform, selected map[string]model.Cluster) *incremental {
	inc := &incremental{}
	if c == nil || c.Version() == "" {
		return inc
	}
	inc.c = c
	inc.encode = opts.Encode
	inc.identities = opts.IdentitiesOnly && !opts.Encode
	inc.deferYAML = opts.DeferYAML && opts.Encode
	inc.repo = repo.Root
	inc.index = c.LastKeys()
	inc.omit = opts.Omit
	inc.writeOnly = opts.WriteOnlyCache

	h := cache.NewHasher()
	h.String("mlc compiled tenant")
	h.String(c.Version())
	for _, f := range repo.PlatformFiles {
		sum, ok := ev.Sum(f)
		if !ok {
			return &incremental{}
		}
		h.String(f)
		h.Bytes(sum[:])
	}
	platformKey := h.Key()
	clusters := slices.Sorted(maps.Keys(selected))
	targets := make([]string, len(clusters))
	for i, name := range clusters {
		targets[i] = fmt.Sprintf("%+v", lower.TargetOf(plat, selected[name]))
	}
	inc.keys = make(map[string]cache.Key, len(repo.Tenants))
	inc.clusters = make(map[string][]string, len(repo.Tenants))
	for _, t := range repo.Tenants {
		h := cache.NewHasher()
		h.Bytes(platformKey[:])
		h.String(t.Name)
		for _, f := range t.Files {
			sum, _ := ev.Sum(f) // there is one: the platform files' were
			h.String(f)
			h.Bytes(sum[:])
		}
		for i, name := range clusters {
			if c := selected[name]; c.Runs(t.Name) {
				h.String(name)
				h.String(targets[i])
				inc.clusters[t.Name] = append(inc.clusters[t.Name], name)
			}
		}
		inc.keys[t.Name] = h.Key()
	}
	return inc
}

// reads tells whether the compilation reads the cache: entries, digests and records.
func (inc *incremental) reads() bool { return inc.c != nil && !inc.writeOnly }

// lookup puts the cached tenants among wanted into results and returns the others, in
// the order of wanted. Entries are read and decoded by several workers at once.
func (inc *incremental) lookup(wanted []string, workers int, results map[string]tenantResult) (misses []string) {
	if !inc.reads() {
		return wanted
	}
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0) // reading entries is much in system calls
	}
	found := make([]*tenantResult, len(wanted))
	var next atomic.Int64 // the next tenant of wanted to look up
	var wg sync.WaitGroup
	for range min(workers, len(wanted)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(wanted); i = int(next.Add(1)) - 1 {
				start := time.Now()
				t := wanted[i]
				k := inc.keys[t]
				omit := inc.omit != nil && inc.omit(t, k)
				var e *cache.Entry
				ok := false
				if omit {
					e, ok = inc.c.LoadOutline(k, t)
					ok = ok && belongs(t, inc.clusters[t], e.Outputs)
				}
				if !ok {
					omit = false
					if e, ok = inc.load(t); !ok {
						continue
					}
				}
				found[i] = &tenantResult{name: wanted[i], outputs: e.Outputs, diags: e.Diagnostics, cached: true, omitted: omit, compile: time.Since(start)}
				if omit {
					found[i].objects = e.ObjectCount()
				}
			}
		})
	}
	wg.Wait()
	for i, t := range wanted {
		if found[i] != nil {
			results[t] = *found[i]
		} else {
			misses = append(misses, t)
		}
	}
	return misses
}

// load reads the tenant's entry as the compilation wants it: with encode, every object
// slimmed to its YAML (see manifest.Object.Slim). An entry whose objects do not belong
// to the tenant is a miss.
func (inc *incremental) load(tenant string) (*cache.Entry, bool) {
	e, ok := inc.read(tenant)
	if !ok || !belongs(tenant, inc.clusters[tenant], e.Outputs) {
		return nil, false
	}
	return e, true
}

// read reads the tenant's entry for load.
func (inc *incremental) read(tenant string) (*cache.Entry, bool) {
	k := inc.keys[tenant]
	if inc.identities {
		return inc.c.LoadIdentities(k, tenant)
	}
	if !inc.encode {
		return inc.c.Load(k, tenant)
	}
	load := inc.c.LoadSlim
	if inc.deferYAML {
		load = inc.c.LoadDeferred
	}
	e, ok := load(k, tenant)
	if !ok || e.Encoded() {
		return e, ok
	}
	// Stored by a compilation that did not encode (mlc vet): read it whole, encode it
	// here, on this worker, and keep it so for the next render.
	if e, ok = inc.c.Load(k, tenant); !ok {
		return nil, false
	}
	encodeOutputs(e.Outputs)
	_ = inc.c.Store(k, tenant, e)
	slimOutputs(e.Outputs)
	return e, true
}

// loader returns what reads the entry of an omitted tenant (Tenant.Load), as load does.
func (inc *incremental) loader(tenant string) func() (*cache.Entry, bool) {
	return func() (*cache.Entry, bool) { return inc.load(tenant) }
}

// store keeps a freshly compiled tenant, unless it has errors: those are reported
// again, and cheaply, by evaluating it. A failure to write is not the user's concern.
func (inc *incremental) store(r tenantResult) {
	if inc.c == nil || r.diags.HasErrors() {
		return
	}
	_ = inc.c.Store(inc.keys[r.name], r.name, &cache.Entry{Diagnostics: r.diags, Outputs: r.outputs})
}

// judge returns the judge of the tenant's objects. It knows valid the objects the
// tenant compiled to when it was last stored from this repository, under another key:
// objects that compile the same again need not be validated again.
func (inc *incremental) judge(tenant string) *judge {
	if !inc.reads() {
		return &judge{}
	}
	prev, ok := inc.index[tenant]
	if !ok || prev == inc.keys[tenant] {
		return &judge{}
	}
	known, _ := inc.c.LoadDigests(prev, tenant)
	return &judge{known: known, digest: inc.c.ObjectDigest}
}

// platformJudge returns the judge of objects compiled from the platform files alone,
// such as a cluster's Flux bootstrap: it knows valid those recorded valid before
// (cache.Cache.KnownValid), so that an unchanged platform builds no schema to judge them.
func (inc *incremental) platformJudge(objs []manifest.Object) *judge {
	if !inc.reads() {
		return &judge{}
	}
	known := map[cache.Digest]bool{}
	for _, o := range objs {
		if d, ok := inc.c.ObjectDigest(o.Content); ok && inc.c.KnownValid(d) {
			known[d] = true
		}
	}
	return &judge{known: known, digest: inc.c.ObjectDigest}
}

// rememberValid records valid the objects j judged, for platformJudge.
func (inc *incremental) rememberValid(j *judge, objs []manifest.Object) {
	if inc.c == nil {
		return
	}
	for _, o := range objs {
		if d, ok := inc.c.ObjectDigest(o.Content); ok && !j.known[d] {
			_ = inc.c.RememberValid(d)
		}
	}
}

// saveIndex records the keys of the tenants compiled without errors, with their
// entries' heads, for the next compilation's lookup and judge.
func (inc *incremental) saveIndex(results map[string]tenantResult) {
	if inc.c == nil || inc.writeOnly {
		return // a compilation that read no heads record keeps the one there
	}
	for name, r := range results {
		if !r.diags.HasErrors() {
			inc.index[name] = inc.keys[name]
		}
	}
	for name := range inc.index {
		if _, ok := inc.keys[name]; !ok { // a tenant no longer in the repository
			delete(inc.index, name)
		}
	}
	_ = inc.c.SaveHeads(inc.repo, inc.index)
}

// trim bounds the cache's size on disk (see cache.Cache.Trim).
func (inc *incremental) trim() {
	if inc.c != nil {
		_ = inc.c.Trim()
	}
}
