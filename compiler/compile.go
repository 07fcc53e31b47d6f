// Package compiler compiles a platform repository: it loads the CUE, checks it, lowers
// the declarations to Kubernetes objects, validates those against the upstream API
// schemas and places them per cluster and tenant. The CLI is a thin layer over Compile.
package compiler

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mlc-gitops/mlc/compiler/check"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/kubeflow"
	"github.com/mlc-gitops/mlc/compiler/load"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
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
	// Origin, when dir is a copy of a repository (a revision exported from git), is the
	// repository's own directory: paths platform.cue writes that lead out of the
	// repository (a Kubeflow source beside it) are taken relative to it.
	Origin string
	// WriteOnlyCache compiles every tenant afresh, reading nothing from the cache, and
	// stores the tenants it compiled there for later compilations: for mlc push, whose
	// artifacts must not depend on what the cache holds. NoCache overrides it.
	WriteOnlyCache bool
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
	// Kubeflow is the Kubeflow the cluster installs; nil when the platform declares none.
	Kubeflow *Install
	// Scheduling are the cluster-scoped objects of its training scheduler that the
	// platform declares (Kueue's or Volcano's), applied with the platform's objects.
	Scheduling []manifest.Object
}

// Tenant is one tenant's compiled objects, and its notes (see lower.Output). Every
// object carries its YAML and identity, not its Content (manifest.Object.Slim):
// Object.Tree gives the content back.
type Tenant struct {
	Name string
	lower.Output
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
	repo, err := load.Find(dir)
	if l := (diag.List)(nil); errors.As(err, &l) {
		return &Result{Diagnostics: l}, nil
	} else if err != nil {
		return nil, err
	}
	if err := checkSelection("tenant", opts.Tenants, repo.TenantNames()); err != nil {
		return nil, err
	}
	inc := startIncremental(opts, repo)
	ev, err := load.NewEvaluator(repo, inc.reader())
	if err != nil {
		return nil, err
	}
	res := &Result{}
	plat, at := compilePlatform(ev, repo.TenantNames(), &res.Diagnostics)
	if res.Diagnostics.HasErrors() {
		res.Diagnostics = res.Diagnostics.Sort()
		return res, nil
	}
	sel, err := selectFor(plat, opts, repo.TenantNames())
	if err != nil {
		return nil, err
	}
	installs, diags := buildInstalls(plat, sel, kubeflow.Resolver(repo.Root, opts.Origin), at.locate, kubeflow.Fetcher(kubeflowCacheDir(opts.CacheDir)), inc)
	if res.Diagnostics = append(res.Diagnostics, diags...); diags.HasErrors() {
		res.Diagnostics = res.Diagnostics.Sort()
		return res, nil
	}
	res.Platform, res.Stats.Platform = plat, time.Since(start)

	inc.keyTenants(plat, sel.clusters, installs)
	results := inc.lookup(sel.tenants, opts.Workers)
	if err := compileMisses(ctx, ev, plat, sel, installs, opts.Workers, inc, results); err != nil {
		return nil, err
	}
	inc.save(results)

	for _, t := range sel.tenants {
		res.Diagnostics = append(res.Diagnostics, results[t].diags...)
	}
	res.Stats.add(sel.tenants, results)
	if !res.Diagnostics.HasErrors() {
		if res.Clusters, err = assemble(plat, sel, installs, results); err != nil {
			return nil, err
		}
		res.Diagnostics = append(res.Diagnostics, bootstrap(plat, res.Clusters, installs, at.flux, inc, &res.Stats)...)
		res.Diagnostics = append(res.Diagnostics, scheduling(plat, res.Clusters, at.locate, inc, &res.Stats)...)
	}
	if res.Diagnostics.HasErrors() {
		res.Clusters = nil
	}
	res.Diagnostics = res.Diagnostics.Sort()
	res.Stats.Total = time.Since(start)
	return res, nil
}

// compilePlatform evaluates and checks the platform files, adding their problems to
// diags; it returns the platform and where its Flux wiring is declared.
// platformPositions place problems found after the platform is evaluated.
type platformPositions struct {
	flux   diag.Position
	locate func(path string) diag.Position
}

func compilePlatform(ev *load.Evaluator, tenants []string, diags *diag.List) (*model.Platform, platformPositions) {
	var plat model.Platform
	at := platformPositions{locate: func(string) diag.Position { return diag.Position{} }}
	ev.Platform(func(inst *load.Instance) {
		*diags = append(*diags, inst.Diagnostics...)
		if inst.Diagnostics.HasErrors() {
			return
		}
		if err := inst.Value.Decode(&plat); err != nil {
			*diags = append(*diags, load.FromCUE(err)...)
			return
		}
		*diags = append(*diags, check.Platform(&plat, tenants, inst.Locate)...)
		at.flux, at.locate = inst.Locate("flux"), inst.Locate
	})
	return &plat, at
}

// selection is what a compilation compiles: the selected clusters, and the tenants they
// run that were selected, in the repository's order.
type selection struct {
	clusters map[string]model.Cluster
	tenants  []string
}

func selectFor(plat *model.Platform, opts Options, tenants []string) (selection, error) {
	if err := checkSelection("cluster", opts.Clusters, slices.Sorted(maps.Keys(plat.Clusters))); err != nil {
		return selection{}, err
	}
	sel := selection{clusters: map[string]model.Cluster{}}
	for name, c := range plat.Clusters {
		if len(opts.Clusters) == 0 || slices.Contains(opts.Clusters, name) {
			sel.clusters[name] = c
		}
	}
	for _, t := range tenants {
		if len(opts.Tenants) > 0 && !slices.Contains(opts.Tenants, t) {
			continue
		}
		for _, c := range sel.clusters {
			if c.Runs(t) {
				sel.tenants = append(sel.tenants, t)
				break
			}
		}
	}
	return sel, checkPlacement(plat, opts, sel.tenants)
}

// compileMisses compiles the selected tenants without a result yet, adding theirs.
func compileMisses(ctx context.Context, ev *load.Evaluator, plat *model.Platform, sel selection, installs map[string]*clusterInstall, workers int, inc *incremental, results map[string]tenantResult) error {
	todo := misses(sel.tenants, results)
	if len(todo) == 0 {
		return nil // an empty selection would be every tenant
	}
	var mu sync.Mutex
	return ev.Tenants(ctx, load.Options{Workers: workers, Tenants: todo}, func(inst *load.Instance) {
		r := compileTenant(plat, sel.clusters, installs, inst, inc.knownValid(inst.Tenant.Name))
		inc.store(r)
		mu.Lock()
		results[r.name] = r
		mu.Unlock()
	})
}

// misses returns the tenants without a result yet, in order.
func misses(tenants []string, results map[string]tenantResult) []string {
	var out []string
	for _, t := range tenants {
		if _, ok := results[t]; !ok {
			out = append(out, t)
		}
	}
	return out
}

// assemble places each tenant's output in the clusters that run it.
func assemble(plat *model.Platform, sel selection, installs map[string]*clusterInstall, results map[string]tenantResult) ([]Cluster, error) {
	var clusters []Cluster
	for _, name := range slices.Sorted(maps.Keys(sel.clusters)) {
		c := Cluster{Name: name}
		if ci := installs[name]; ci != nil {
			c.Kubeflow = ci.compiled
		}
		for _, t := range sel.tenants {
			if out := results[t].outputs[name]; out != nil {
				c.Tenants = append(c.Tenants, Tenant{Name: t, Output: *out})
			}
		}
		clusters = append(clusters, c)
	}
	return clusters, nil
}

// bootstrap gives each cluster the objects its Flux needs to follow the platform
// artifact, validated (unless the cache knows them valid), and returns their problems.
func bootstrap(plat *model.Platform, clusters []Cluster, installs map[string]*clusterInstall, at diag.Position, inc *incremental, stats *Stats) diag.List {
	if plat.Flux == nil {
		return nil
	}
	var l diag.List
	for i := range clusters {
		objs := lower.FluxBootstrap(plat.Flux, clusters[i].Name)
		if ci := installs[clusters[i].Name]; ci != nil {
			addNeeds(objs, names.PlatformFluxName, ci.in.PlatformNeeds())
			objs = append(objs, kubeflow.Bootstrap(plat.Flux, clusters[i].Name)...)
		}
		clusters[i].Bootstrap = objs
		l = append(l, validatePlatformObjects(objs, func(string) diag.Position { return at }, inc, stats)...)
	}
	return l
}

// validatePlatformObjects encodes and validates objects of the platform's (those not
// already known valid), remembers them valid, and slims them for the tree.
func validatePlatformObjects(objs []manifest.Object, locate check.Locator, inc *incremental, stats *Stats) diag.List {
	_ = manifest.EncodeAll(objs)
	v := objectValidator{known: inc.platformKnownValid(objs)}
	diags := v.validate(objs, locate)
	stats.PlatformValidated += v.validated
	stats.PlatformKnownValid += v.skipped
	if !diags.HasErrors() {
		inc.rememberValid(objs, v.known)
	}
	manifest.SlimAll(objs)
	return diags
}

// scheduling gives each cluster the scheduling objects the platform declares for its
// training scheduler, validated against mlc's own Kueue and Volcano CRDs (no Kubeflow
// release installs them), and returns their problems, placed at their declarations.
func scheduling(plat *model.Platform, clusters []Cluster, locate func(string) diag.Position, inc *incremental, stats *Stats) diag.List {
	var l diag.List
	for i := range clusters {
		objs := lower.Scheduling(plat, plat.Clusters[clusters[i].Name])
		if len(objs) == 0 {
			continue
		}
		clusters[i].Scheduling = objs
		l = append(l, validatePlatformObjects(objs, check.Locator(locate), inc, stats)...)
	}
	return l
}

type tenantResult struct {
	name string
	// outputs are by cluster name; clusters with the same lowering target share one.
	outputs map[string]*lower.Output
	diags   diag.List
	// cached is true when the result was read from the cache instead of compiled.
	cached bool
	// evaluate is the CUE evaluation's time; compile the time spent after it (or
	// reading the cache entry).
	evaluate, compile time.Duration
	// validated counts the objects validated, knownValid those known valid already.
	validated, knownValid int
}

// compileTenant runs every stage for one tenant while its CUE value is alive, so that
// each problem can be placed at the user's line. The tenant is lowered once for each
// distinct target among the clusters that run it; its objects are encoded to YAML,
// validated (but those in known, by the SHA-256 of their YAML) and slimmed.
func compileTenant(plat *model.Platform, clusters map[string]model.Cluster, installs map[string]*clusterInstall, inst *load.Instance, known map[[sha256.Size]byte]bool) (r tenantResult) {
	start, evaluated := time.Now(), inst.Elapsed
	r = tenantResult{name: inst.Tenant.Name, diags: inst.Diagnostics}
	defer func() {
		// A large tenant is evaluated as it is decoded (load.Instance.DecodeTenant).
		r.evaluate, r.compile = inst.Elapsed, time.Since(start)-(inst.Elapsed-evaluated)
	}()
	if r.diags.HasErrors() {
		return r
	}
	var decls model.Declarations
	if err := inst.DecodeTenant(&decls); err != nil {
		if l := (diag.List)(nil); errors.As(err, &l) {
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
	r.diags = append(r.diags, tenantSecrets(inst, &decls, locate)...)
	if r.diags = append(r.diags, check.Tenant(plat, &decls, locate)...); r.diags.HasErrors() {
		return r
	}
	v := &objectValidator{known: known}
	defer func() { r.validated, r.knownValid = v.validated, v.skipped }()
	r.outputs = map[string]*lower.Output{}
	// Clusters of one target and the same patches share an output.
	type outputKey struct {
		target  lower.Target
		patches string
	}
	byTarget := map[outputKey]*lower.Output{}
	refused := map[outputKey]bool{}
	raw := rawIDs(&decls)
	type judged struct {
		key outputKey
		by  any // the release validator's maker, or nil for the shared validator
	}
	validated := map[judged]bool{}
	for _, name := range slices.Sorted(maps.Keys(clusters)) {
		if !clusters[name].Runs(decls.Tenant.Name) {
			continue
		}
		target := lower.TargetOf(plat, clusters[name])
		if ci := installs[name]; ci != nil {
			target.Training.PodTemplateOverrides = ci.in.HasSpecField(kubeflow.TrainJobKind, "podTemplateOverrides") &&
				!ci.in.HasSpecField(kubeflow.TrainJobKind, "runtimePatches")
		}
		patches := tenantPatches(&decls, name)
		key := outputKey{target, patchKey(patches)}
		out, done := byTarget[key]
		if !done {
			o := lower.Tenant(plat, target, &decls)
			escaped := escapeHatch(&decls, &o, patches, locate)
			r.diags = append(r.diags, escaped...)
			refused[key] = escaped.HasErrors()
			out = &o
			byTarget[key] = out
		}
		cv := v
		if ci := installs[name]; ci != nil {
			r.diags = append(r.diags, checkInstalled(name, ci.in, out.Workloads, locate)...)
			// Objects known valid were judged by these very CRDs (incremental.judges).
			cv = &objectValidator{release: ci.validator, known: v.known, judgeKey: ci}
		}
		if j := (judged{key, cv.judge()}); !validated[j] && !refused[key] {
			validated[j] = true
			// Objects of a kind the cluster does not serve have no schema to validate by.
			if scoped := cv.scope(name, out.Workloads, raw, locate); len(scoped) > 0 {
				r.diags = append(r.diags, scoped...)
			} else {
				r.diags = append(r.diags, cv.validateAll(locate, out.Platform, out.Workloads)...)
			}
		}
		defer v.count(cv)
		if plat.Flux != nil {
			ci := installs[name]
			flux := lower.FluxTenant(plat.Flux, name, decls.Tenant, out.Workloads, ci != nil && ci.in.Provides(kubeflow.PipelineKind))
			if ci != nil {
				addNeeds(flux, names.TenantFluxName, ci.in.TenantNeeds(objectContents(out.Workloads)))
			}
			r.diags = append(r.diags, cv.validateAll(locate, flux)...)
			withFlux := *out
			withFlux.Platform = append(slices.Clone(out.Platform), flux...)
			slices.SortFunc(withFlux.Platform, manifest.Compare)
			out = &withFlux
		}
		r.outputs[name] = out
	}
	for _, out := range r.outputs {
		manifest.SlimAll(out.Platform)
		manifest.SlimAll(out.Workloads)
	}
	return r
}

// objectValidator validates objects as the API server would: a rejection is a bug in a
// check or in lowering, reported at the declaration the object came from. An object
// whose YAML's SHA-256 is in known is not validated again: this very mlc found it valid
// before. That makes compiling a tenant again after a small change cheap: validating
// the first object of a kind builds its schema.
type objectValidator struct {
	known map[[sha256.Size]byte]bool
	// release makes the validator of the cluster's CRDs, when it has its own, on first
	// need: a tenant whose objects are all known valid needs none.
	release func() (*validate.Validator, error)
	// judgeKey identifies the release validator (its install).
	judgeKey any
	// validated counts the objects validated, skipped those known valid.
	validated, skipped int
}

// validateAll encodes and validates the objects of each list.
func (v *objectValidator) validateAll(locate check.Locator, lists ...[]manifest.Object) diag.List {
	var l diag.List
	for _, objs := range lists {
		l = append(l, v.validate(objs, locate)...)
	}
	return l
}

func (v *objectValidator) validate(objs []manifest.Object, locate check.Locator) diag.List {
	var l diag.List
	todo := make([]bool, len(objs))
	var kinds []schema.GroupVersionKind
	for i := range objs {
		o := &objs[i]
		if err := o.Encode(); err != nil {
			l.Errorf(locate(o.Source), o.Source, "the compiled %s %s cannot be written as YAML: %v", o.Kind(), o.Name(), err)
			continue
		}
		if o.Content == nil {
			continue // a file published as it is (an encrypted Secret): nothing to judge
		}
		if len(v.known) > 0 && v.known[sha256.Sum256(o.Encoded)] {
			v.skipped++
			continue
		}
		todo[i] = true
		if gvk := schema.FromAPIVersionAndKind(o.APIVersion(), o.Kind()); !slices.Contains(kinds, gvk) {
			kinds = append(kinds, gvk)
		}
	}
	var vd *validate.Validator
	if slices.Contains(todo, true) {
		var err error
		if vd, err = v.validator(); err != nil {
			l.Errorf(locate(""), "", "the cluster's CRDs: %v", err)
			return l
		}
		vd.Prepare(kinds)
	}
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
		v.validated++
		for _, fe := range vd.Validate(o.Content) {
			l.Errorf(locate(o.Source), o.Source, "the compiled %s %s would be rejected by the API server: %s: %s", o.Kind(), o.Name(), fe.Path, fe.Message)
		}
	}
	return l
}

// scope refuses the tenant's raw objects (by ID, in raw) of kinds the validator does
// not serve, or serves cluster-scoped.
func (v *objectValidator) scope(cluster string, objs []manifest.Object, raw map[string]bool, locate check.Locator) diag.List {
	if len(raw) == 0 {
		return nil
	}
	vd, err := v.validator()
	if err != nil {
		var l diag.List
		l.Errorf(locate(""), "", "the cluster's CRDs: %v", err)
		return l
	}
	return rawScope(vd, cluster, objs, raw, locate)
}

// count adds to v what another validator of the same tenant counted.
func (v *objectValidator) count(other *objectValidator) {
	if other != v {
		v.validated += other.validated
		v.skipped += other.skipped
	}
}

// validator is the validator objects are judged by.
func (v *objectValidator) validator() (*validate.Validator, error) {
	if v.release != nil {
		return v.release()
	}
	return validator, nil
}

// judge identifies the validator: objects judged by one need not be judged again by it.
func (v *objectValidator) judge() any { return v.judgeKey }

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
