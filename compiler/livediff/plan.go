package livediff

import (
	"slices"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// applier is the Kustomization that applies an object; the zero value is none: the
// cluster's bootstrap, applied by hand, or everything when the platform has no Flux wiring.
type applier struct{ namespace, name string }

// platformApplier is the Kustomization that applies every tenant's platform objects.
var platformApplier = applier{names.FluxNamespace, names.PlatformFluxName}

// item is one rendered object and the tenant it belongs to ("" for the cluster's own).
type item struct {
	tenant string
	obj    manifest.Object
}

// apply is what one applier applies in one go, as Flux applies a Kustomization's
// objects: all of them, in stages.
type apply struct {
	by    applier
	items []item
}

// applyPlan is what the repository wants in the cluster.
type applyPlan struct {
	// applies are in the order the cluster takes them: the bootstrap, the platform's
	// Kustomization, then each tenant's, which depend on it.
	applies []apply
	// flux is set when the platform wires Flux: then appliers have inventories.
	flux bool
	// platformURL is the artifact the cluster's platform OCIRepository should follow.
	platformURL string
	// tenants are those compared: the selection, or every tenant the cluster runs.
	tenants []string
	// selected is set when the user limited the tenants.
	selected bool
}

// plan lists the objects of the compiled cluster by the apply that brings them: the
// bootstrap is applied by hand, each tenant's platform objects by the platform
// Kustomization, its Pipelines by its pipelines Kustomization, its other workloads by
// its own.
func plan(res *compiler.Result, only []string) *applyPlan {
	c := res.Clusters[0]
	p := &applyPlan{flux: res.Platform.Flux != nil, selected: len(only) > 0}
	if !p.flux {
		all := apply{}
		for _, o := range slices.Concat(c.Bootstrap, c.Scheduling) {
			all.items = append(all.items, item{obj: o})
		}
		for _, t := range c.Tenants {
			p.tenants = append(p.tenants, t.Name)
			for _, o := range slices.Concat(t.Platform, t.Workloads) {
				all.items = append(all.items, item{tenant: t.Name, obj: o})
			}
		}
		p.applies = []apply{all}
	} else {
		p.platformURL = names.PlatformArtifact(res.Platform.Flux, c.Name)
		boot, platform := apply{}, apply{by: platformApplier}
		for _, o := range c.Bootstrap {
			boot.items = append(boot.items, item{obj: o})
		}
		for _, o := range c.Scheduling {
			platform.items = append(platform.items, item{obj: o})
		}
		var tenants []apply
		for _, t := range c.Tenants {
			p.tenants = append(p.tenants, t.Name)
			for _, o := range t.Platform {
				platform.items = append(platform.items, item{tenant: t.Name, obj: o})
			}
			// A tenant's Pipelines are applied first, by a Kustomization of their own.
			first := apply{by: applier{t.Name, names.TenantPipelinesFluxName}}
			own := apply{by: applier{t.Name, names.TenantFluxName}}
			for _, o := range t.Workloads {
				if lower.AppliedFirst(o) {
					first.items = append(first.items, item{tenant: t.Name, obj: o})
				} else {
					own.items = append(own.items, item{tenant: t.Name, obj: o})
				}
			}
			if len(first.items) > 0 {
				tenants = append(tenants, first)
			}
			tenants = append(tenants, own)
		}
		p.applies = append([]apply{boot, platform}, tenants...)
	}
	if p.selected {
		p.tenants = slices.Clone(only)
	}
	return p
}

// compared reports whether objects of the tenant belong in the comparison.
func (p *applyPlan) compared(tenant string) bool {
	return !p.selected || slices.Contains(p.tenants, tenant)
}
