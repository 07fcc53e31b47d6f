package livediff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// sides are the two snapshots of the cluster, by tenant: the live objects (base) and
// what the dry run says they would become (head).
type sides struct {
	base, head map[string][]manifest.Object
}

// outcome is what the dry run of one item gave.
type outcome struct {
	live, applied map[string]any
	refused       *diag.Diagnostic
	err           error
}

// dryRun applies every item as a server-side dry run, workers at a time.
func (l *live) dryRun(ctx context.Context, p *applyPlan, workers int) (sides, diag.List, error) {
	results := make([]outcome, len(p.items))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, max(len(p.items), 1)) {
		wg.Go(func() {
			for i := range next {
				results[i] = l.dryRunOne(ctx, p.items[i])
			}
		})
	}
	for i := range p.items {
		next <- i
	}
	close(next)
	wg.Wait()

	s := sides{base: map[string][]manifest.Object{}, head: map[string][]manifest.Object{}}
	var refused diag.List
	for i, r := range results {
		it := p.items[i]
		switch {
		case r.err != nil:
			return s, nil, fmt.Errorf("%s %s: %w", it.obj.Kind(), objectName(it.obj.Namespace(), it.obj.Name()), r.err)
		case r.refused != nil:
			refused = append(refused, *r.refused)
			continue
		}
		if r.live != nil {
			s.base[it.tenant] = append(s.base[it.tenant], manifest.Object{Content: normalize(r.live), Source: it.obj.Source})
		}
		s.head[it.tenant] = append(s.head[it.tenant], manifest.Object{Content: normalize(r.applied), Source: it.obj.Source})
	}
	return s, refused, nil
}

// dryRunOne reads the live object and applies the rendered one as Flux would, without
// persisting it. An object in a namespace that does not exist yet (a new tenant's) is
// taken as rendered: the API server cannot try it before its namespace is there.
func (l *live) dryRunOne(ctx context.Context, it item) outcome {
	content, err := plainJSON(it.obj.Content)
	if err != nil {
		return outcome{err: err}
	}
	obj := &unstructured.Unstructured{Object: content}
	manager := ownFieldManager
	if it.by != (applier{}) {
		manager = fluxFieldManager
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[fluxNameLabel], labels[fluxNSLabel] = it.by.name, it.by.namespace
		obj.SetLabels(labels)
	}
	ri, err := l.resource(obj.GroupVersionKind(), obj.GetNamespace())
	if meta.IsNoMatchError(err) {
		d := rejection(it, fmt.Sprintf("it does not serve %s %s: its CRD is not installed", obj.GetAPIVersion(), obj.GetKind()))
		return outcome{refused: &d}
	}
	if err != nil {
		return outcome{err: err}
	}
	var out outcome
	current, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return outcome{err: err}
	default:
		out.live = current.Object
	}
	body, err := json.Marshal(obj.Object)
	if err != nil {
		return outcome{err: err}
	}
	force := true
	applied, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
		FieldManager: manager, Force: &force, DryRun: []string{metav1.DryRunAll},
	})
	switch {
	case err == nil:
		out.applied = applied.Object
	case out.live == nil && namespaceMissing(err):
		out.applied = obj.Object
	case refusal(err):
		// The first line says what is wrong; the API server may add a dump of Go structs.
		msg, _, _ := strings.Cut(err.Error(), "\n")
		d := rejection(it, msg)
		return outcome{refused: &d}
	default:
		return outcome{err: err}
	}
	return out
}

// resource is the client for objects of gvk in namespace ns.
func (l *live) resource(gvk schema.GroupVersionKind, ns string) (dynamic.ResourceInterface, error) {
	m, err := l.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return l.dyn.Resource(m.Resource).Namespace(ns), nil
	}
	return l.dyn.Resource(m.Resource), nil
}

// namespaceMissing reports an error saying the object's namespace does not exist.
func namespaceMissing(err error) bool {
	var st apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !asStatus(err, &st) {
		return false
	}
	d := st.Status().Details
	return d != nil && d.Kind == "namespaces"
}

func asStatus(err error, st *apierrors.APIStatus) bool {
	s, ok := err.(apierrors.APIStatus)
	if ok {
		*st = s
	}
	return ok
}

// refusal reports an error about the object itself, which the user must fix, rather
// than about reaching the cluster.
func refusal(err error) bool {
	return apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsConflict(err) ||
		apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) || apierrors.IsRequestEntityTooLargeError(err)
}

// normalize keeps what a user declares and a reviewer reads: the status, and the
// metadata the API server keeps for itself, are left out.
func normalize(obj map[string]any) map[string]any {
	out := runtime.DeepCopyJSON(obj)
	delete(out, "status")
	m, _ := out["metadata"].(map[string]any)
	if m == nil {
		return out
	}
	for _, k := range []string{"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"} {
		delete(m, k)
	}
	if a, _ := m["annotations"].(map[string]any); a != nil {
		delete(a, "kubectl.kubernetes.io/last-applied-configuration")
		if len(a) == 0 {
			delete(m, "annotations")
		}
	}
	return out
}

// plainJSON copies a rendered object as the plain JSON values the API machinery
// expects, whatever Go types built it.
func plainJSON(m map[string]any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	err = dec.Decode(&out)
	return out, err
}

// pruneProtected reports whether Flux keeps the object when it leaves the artifact.
func pruneProtected(obj *unstructured.Unstructured) bool {
	return strings.EqualFold(obj.GetAnnotations()[pruneKey], pruneDisabled) ||
		strings.EqualFold(obj.GetLabels()[pruneKey], pruneDisabled)
}

// platformApplier is the Kustomization that applies every tenant's platform objects.
var platformApplier = applier{lower.FluxNamespace, lower.PlatformFluxName}
