package compiler

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/check"
	"github.com/mlc-gitops/mlc/compiler/contain"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/patch"
	"github.com/mlc-gitops/mlc/compiler/validate"
)

// tenantPatches returns the tenant's patches that apply to its output for the cluster,
// in the order of their names.
func tenantPatches(d *model.Declarations, cluster string) []patch.Patch {
	var out []patch.Patch
	for _, name := range slices.Sorted(maps.Keys(d.Patches)) {
		if p := d.Patches[name]; p.AppliesTo(cluster) {
			out = append(out, patch.Patch{Patch: p.Kustomize(), Source: model.Path("patches", name)})
		}
	}
	return out
}

// patchKey names a set of patches: clusters with the same target and patches share
// one output.
func patchKey(ps []patch.Patch) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Source)
		b.WriteByte(0)
	}
	return b.String()
}

// escapeHatch adds the tenant's raw objects to its workloads and applies its patches
// to them, before they are validated. A raw object may not be one mlc writes; a patch
// must match a workload and leave it in the tenant (package contain). A patched object
// is placed at the patch that changed it last, in errors and as its Source.
func escapeHatch(d *model.Declarations, out *lower.Output, patches []patch.Patch, locate check.Locator) diag.List {
	var l diag.List
	if raw := lower.Objects(d.Tenant.Name, d); len(raw) > 0 {
		l = append(l, collisions(d.Tenant, out, raw, locate)...)
		out.Workloads = append(out.Workloads, raw...)
		manifest.Sort(out.Workloads)
	}
	if len(patches) == 0 || l.HasErrors() {
		return l
	}
	// An encrypted Secret is published as its file holds it: no patch reaches it.
	var patchable, asIs []manifest.Object
	for _, o := range out.Workloads {
		if o.Content == nil {
			asIs = append(asIs, o)
		} else {
			patchable = append(patchable, o)
		}
	}
	res, errs := patch.Apply(patchable, patches)
	if len(errs) > 0 {
		platform := append(slices.Clone(out.Platform), lower.FluxTenant(&model.Flux{}, "", d.Tenant, nil, true)...)
		for _, e := range errs {
			l.Errorf(locate(e.Source), e.Source, "%v%s", e.Err, platformHint(e, platform))
		}
		return l
	}
	for i, o := range res.Objects {
		by := res.By[o.ID()]
		if by == "" {
			continue
		}
		before := map[contain.Violation]bool{}
		for _, v := range contain.Check(patchable[i].Content, d.Tenant.Name) {
			before[v] = true
		}
		for _, v := range contain.Check(o.Content, d.Tenant.Name) {
			if !before[v] {
				l.Errorf(locate(by), by, "the patch makes %s %s's %s: %s", o.Kind(), o.Name(), v.Path, v.Message)
			}
		}
		res.Objects[i].Source = by
	}
	out.Workloads = append(res.Objects, asIs...)
	manifest.Sort(out.Workloads)
	return l
}

// collisions refuses a raw object that is one mlc writes for the tenant: a workload,
// an object of its namespace's platform part or of its Flux wiring.
func collisions(t *model.Tenant, out *lower.Output, raw []manifest.Object, locate check.Locator) diag.List {
	mlc := map[string]string{}
	for _, list := range [][]manifest.Object{out.Platform, out.Workloads, lower.FluxTenant(&model.Flux{}, "", t, nil, true)} {
		for _, o := range list {
			mlc[o.ID()] = o.Source
		}
	}
	var l diag.List
	for _, o := range raw {
		if src, ok := mlc[o.ID()]; ok {
			l.Errorf(locate(o.Source), o.Source, "%s %s is an object mlc writes for the tenant (from %s): name the object otherwise", o.Kind(), o.Name(), src)
		}
	}
	return l
}

// platformHint explains a patch that matches nothing but names a kind of the objects
// mlc writes into the platform's part of the tenant, which tenants' patches do not see.
func platformHint(e patch.Error, platform []manifest.Object) string {
	var nm *patch.NoMatchError
	if !errors.As(e.Err, &nm) || nm.Kind == "" {
		return ""
	}
	for _, o := range platform {
		if o.Kind() == nm.Kind {
			return fmt.Sprintf(": a tenant's patches apply to its workloads; its %s is the platform's, as are its Profile, quota, LimitRange, bindings and Flux objects", o.Kind())
		}
	}
	return ""
}

// rawScope refuses the raw objects (by ID, in raw) of a kind that the validator (the
// cluster's release, or mlc's embedded CRDs and built-in kinds) does not serve, or
// serves cluster-scoped.
func rawScope(vd *validate.Validator, cluster string, objs []manifest.Object, raw map[string]bool, locate check.Locator) diag.List {
	var l diag.List
	for _, o := range objs {
		if !raw[o.ID()] {
			continue
		}
		switch namespaced, known := vd.Namespaced(o.APIVersion(), o.Kind()); {
		case !known:
			l.Errorf(locate(o.Source), o.Source, "cluster %s does not serve %s %s: none of its CRDs defines it, and it is no built-in kind mlc validates", cluster, o.APIVersion(), o.Kind())
		case !namespaced:
			l.Errorf(locate(o.Source), o.Source, "%s is cluster-scoped: a tenant declares objects of its namespace only", o.Kind())
		}
	}
	return l
}

// rawIDs are the IDs of the tenant's raw objects.
func rawIDs(d *model.Declarations) map[string]bool {
	if len(d.Objects) == 0 {
		return nil
	}
	ids := map[string]bool{}
	for _, o := range lower.Objects(d.Tenant.Name, d) {
		ids[o.ID()] = true
	}
	return ids
}
