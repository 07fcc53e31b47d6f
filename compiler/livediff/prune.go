package livediff

import (
	"context"
	"fmt"

	"github.com/fluxcd/cli-utils/pkg/object"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/ssa"
	"github.com/fluxcd/pkg/ssa/utils"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// checkCluster refuses a cluster whose Flux follows another cluster's platform artifact:
// the kubeconfig context is then not the cluster the user named.
func (l *live) checkCluster(ctx context.Context, p *applyPlan) error {
	if !p.flux {
		return nil
	}
	var repo sourcev1.OCIRepository
	err := l.client.Get(ctx, client.ObjectKey{Namespace: names.FluxNamespace, Name: names.PlatformFluxName}, &repo)
	switch {
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return nil // not bootstrapped yet: everything is new
	case err != nil:
		return fmt.Errorf("reading the platform's OCIRepository: %w", err)
	}
	if repo.Spec.URL != p.platformURL {
		return fmt.Errorf("this cluster's Flux follows %s, not %s: check --context", repo.Spec.URL, p.platformURL)
	}
	return nil
}

// pruned adds to base the objects Flux would delete: those in an applier's inventory
// that the repository no longer renders, as ssa deletes them for kustomize-controller
// (only objects that still carry the applier's labels, none marked to be kept), each
// deletion tried as a dry run. A tenant that is gone from the repository loses its
// Kustomization, and with it all of its objects.
func (l *live) pruned(ctx context.Context, p *applyPlan, base map[string][]manifest.Object) error {
	if !p.flux {
		return nil
	}
	// An object the repository still renders is in the head, whichever applier now
	// renders it, and not shown as removed.
	rendered := map[object.ObjMetadata]bool{}
	for _, a := range p.applies {
		for _, it := range a.items {
			rendered[objMetadata(it.obj)] = true
		}
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
			if rendered[e.id] {
				continue
			}
			tenant := ownerTenant(a.by, e.id)
			if !p.compared(tenant) {
				continue
			}
			obj, err := l.prune(ctx, a.by, e)
			if err != nil {
				return err
			}
			if obj != nil {
				base[tenant] = append(base[tenant], manifest.Object{Content: normalizeLive(obj.Object)})
			}
		}
	}
	return nil
}

// prune dry-runs Flux's deletion of an inventory entry's object and returns the object
// when it would go: nil when it is gone already, its kind no longer served, or Flux
// keeps it.
func (l *live) prune(ctx context.Context, by applier, e entry) (*unstructured.Unstructured, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(e.id.GroupKind.WithVersion(e.version))
	err := l.client.Get(ctx, client.ObjectKey{Namespace: e.id.Namespace, Name: e.id.Name}, obj)
	switch {
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", utils.FmtObjMetadata(e.id), err)
	}
	opts := pruneOptions
	opts.Inclusions = l.flux.GetOwnerLabels(by.name, by.namespace)
	cse, err := l.flux.Delete(ctx, obj, opts)
	if err != nil {
		return nil, err
	}
	if cse.Action != ssa.DeletedAction {
		return nil, nil
	}
	if utils.IsSecret(obj) {
		if err := ssa.SanitizeUnstructuredData(obj, nil); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// pruneOptions are those kustomize-controller prunes with, but for Inclusions: the
// owner labels of the Kustomization that prunes.
var pruneOptions = ssa.DeleteOptions{
	PropagationPolicy: metav1.DeletePropagationBackground,
	Exclusions: map[string]string{
		fluxGroup + "/prune":     kustomizev1.DisabledValue,
		fluxGroup + "/reconcile": kustomizev1.DisabledValue,
		fluxGroup + "/ssa":       kustomizev1.IgnoreValue,
	},
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
	var list kustomizev1.KustomizationList
	err := l.client.List(ctx, &list)
	switch {
	case meta.IsNoMatchError(err) || apierrors.IsNotFound(err):
		return nil, nil // no Flux: nothing to prune
	case err != nil:
		return nil, fmt.Errorf("listing Flux Kustomizations: %w", err)
	}
	var out []inventoried
	for _, k := range list.Items {
		by := applier{k.Namespace, k.Name}
		tenant := by.name == names.TenantFluxName || by.name == names.TenantPipelinesFluxName
		if by != platformApplier && !tenant || !k.Spec.Prune || k.Status.Inventory == nil {
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
	return out, nil
}

// objMetadata is an object's identity as Flux's inventory writes it.
func objMetadata(o manifest.Object) object.ObjMetadata {
	return object.ObjMetadata{Namespace: o.Namespace(), Name: o.Name(), GroupKind: schema.GroupKind{Group: o.Group(), Kind: o.Kind()}}
}
