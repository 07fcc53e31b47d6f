package compiler

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/cache"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/kubeflow"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
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

// installs builds the Kubeflow of each selected cluster that declares one, once for
// clusters whose settings are the same; problems are placed at the kubeflow field.
func buildInstalls(plat *model.Platform, sel selection, repoDir string, locate func(string) diag.Position, fetch func(model.KubeflowGit) (string, error)) (map[string]*kubeflow.Installed, diag.List) {
	var l diag.List
	out := map[string]*kubeflow.Installed{}
	built := map[string]*kubeflow.Installed{} // by the plan's settings
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
		plan, err := kubeflow.NewPlan(k, repoDir, fetch)
		if err != nil {
			addInstallError(&l, locate, field, name, err)
			continue
		}
		key := fmt.Sprintf("%+v", *plan)
		if in, ok := built[key]; ok || failed[key] {
			out[name] = in
			continue
		}
		in, err := plan.Build()
		if err != nil {
			failed[key] = true
			addInstallError(&l, locate, field, name, err)
			continue
		}
		built[key], out[name] = in, in
	}
	return out, l
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
		if f, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(f, "kubeflow.") {
			path, msg = strings.Replace(f, "kubeflow", field, 1), rest
		}
		l.Errorf(locate(path), path, "cluster %s: %s", cluster, msg)
	}
}

// compileInstall makes a cluster's install into objects: the units' objects, encoded,
// and, with Flux wiring, their Kustomizations.
func compileInstall(plat *model.Platform, in *kubeflow.Installed) (*Install, error) {
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
	if plat.Flux != nil {
		ins.Flux = in.FluxUnits(plat.Flux)
		if err := manifest.EncodeAll(ins.Flux); err != nil {
			return nil, err
		}
		manifest.SlimAll(ins.Flux)
	}
	return ins, nil
}

// installDigest is what of a cluster's install its tenants compile against: the units
// that provide what tenant objects need. It is part of their cache keys.
func installDigest(in *kubeflow.Installed) string {
	if in == nil {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(in.Digest()))
	return fmt.Sprintf("%x", h.Sum(nil))
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
