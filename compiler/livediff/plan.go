package livediff

import (
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// Flux's kustomize-controller applies with this field manager, and labels every object
// with the Kustomization that applied it.
const (
	fluxFieldManager = "kustomize-controller"
	fluxNameLabel    = "kustomize.toolkit.fluxcd.io/name"
	fluxNSLabel      = "kustomize.toolkit.fluxcd.io/namespace"
	pruneKey         = "kustomize.toolkit.fluxcd.io/prune"
	pruneDisabled    = "disabled"
	// ownFieldManager applies what no Kustomization applies: the cluster's bootstrap,
	// or everything when the platform has no Flux wiring.
	ownFieldManager = "mlc"
)

// applier is the Kustomization that applies an object; the zero value is none.
type applier struct{ namespace, name string }

// item is one rendered object and how it reaches the cluster.
type item struct {
	tenant string
	obj    manifest.Object
	by     applier
}

// applyPlan is what the repository wants in the cluster.
type applyPlan struct {
	items []item
	// flux is set when the platform wires Flux: then appliers have inventories.
	flux bool
	// platformURL is the artifact the cluster's platform OCIRepository should follow.
	platformURL string
	// tenants are those compared: the selection, or every tenant the cluster runs.
	tenants []string
	// selected is set when the user limited the tenants.
	selected bool
}

// plan lists the objects of the compiled cluster with their appliers: the bootstrap is
// applied by hand, each tenant's platform objects by the platform Kustomization, its
// workloads by its own.
func plan(res *compiler.Result, only []string) *applyPlan {
	c := res.Clusters[0]
	p := &applyPlan{flux: res.Platform.Flux != nil, selected: len(only) > 0}
	if p.flux {
		p.platformURL = lower.PlatformArtifact(res.Platform.Flux, c.Name)
	}
	for _, o := range c.Bootstrap {
		p.items = append(p.items, item{obj: o})
	}
	platform := applier{lower.FluxNamespace, lower.PlatformFluxName}
	for _, t := range c.Tenants {
		p.tenants = append(p.tenants, t.Name)
		tenant := applier{t.Name, lower.TenantFluxName}
		if !p.flux {
			platform, tenant = applier{}, applier{}
		}
		for _, o := range t.Platform {
			p.items = append(p.items, item{tenant: t.Name, obj: o, by: platform})
		}
		for _, o := range t.Workloads {
			p.items = append(p.items, item{tenant: t.Name, obj: o, by: tenant})
		}
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

func groupKind(o manifest.Object) schema.GroupKind {
	return schema.GroupKind{Group: o.Group(), Kind: o.Kind()}
}
