// Package compiler compiles a platform repository: it loads the CUE, checks it, lowers
// the declarations to Kubernetes objects, validates those against the upstream API
// schemas and places them per cluster and tenant. The CLI is a thin layer over Compile.
package compiler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"runtime/trace"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mlc-gitops/mlc/compiler/cache"
	"github.com/mlc-gitops/mlc/compiler/check"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/load"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/validate"
	"github.com/mlc-gitops/mlc/internal/credential"
)

// Options select and tune a compilation.
type Options struct {
	// Clusters, when not empty, limits the result to these clusters.
	Clusters []string
	// Tenants, when not empty, limits the result to these tenants.
	Tenants []string
	// Workers is how many tenants are compiled at once; all cores if zero.
	Workers int
	// NoCache compiles every tenant, neither reading nor writing the cache of compiled
	// tenants that is otherwise used (see package cache).
	NoCache bool
	// CacheDir is where that cache lives; cache.Dir() when empty.
	CacheDir string
	// WriteOnlyCache compiles every tenant afresh, reading nothing from the cache (no
	// entry, no record), and stores the tenants it compiled there for later compilations:
	// for mlc push, whose artifacts must not depend on what the cache holds. NoCache
	// overrides it.
	WriteOnlyCache bool
	// Encode is for the commands that only write manifests: each tenant's objects are
	// encoded to YAML (manifest.Object.Encoded) by the worker that compiled it, then
	// slimmed to their identity (manifest.Object.Slim), so that a large render holds
	// bytes the garbage collector need not scan instead of trees of maps. The cache
	// keeps whole objects and their YAML, so that a tenant read from it is not encoded
	// again.
	Encode bool
	// DeferYAML, with Encode, leaves the YAML of the objects read from the cache unread
	// (manifest.Object.Deferred) until something wants it: a render over the tree it
	// wrote before knows its unchanged files by their SHA-256 (emit.Tree.WriteDir).
	DeferYAML bool
	// IdentitiesOnly is for the commands that only report (mlc vet): once a tenant is
	// compiled, validated and stored in the cache, its objects are reduced to their
	// identity (manifest.Object.IdentityOnly), enough to count and name them, so that a
	// large repository is judged in little memory. Encode overrides it.
	IdentitiesOnly bool
	// Omit, when set, tells which tenants' objects the caller holds already, by the key
	// they were compiled under (Tenant.Key): a tenant read from the cache under a key
	// Omit reports true for comes with its diagnostics and notes but without its
	// objects (Tenant.Omitted), which are not even read; Tenant.Load reads them when
	// they are wanted after all. A render over the tree it wrote before omits the
	// tenants whose folders that tree holds (emit.Prestat.Holds).
	Omit func(tenant string, key cache.Key) bool
}

// Result is a compiled repository.
type Result struct {
	// Diagnostics are the problems found. When any is an error, Clusters is empty.
	Diagnostics diag.List
	// Clusters are the selected clusters, sorted by name, with the tenants each runs.
	Clusters []Cluster
	// Platform is the evaluated platform settings; nil when they have errors.
	Platform *model.Platform
	// Stats say where the time went, tenant by tenant.
	Stats Stats
}

// Cluster is what one cluster runs.
type Cluster struct {
	Name    string
	Tenants []Tenant
	// Bootstrap are the objects a cluster's Flux needs once to follow the platform
	// artifact; empty when the platform declares no Flux wiring.
	Bootstrap []manifest.Object
}

// Tenant is one tenant's compiled objects, and its notes (see lower.Output).
type Tenant struct {
	Name string
	// Key identifies everything the tenant was compiled from, mlc's version and the
	// selected clusters' lowering targets included: under the same key a tenant
	// compiles to the same objects. It is zero when the compilation used no cache.
	Key cache.Key
	// Omitted is set when the objects were left out at the caller's request
	// (Options.Omit): Output holds the notes alone, and Load reads the objects.
	Omitted bool
	lower.Output

	cluster string
	// load reads the tenant's entry from the cache, for an omitted tenant.
	load func() (*cache.Entry, bool)
}

// Load returns the tenant's output with its objects: Output itself, or, for an
// omitted tenant, the output read from the cache as the compilation reads a cached
// tenant (the YAML deferred, with Options.DeferYAML).
func (t *Tenant) Load() (lower.Output, error) {
	if !t.Omitted {
		return t.Output, nil
	}
	e, ok := t.load()
	if !ok || e.Outputs[t.cluster] == nil {
		return lower.Output{}, fmt.Errorf("tenant %s: its compiled objects are no longer in mlc's cache (removed by another mlc meanwhile?); compile again", t.Name)
	}
	return *e.Outputs[t.cluster], nil
}

// headsUse is what a compilation with opts wants of the heads record of its repository:
// a render over the tree it wrote before wants the outlines of the tenants it omits,
// another render the heads of the tenants it reads from the cache, decoded ahead.
func headsUse(opts Options) cache.HeadsUse {
	switch {
	case opts.Omit != nil:
		return cache.Outlines
	case opts.DeferYAML && opts.Encode:
		return cache.HeadsDecoded
	}
	return cache.Heads
}

// UsageError is a selection that does not match the repository, such as an unknown
// cluster name: a mistake on the command line, not in the repository.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

// validator is shared by every compilation: it compiles each upstream schema once.
var validator = validate.New()

// Compile compiles the repository at dir. Problems in the repository are returned as
// Result.Diagnostics; the error is for everything else (an unreadable directory, a
// selection that matches nothing). Messages never show the credentials a URI's user
// info or a well-known token holds, whatever quoted the value (see credential.Redact).
func Compile(ctx context.Context, dir string, opts Options) (*Result, error) {
	res, err := compile(ctx, dir, opts)
	if res != nil {
		for i := range res.Diagnostics {
			res.Diagnostics[i].Message = credential.Redact(res.Diagnostics[i].Message)
		}
	}
	return res, err
}

func compile(ctx context.Context, dir string, opts Options) (*Result, error) {
	start := time.Now()
	c := openCache(opts)
	var files *load.FileIndex
	region := trace.StartRegion(ctx, "find")
	if c != nil {
		go c.Version() // hashes the executable, if need be, while the platform is evaluated
		if root, err := filepath.Abs(dir); err == nil && !opts.WriteOnlyCache {
			// Read meanwhile too, as much of it as the compilation wants.
			c.UseHeads(root, headsUse(opts))
			files = loadFileIndex(c, root)
		}
	}
	var repo *load.Repository
	var err error
	if c != nil {
		repo, err = load.FindIndexed(dir, files)
	} else {
		repo, err = load.Find(dir)
	}
	region.End()
	if err != nil {
		var l diag.List
		if errors.As(err, &l) {
			return &Result{Diagnostics: l}, nil
		}
		return nil, err
	}
	var tenantNames []string
	for _, t := range repo.Tenants {
		tenantNames = append(tenantNames, t.Name)
	}
	if err := checkSelection("tenant", opts.Tenants, tenantNames); err != nil {
		return nil, err
	}
	var ev *load.Evaluator
	region = trace.StartRegion(ctx, "evaluator")
	if c != nil {
		ev, err = load.NewIndexedEvaluator(repo, files)
	} else {
		ev, err = load.NewEvaluator(repo)
	}
	if err != nil {
		return nil, err
	}

	region.End()
	region = trace.StartRegion(ctx, "platform")
	res := &Result{}
	var plat model.Platform
	var fluxPos diag.Position
	ev.Platform(func(inst *load.Instance) {
		res.Diagnostics = append(res.Diagnostics, inst.Diagnostics...)
		if inst.Diagnostics.HasErrors() {
			return
		}
		if err := inst.Value.Decode(&plat); err != nil {
			res.Diagnostics = append(res.Diagnostics, load.FromCUE(err)...)
			return
		}
		res.Diagnostics = append(res.Diagnostics, check.Platform(&plat, tenantNames, inst.Locate)...)
		fluxPos = inst.Locate("flux")
	})
	if res.Diagnostics.HasErrors() {
		res.Diagnostics = res.Diagnostics.Sort()
		return res, nil
	}
	if err := checkSelection("cluster", opts.Clusters, slices.Sorted(maps.Keys(plat.Clusters))); err != nil {
		return nil, err
	}
	res.Platform = &plat

	// Only tenants that a selected cluster runs need compiling.
	var wanted []string
	for _, t := range tenantNames {
		if len(opts.Tenants) > 0 && !slices.Contains(opts.Tenants, t) {
			continue
		}
		for name, c := range plat.Clusters {
			if (len(opts.Clusters) == 0 || slices.Contains(opts.Clusters, name)) && c.Runs(t) {
				wanted = append(wanted, t)
				break
			}
		}
	}
	if err := checkPlacement(&plat, opts, wanted); err != nil {
		return nil, err
	}
	selected := map[string]model.Cluster{}
	for name, c := range plat.Clusters {
		if len(opts.Clusters) == 0 || slices.Contains(opts.Clusters, name) {
			selected[name] = c
		}
	}
	waiting := trace.StartRegion(ctx, "files")
	if err := ev.Wait(); err != nil { // the tenants' files, read meanwhile
		return nil, err
	}
	waiting.End()
	res.Stats.Platform = time.Since(start)
	region.End()

	region = trace.StartRegion(ctx, "lookup")
	inc := newIncremental(c, opts, ev, repo, &plat, selected)
	results := make(map[string]tenantResult, len(wanted))
	misses := inc.lookup(wanted, opts.Workers, results)
	// The files' index is known now: written while the tenants evaluate.
	var saving sync.WaitGroup
	saving.Go(func() { inc.saveFileIndex(ev) })
	region.End()
	collected := make(chan tenantResult)
	done := make(chan struct{})
	go func() {
		for r := range collected {
			results[r.name] = r
		}
		close(done)
	}()
	if len(misses) > 0 {
		err = ev.Tenants(ctx, load.Options{Workers: opts.Workers, Tenants: misses}, func(inst *load.Instance) {
			start, evaluated := time.Now(), inst.Elapsed
			r := compileTenant(&plat, selected, inst, inc.judge(inst.Tenant.Name))
			if opts.Encode {
				r.encode()
			}
			// A large tenant is evaluated as it is decoded (load.Instance.DecodeTenant).
			r.evaluate, r.compile = inst.Elapsed, time.Since(start)-(inst.Elapsed-evaluated)
			inc.store(r)
			if opts.Encode {
				r.slim()
			} else if opts.IdentitiesOnly {
				r.identitiesOnly()
			}
			collected <- r
		})
	}
	close(collected)
	<-done
	if err != nil {
		saving.Wait()
		return nil, err
	}
	region = trace.StartRegion(ctx, "save")
	inc.saveIndex(results)
	inc.trim()
	saving.Wait()
	region.End()
	for _, t := range wanted {
		res.Diagnostics = append(res.Diagnostics, results[t].diags...)
	}
	res.Stats.add(wanted, results)
	res.Stats.Total = time.Since(start)
	res.Diagnostics = res.Diagnostics.Sort()
	if res.Diagnostics.HasErrors() {
		return res, nil
	}
	defer func() { res.Stats.Total = time.Since(start) }()
	for _, name := range slices.Sorted(maps.Keys(selected)) {
		c := Cluster{Name: name}
		for _, t := range wanted {
			r := results[t]
			if out := r.outputs[name]; out != nil {
				tn := Tenant{Name: t, Key: inc.keys[t], Output: *out, cluster: name}
				if r.omitted {
					tn.Omitted, tn.load = true, inc.loader(t)
				}
				c.Tenants = append(c.Tenants, tn)
			}
		}
		if plat.Flux != nil {
			c.Bootstrap = lower.FluxBootstrap(plat.Flux, name)
			j := inc.platformJudge(c.Bootstrap)
			diags := j.validate(c.Bootstrap, func(string) diag.Position { return fluxPos })
			res.Stats.PlatformValidated += j.judged
			res.Stats.PlatformKnownValid += j.skipped
			if !diags.HasErrors() {
				inc.rememberValid(j, c.Bootstrap)
			}
			res.Diagnostics = append(res.Diagnostics, diags...)
		}
		res.Clusters = append(res.Clusters, c)
	}
	if res.Diagnostics.HasErrors() {
		res.Clusters = nil
	}
	return res, nil
}

type tenantResult struct {
	name string
	// outputs are by cluster name; clusters with the same lowering target share one.
	outputs map[string]*lower.Output
	diags   diag.List
	// cached is true when the result was read from the cache instead of evaluated;
	// omitted when only its outline was (Options.Omit).
	cached, omitted bool
	// objects counts the objects an omitted result's outputs leave out.
	objects int
	// evaluate is the CUE evaluation's time; compile the time spent after it (or
	// reading the cache entry).
	evaluate, compile time.Duration
	// judged counts the objects validated, knownValid those not validated again
	// (see judge).
	judged, knownValid int
}

// encode gives the tenant's objects their YAML. An object that cannot be encoded is
// left without: emitting the tree encodes it again and reports the error.
func (r *tenantResult) encode() {
	if r.diags.HasErrors() {
		return
	}
	encodeOutputs(r.outputs)
}

// slim reduces the tenant's encoded objects to their YAML and identity.
func (r *tenantResult) slim() { slimOutputs(r.outputs) }

// identitiesOnly reduces the tenant's objects to their identity.
func (r *tenantResult) identitiesOnly() {
	for _, out := range r.outputs {
		for _, objs := range [][]manifest.Object{out.Platform, out.Workloads} {
			for i := range objs {
				objs[i] = objs[i].IdentityOnly()
			}
		}
	}
}

func slimOutputs(outputs map[string]*lower.Output) {
	for _, out := range outputs {
		manifest.SlimAll(out.Platform)
		manifest.SlimAll(out.Workloads)
	}
}

func encodeOutputs(outputs map[string]*lower.Output) {
	for _, out := range outputs {
		_ = manifest.EncodeAll(out.Platform)
		_ = manifest.EncodeAll(out.Workloads)
	}
}

// compileTenant runs every stage for one tenant while its CUE value is alive, so that
// each problem can be placed at the user's line. The tenant is lowered once for each
// distinct target among the selected clusters that run it, and its objects validated
// by j.
func compileTenant(plat *model.Platform, clusters map[string]model.Cluster, inst *load.Instance, j *judge) (r tenantResult) {
	r = tenantResult{name: inst.Tenant.Name, diags: inst.Diagnostics}
	defer func() { r.judged, r.knownValid = j.judged, j.skipped }()
	if r.diags.HasErrors() {
		return r
	}
	var decls model.Declarations
	if err := inst.DecodeTenant(&decls); err != nil {
		var l diag.List
		if errors.As(err, &l) {
			r.diags = append(r.diags, l...)
		} else {
			r.diags.Errorf(inst.Locate(""), "", "%v", err)
		}
		return r
	}
	if decls.Tenant != nil {
		decls.Tenant.Name = inst.Tenant.Name
	}
	locate := check.Locator(inst.Locate)
	r.diags = append(r.diags, check.Tenant(plat, &decls, locate)...)
	if r.diags.HasErrors() {
		return r
	}
	r.outputs = map[string]*lower.Output{}
	byTarget := map[lower.Target]*lower.Output{}
	for _, name := range slices.Sorted(maps.Keys(clusters)) {
		c := clusters[name]
		if !c.Runs(decls.Tenant.Name) {
			continue
		}
		target := lower.TargetOf(plat, c)
		out, done := byTarget[target]
		if !done {
			o := lower.Tenant(plat, target, &decls)
			for _, objs := range [][]manifest.Object{o.Platform, o.Workloads} {
				r.diags = append(r.diags, j.validate(objs, locate)...)
			}
			out = &o
			byTarget[target] = out
		}
		if plat.Flux != nil {
			flux := lower.FluxTenant(plat.Flux, name, decls.Tenant, out.Workloads)
			r.diags = append(r.diags, j.validate(flux, locate)...)
			withFlux := *out
			withFlux.Platform = append(slices.Clone(out.Platform), flux...)
			slices.SortFunc(withFlux.Platform, manifest.Compare)
			out = &withFlux
		}
		r.outputs[name] = out
	}
	return r
}

// judge validates objects as the API server would: a rejection is a bug in a check or
// in lowering, reported at the declaration the object came from. An object whose
// digest (cache.ObjectDigest) is among known is not validated: the same mlc found the
// very same object valid before. That is what makes compiling a tenant again after a
// small change cheap; validating the first object of a kind builds its schema, most of
// a small compilation's time.
type judge struct {
	known map[cache.Digest]bool
	// digest is cache.Cache.ObjectDigest; nil when nothing is known.
	digest func(content map[string]any) (cache.Digest, bool)
	// judged counts the objects validated, skipped those known valid.
	judged, skipped int
}

func (j *judge) validate(objs []manifest.Object, locate check.Locator) diag.List {
	var l diag.List
	todo := make([]bool, len(objs))
	var kinds []schema.GroupVersionKind
	for i, o := range objs {
		if len(j.known) == 0 || j.digest == nil {
			// nothing known: every object is validated
		} else if d, ok := j.digest(o.Content); ok && j.known[d] {
			j.skipped++
			continue
		}
		todo[i] = true
		if gvk := schema.FromAPIVersionAndKind(o.APIVersion(), o.Kind()); !slices.Contains(kinds, gvk) {
			kinds = append(kinds, gvk)
		}
	}
	validator.Prepare(kinds)
	seen := map[string]string{}
	for i, o := range objs {
		if first, dup := seen[o.ID()]; dup {
			l.Errorf(locate(o.Source), o.Source, "%s %s is also compiled from %s; rename one", o.Kind(), o.Name(), first)
			continue
		}
		seen[o.ID()] = o.Source
		if !todo[i] {
			continue
		}
		j.judged++
		for _, fe := range validator.Validate(o.Content) {
			l.Errorf(locate(o.Source), o.Source, "the compiled %s %s would be rejected by the API server: %s: %s", o.Kind(), o.Name(), fe.Path, fe.Message)
		}
	}
	return l
}

// checkPlacement refuses a --tenant that no selected cluster runs, which would
// otherwise give nothing and say nothing; it names the clusters that do run it.
func checkPlacement(plat *model.Platform, opts Options, wanted []string) error {
	for _, t := range opts.Tenants {
		if slices.Contains(wanted, t) {
			continue
		}
		var runs []string
		for name, c := range plat.Clusters {
			if c.Runs(t) {
				runs = append(runs, name)
			}
		}
		slices.Sort(runs)
		if len(runs) == 0 {
			return &UsageError{fmt.Sprintf("no cluster runs tenant %q: list it in a cluster's tenants in the platform files", t)}
		}
		what := "cluster " + strings.Join(opts.Clusters, ", ") + " does"
		if len(opts.Clusters) > 1 {
			what = "clusters " + strings.Join(opts.Clusters, ", ") + " do"
		}
		return &UsageError{fmt.Sprintf("%s not run tenant %q; it runs on %s (choose --cluster %s)", what, t, strings.Join(runs, ", "), strings.Join(runs, ","))}
	}
	return nil
}

func checkSelection(what string, selected, have []string) error {
	for _, s := range selected {
		if !slices.Contains(have, s) {
			return &UsageError{fmt.Sprintf("no %s %q in the repository (have: %s)", what, s, strings.Join(have, ", "))}
		}
	}
	return nil
}
