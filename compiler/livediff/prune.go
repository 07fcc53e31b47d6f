package livediff

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/fluxcd/cli-utils/pkg/object"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

var (
	kustomizations = kustomizev1.GroupVersion.WithResource("kustomizations")
	ociRepos       = sourcev1.GroupVersion.WithResource("ocirepositories")
)

// checkCluster refuses a cluster whose Flux follows another cluster's platform artifact:
// the kubeconfig context is then not the cluster the user named.
func (l *live) checkCluster(ctx context.Context, p *applyPlan) error {
	if !p.flux {
		return nil
	}
	u, err := l.dyn.Resource(ociRepos).Namespace(lower.FluxNamespace).Get(ctx, lower.PlatformFluxName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return nil // not bootstrapped yet: everything is new
	case err != nil:
		return fmt.Errorf("reading the platform's OCIRepository: %w", err)
	}
	url, _, _ := unstructured.NestedString(u.Object, "spec", "url")
	if url != p.platformURL {
		return fmt.Errorf("this cluster's Flux follows %s, not %s: check --context", url, p.platformURL)
	}
	return nil
}

// pruned adds to base the objects Flux would delete: those in an applier's inventory
// that the repository no longer renders, unless marked to be kept. A tenant that is gone
// from the repository loses its Kustomization, and with it all of its objects.
func (l *live) pruned(ctx context.Context, p *applyPlan, base map[string][]manifest.Object) error {
	if !p.flux {
		return nil
	}
	rendered := map[applier]map[object.ObjMetadata]bool{}
	for _, it := range p.items {
		if it.by == (applier{}) {
			continue
		}
		if rendered[it.by] == nil {
			rendered[it.by] = map[object.ObjMetadata]bool{}
		}
		rendered[it.by][objMetadata(it.obj)] = true
	}

	appliers, err := l.appliers(ctx)
	if err != nil {
		return err
	}
	for _, a := range appliers {
		if a.by != platformApplier && !p.compared(a.by.namespace) {
			continue
		}
		for _, e := range a.inventory {
			if rendered[a.by][e.id] {
				continue
			}
			tenant := ownerTenant(a.by, e.id)
			if !p.compared(tenant) {
				continue
			}
			obj, err := l.get(ctx, e)
			if err != nil {
				return err
			}
			if obj == nil || pruneProtected(obj) {
				continue
			}
			base[tenant] = append(base[tenant], manifest.Object{Content: normalize(obj.Object)})
		}
	}
	return nil
}

// ownerTenant is the tenant an applied object belongs to: the one whose Kustomization
// applied it, or for the platform's, the tenant whose namespace it is in or is.
func ownerTenant(by applier, id object.ObjMetadata) string {
	switch {
	case by != platformApplier:
		return by.namespace
	case id.Namespace != "":
		return id.Namespace
	case id.GroupKind.Group == "" && id.GroupKind.Kind == "Namespace",
		id.GroupKind.Group == "kubeflow.org" && id.GroupKind.Kind == "Profile":
		return id.Name
	}
	return ""
}

// inventoried is a Kustomization that prunes, with what it applied.
type inventoried struct {
	by        applier
	inventory []entry
}

type entry struct {
	id      object.ObjMetadata
	version string
}

// appliers are the Kustomizations mlc wires that prune: the platform's and every
// tenant's, whether or not the repository still has the tenant.
func (l *live) appliers(ctx context.Context) ([]inventoried, error) {
	list, err := l.dyn.Resource(kustomizations).List(ctx, metav1.ListOptions{})
	switch {
	case meta.IsNoMatchError(err) || apierrors.IsNotFound(err):
		return nil, nil // no Flux: nothing to prune
	case err != nil:
		return nil, fmt.Errorf("listing Flux Kustomizations: %w", err)
	}
	var out []inventoried
	for _, u := range list.Items {
		by := applier{u.GetNamespace(), u.GetName()}
		if by != platformApplier && by.name != lower.TenantFluxName {
			continue
		}
		var k kustomizev1.Kustomization
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &k); err != nil {
			return nil, fmt.Errorf("reading Flux Kustomization %s/%s: %w", by.namespace, by.name, err)
		}
		if !k.Spec.Prune || k.Status.Inventory == nil {
			continue
		}
		a := inventoried{by: by}
		for _, e := range k.Status.Inventory.Entries {
			id, err := object.ParseObjMetadata(e.ID)
			if err != nil {
				return nil, fmt.Errorf("reading Flux Kustomization %s/%s: inventory entry %q: %w", by.namespace, by.name, e.ID, err)
			}
			a.inventory = append(a.inventory, entry{id: id, version: e.Version})
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b inventoried) int {
		return compareApplier(a.by, b.by)
	})
	return out, nil
}

func compareApplier(a, b applier) int {
	return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name))
}

// get reads an inventory entry's object; nil when it is gone already.
func (l *live) get(ctx context.Context, e entry) (*unstructured.Unstructured, error) {
	gvk := e.id.GroupKind.WithVersion(e.version)
	ri, err := l.resource(gvk, e.id.Namespace)
	if meta.IsNoMatchError(err) {
		return nil, nil // its kind is no longer served: nothing left to prune
	}
	if err != nil {
		return nil, err
	}
	u, err := ri.Get(ctx, e.id.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}

// objMetadata is an object's identity as Flux's inventory writes it.
func objMetadata(o manifest.Object) object.ObjMetadata {
	return object.ObjMetadata{Namespace: o.Namespace(), Name: o.Name(), GroupKind: groupKind(o)}
}
