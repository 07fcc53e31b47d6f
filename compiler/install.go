package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mlc-gitops/mlc/compiler/cache"
	"github.com/mlc-gitops/mlc/compiler/check"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/kubeflow"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/validate"
	"github.com/mlc-gitops/mlc/internal/parallel"
	"github.com/mlc-gitops/mlc/internal/statindex"
	"sigs.k8s.io/kustomize/api/types"
)

// Install is the Kubeflow a cluster installs, compiled: its units in the order they
// apply, and their Flux Kustomizations.
type Install struct {
	Release string
	Units   []InstallUnit
	// Flux are the units' Flux Kustomizations; empty without Flux wiring.
	Flux []manifest.Object
}

// InstallUnit is one unit of an install: a folder of the cluster's tree.
type InstallUnit struct {
	Name    string
	Objects []manifest.Object
}

// clusterInstall is a cluster's Kubeflow: what tenants are wired against, and the
// objects that install it.
type clusterInstall struct {
	in       *kubeflow.Installed
	compiled *Install
	// validator judges objects for the cluster: the release's CRDs and Flux's.
	validator func() (*validate.Validator, error)
	// digest is installDigest's, computed once: every tenant's key includes it.
	digest func() string
}

// newClusterInstall makes a clusterInstall whose validator is made, once, from the CRDs
// crds gives (as JSON), when first asked for.
func newClusterInstall(in *kubeflow.Installed, compiled *Install, crds func() ([][]byte, error)) *clusterInstall {
	return &clusterInstall{in: in, compiled: compiled, validator: sync.OnceValues(func() (*validate.Validator, error) {
		c, err := crds()
		if err != nil {
			return nil, err
		}
		return validate.NewFromCRDs(append(c, validate.EmbeddedCRDs(slices.Concat(fluxGroups, schedulerGroups)...)...))
	}), digest: sync.OnceValue(func() string {
		h := sha256.Sum256([]byte(in.Digest()))
		return hex.EncodeToString(h[:])
	})}
}

// fluxGroups are the API groups of Flux's objects mlc writes: no Kubeflow release
// installs them, so every cluster's validator knows them from mlc's own CRDs.
var fluxGroups = []string{"source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io"}

// schedulerGroups are the API groups of Kueue's and Volcano's objects mlc writes: no
// Kubeflow release installs them either (the platform team does), so they are judged
// by mlc's own CRDs, Kueue v0.19 and Volcano v1.15.
var schedulerGroups = []string{"kueue.x-k8s.io", "scheduling.volcano.sh"}

// crdsOf returns the CRDs among an install's objects, as JSON.
func crdsOf(in *kubeflow.Installed) ([][]byte, error) {
	var out [][]byte
	for _, u := range in.Units {
		for _, o := range u.Objects {
			if o["kind"] == "CustomResourceDefinition" {
				b, err := json.Marshal(o)
				if err != nil {
					return nil, err
				}
				out = append(out, b)
			}
		}
	}
	return out, nil
}

// buildInstalls builds the Kubeflow of each selected cluster that declares one, once for
// clusters whose settings are the same, or takes it from the cache when nothing it was
// built from changed; problems are placed at the kubeflow field.
func buildInstalls(plat *model.Platform, sel selection, resolve func(string) string, locate func(string) diag.Position, fetch func(model.KubeflowGit) (string, error), inc *incremental) (map[string]*clusterInstall, diag.List) {
	var l diag.List
	out := map[string]*clusterInstall{}
	built := map[string]*clusterInstall{} // by the plan's settings
	failed := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(sel.clusters)) {
		k := plat.KubeflowFor(name)
		if k == nil {
			continue
		}
		field := "kubeflow"
		if plat.Clusters[name].Kubeflow != nil {
			field = "clusters." + name + ".kubeflow"
		}
		plan, err := kubeflow.NewPlan(k, kubeflow.Settings{TrialResources: plat.Defaults.Katib.TrialResources, StorageClass: plat.Defaults.StorageClass,
			UserIDHeader: plat.Defaults.Access.UserIDHeader, UserIDPrefix: plat.Defaults.Access.UserIDPrefix}, resolve, fetch)
		if err != nil {
			addInstallError(&l, locate, field, name, err)
			continue
		}
		key := planKey(plan, plat.Flux)
		if ci, ok := built[key]; ok || failed[key] {
			out[name] = ci
			continue
		}
		ci, err := inc.install(key, plan, plat.Flux)
		if err != nil {
			failed[key] = true
			addInstallError(&l, locate, field, name, err)
			continue
		}
		built[key], out[name] = ci, ci
	}
	l = append(l, unusedImageSettings(plat, out, locate)...)
	return out, l
}

// unusedImageSettings reports the kubeflow image settings no install runs an image of:
// kustomize passes over a name that no container has (a misspelt one) without a word.
// A setting of the platform's kubeflow is reported only when no cluster runs its image,
// as a cluster may turn off the component that has it.
func unusedImageSettings(plat *model.Platform, installs map[string]*clusterInstall, locate func(string) diag.Position) diag.List {
	type use struct {
		clusters []string
		ran      bool
		release  string
		near     []string
	}
	uses := map[string]*use{}
	for _, name := range slices.Sorted(maps.Keys(installs)) {
		ci := installs[name]
		if ci == nil {
			continue
		}
		k := plat.KubeflowFor(name)
		for image, set := range k.Images {
			path := "kubeflow.images." + strconv.Quote(image)
			if own := plat.Clusters[name].Kubeflow; own != nil && own.Images[image] != (model.KubeflowImage{}) {
				path = "clusters." + name + "." + path
			}
			u := uses[path]
			if u == nil {
				u = &use{release: ci.in.Release}
				uses[path] = u
			}
			u.clusters = append(u.clusters, name)
			u.ran = u.ran || ci.in.Runs(types.Image{Name: image, NewName: set.NewName, NewTag: set.NewTag, Digest: set.Digest})
			u.near = append(u.near, ci.in.ImagesLike(image)...)
		}
	}
	var l diag.List
	for _, path := range slices.Sorted(maps.Keys(uses)) {
		if u := uses[path]; !u.ran {
			image, _ := strconv.Unquote(path[strings.LastIndex(path, ".images.")+len(".images."):])
			msg := fmt.Sprintf("no container of Kubeflow %s runs an image named %q (clusters %s): the setting matches the image name as the release writes it", u.release, image, strings.Join(u.clusters, ", "))
			if near := slices.Compact(slices.Sorted(slices.Values(u.near))); len(near) > 0 {
				msg += "; the release has " + strings.Join(near, ", ")
			}
			l.Errorf(locate(path), path, "%s", msg)
		}
	}
	return l
}

// planKey sums what an install is built from, but the content of the files it reads.
func planKey(plan *kubeflow.Plan, flux *model.Flux) string {
	b, err := json.Marshal(struct {
		Plan *kubeflow.Plan
		Flux *model.Flux
	}{plan, flux})
	if err != nil {
		panic(err) // plain data
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// installRecord is what the cache keeps about an install, by its plan's key: the files
// its build read, and its summary.
type installRecord struct {
	Version string             `json:"version"`
	Units   []string           `json:"units"`
	Files   []kubeflow.FileSum `json:"files"`
	Summary kubeflow.Summary   `json:"summary"`
}

// installEntry is the name entries of installs are stored under, where a tenant's
// name would be: no tenant has it.
const installEntry = "kubeflow install"

// install returns the install of a plan: from the cache when the files its last build
// read hold what they held, else built, compiled and stored.
func (inc *incremental) install(key string, plan *kubeflow.Plan, flux *model.Flux) (*clusterInstall, error) {
	if ci := inc.cachedInstall(key); ci != nil {
		return ci, nil
	}
	in, err := plan.Build()
	if err != nil {
		return nil, err
	}
	crds, err := crdsOf(in)
	if err != nil {
		return nil, err
	}
	ci := newClusterInstall(in, nil, func() ([][]byte, error) { return crds, nil })
	if err := validateInstall(ci); err != nil {
		return nil, err
	}
	if ci.compiled, err = compileInstall(flux, in); err != nil {
		return nil, err
	}
	inc.storeInstall(key, in, ci.compiled, crds)
	return ci, nil
}

// validateInstall validates every object of an install with the cluster's validator.
func validateInstall(ci *clusterInstall) error {
	vd, err := ci.validator()
	if err != nil {
		return fmt.Errorf("the install's CRDs: %w", err)
	}
	return ci.in.Validate(vd)
}

func (inc *incremental) cachedInstall(key string) *clusterInstall {
	if inc == nil || inc.writeOnly || inc.c.Version() == "" {
		return nil
	}
	b, ok := inc.c.LoadRecord("kubeflow", key)
	var rec installRecord
	if !ok || json.Unmarshal(b, &rec) != nil || rec.Version != inc.c.Version() {
		return nil
	}
	content, ok, stats := contentKey(key, rec.Files, inc.loadInstallStats(key))
	if !ok {
		return nil
	}
	inc.storeInstallStats(key, stats)
	e, ok := inc.c.Load(content, installEntry)
	if !ok {
		return nil
	}
	in, err := kubeflow.FromSummary(rec.Summary)
	if err != nil {
		return nil
	}
	crds := func() ([][]byte, error) {
		b, ok := inc.c.LoadRecord("kubeflow-crds", key)
		var list []json.RawMessage
		if !ok || json.Unmarshal(b, &list) != nil {
			return nil, fmt.Errorf("the cached CRDs of a Kubeflow install are gone: render with --no-cache")
		}
		out := make([][]byte, len(list))
		for i, c := range list {
			out[i] = c
		}
		return out, nil
	}
	compiled := &Install{Release: rec.Summary.Release}
	if f := e.Outputs[""]; f != nil {
		compiled.Flux = f.Workloads
	}
	for _, u := range rec.Units {
		o := e.Outputs[u]
		if o == nil {
			return nil
		}
		compiled.Units = append(compiled.Units, InstallUnit{Name: u, Objects: o.Workloads})
	}
	return newClusterInstall(in, compiled, crds)
}

func (inc *incremental) storeInstall(key string, in *kubeflow.Installed, compiled *Install, crds [][]byte) {
	if inc == nil || inc.c.Version() == "" {
		return
	}
	rec := installRecord{Version: inc.c.Version(), Summary: in.Summary()}
	outputs := map[string]*lower.Output{"": {Workloads: compiled.Flux}}
	for i, u := range in.Units {
		rec.Units = append(rec.Units, u.Name)
		rec.Files = append(rec.Files, u.Files...)
		outputs[u.Name] = &lower.Output{Workloads: compiled.Units[i].Objects}
	}
	content, ok, stats := contentKey(key, rec.Files, nil)
	if !ok {
		return
	}
	inc.storeInstallStats(key, stats)
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	list := make([]json.RawMessage, len(crds))
	for i, c := range crds {
		list[i] = c
	}
	crdsJSON, err := json.Marshal(list)
	if err != nil {
		return
	}
	if inc.c.Store(content, installEntry, &cache.Entry{Outputs: outputs}) == nil && inc.c.StoreRecord("kubeflow-crds", key, crdsJSON) == nil {
		_ = inc.c.StoreRecord("kubeflow", key, b)
	}
}

// contentKey sums an install's plan key with what the files its build read hold now;
// false when one holds something else than the build read. A file whose stat the prior
// index vouches for is not read again. It returns the index of the files as they are,
// or nil when the prior one vouched for every file.
func contentKey(key string, files []kubeflow.FileSum, prior *statindex.Index) (cache.Key, bool, *statindex.Index) {
	now := statindex.New(clock()) // before any file is looked at
	var mu sync.Mutex
	var ok, read atomic.Bool
	ok.Store(true)
	parallel.For(len(files), 0, func(i int) {
		f := files[i]
		st, statOK := statindex.Lstat(f.Path)
		sum, known := prior.Lookup(f.Path, st)
		if !statOK || !known {
			read.Store(true)
			data, err := readInstallFile(f.Path)
			if err != nil {
				ok.Store(false)
				return
			}
			sum = sha256.Sum256(data)
		}
		if sum != f.Sum {
			ok.Store(false)
			return
		}
		mu.Lock()
		now.Add(f.Path, st, sum)
		mu.Unlock()
	})
	h := cache.NewHasher()
	h.String("mlc kubeflow install")
	h.String(key)
	for _, f := range files {
		h.String(f.Path)
		h.Bytes(f.Sum[:])
	}
	if !read.Load() {
		now = nil
	}
	return h.Key(), ok.Load(), now
}

// readInstallFile reads a file of an install's source; tests count the reads.
var readInstallFile = os.ReadFile

// installStatRecord is the kind of record that keeps the stat index of an install's files.
const installStatRecord = "kubeflow-stat"

// loadInstallStats returns the stat index stored for an install's files, or nil.
func (inc *incremental) loadInstallStats(key string) *statindex.Index {
	b, ok := inc.c.LoadRecord(installStatRecord, key)
	x := &statindex.Index{}
	if !ok || x.UnmarshalBinary(b) != nil {
		return nil
	}
	return x
}

func (inc *incremental) storeInstallStats(key string, x *statindex.Index) {
	if x == nil {
		return
	}
	if b, err := x.MarshalBinary(); err == nil {
		_ = inc.c.StoreRecord(installStatRecord, key, b)
	}
}

// addInstallError reports an install's problems, one diagnostic each, at the field the
// message names (kubeflow.release: ...) or at the kubeflow field.
func addInstallError(l *diag.List, locate func(string) diag.Position, field, cluster string, err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		path, msg := field, e.Error()
		f, rest, ok := strings.Cut(msg, ": ")
		switch {
		case ok && strings.HasPrefix(f, "kubeflow."):
			path, msg = strings.Replace(f, "kubeflow", field, 1), rest
		case ok && strings.HasPrefix(f, "defaults."): // a default the install contradicts
			path, msg = f, rest
		}
		l.Errorf(locate(path), path, "cluster %s: %s", cluster, msg)
	}
}

// compileInstall makes a cluster's install into objects: the units' objects, encoded,
// and, with Flux wiring, their Kustomizations.
func compileInstall(flux *model.Flux, in *kubeflow.Installed) (*Install, error) {
	ins := &Install{Release: in.Release}
	for _, u := range in.Units {
		objs := make([]manifest.Object, len(u.Objects))
		for i, c := range u.Objects {
			objs[i] = manifest.Object{Source: "kubeflow." + u.Name, Content: c}
		}
		if err := manifest.EncodeAll(objs); err != nil {
			return nil, fmt.Errorf("kubeflow unit %s: %w", u.Name, err)
		}
		manifest.SlimAll(objs)
		for _, p := range u.Passthrough {
			id := manifest.Ident{APIVersion: p.APIVersion, Kind: p.Kind, Name: p.Name, Namespace: p.Namespace}
			objs = append(objs, manifest.Object{Source: "kubeflow.secrets", Ident: &id, Encoded: p.Data})
		}
		ins.Units = append(ins.Units, InstallUnit{Name: u.Name, Objects: objs})
	}
	if flux != nil {
		ins.Flux = in.FluxUnits(flux)
		if err := manifest.EncodeAll(ins.Flux); err != nil {
			return nil, err
		}
		manifest.SlimAll(ins.Flux)
	}
	return ins, nil
}

// installDigest is what of a cluster's install its tenants compile against: the units
// that provide what tenant objects need. It is part of their cache keys.
func installDigest(ci *clusterInstall) string {
	if ci == nil {
		return ""
	}
	return ci.digest()
}

// addNeeds makes a Flux Kustomization among objs, of that name, depend also on units
// of the install.
func addNeeds(objs []manifest.Object, name string, units []string) {
	if len(units) == 0 {
		return
	}
	for i := range objs {
		o := &objs[i]
		if o.Kind() != "Kustomization" || o.Name() != name || o.Content == nil {
			continue
		}
		spec, _ := o.Content["spec"].(map[string]any)
		deps, _ := spec["dependsOn"].([]any)
		spec["dependsOn"] = append(deps, kubeflow.DependsOn(units)...)
		o.Encoded = nil
	}
}

// objectContents returns the contents of objects that still carry them.
func objectContents(objs []manifest.Object) []map[string]any {
	out := make([]map[string]any, 0, len(objs))
	for _, o := range objs {
		if o.Content != nil {
			out = append(out, o.Content)
		}
	}
	return out
}

// kubeflowCacheDir is where git sources of Kubeflow releases are cloned: beside the
// compile cache (cacheDir, or the default one when empty).
func kubeflowCacheDir(cacheDir string) string {
	if cacheDir == "" {
		d, err := cache.Dir()
		if err != nil {
			return filepath.Join(os.TempDir(), "mlc-kubeflow")
		}
		cacheDir = d
	}
	return filepath.Join(filepath.Dir(cacheDir), "kubeflow")
}

// checkInstalled reports the tenant objects a cluster's install cannot run, at the
// declarations they come from.
func checkInstalled(cluster string, in *kubeflow.Installed, objs []manifest.Object, locate check.Locator) diag.List {
	var l diag.List
	for _, o := range objs {
		if o.Content == nil || slices.Contains(schedulerGroups, o.Group()) {
			continue // the scheduler is the platform team's to install, not Kubeflow's
		}
		if msg := in.CheckWorkload(o.Content); msg != "" {
			l.Errorf(locate(o.Source), o.Source, "cluster %s: %s", cluster, msg)
		}
	}
	return l
}
