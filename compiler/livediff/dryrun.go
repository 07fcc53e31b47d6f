package livediff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/ssa"
	ssaerrors "github.com/fluxcd/pkg/ssa/errors"
	"github.com/fluxcd/pkg/ssa/normalize"
	"github.com/fluxcd/pkg/ssa/utils"
	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// sides are the two snapshots of the cluster, by tenant: the live objects (base) and
// what applying the repository would make of them (head). Objects the apply leaves as
// they are appear in neither.
type sides struct {
	base, head map[string][]manifest.Object
}

// staged is one object as the apply sends it.
type staged struct {
	item
	// sent is what goes to the API server: the rendered object with the applier's
	// labels, normalised as Flux normalises it before applying.
	sent *unstructured.Unstructured
	// shown is what a reviewer sees of it when it is new: the rendered object with the
	// applier's labels.
	shown map[string]any
}

// outcome is what the dry run of one object gave: ssa's change set entry and, for a
// changed object, the live object and the one it would become.
type outcome struct {
	entry        *ssa.ChangeSetEntry
	live, merged *unstructured.Unstructured
	err          error
}

// dryRun runs every apply of the plan as Flux would, as a server-side dry run: an apply's
// objects in Flux's stages (CRDs, Namespaces and ClusterRoles first, then classes, then
// the rest), each stage's objects workers at a time, through ssa's Diff. Objects the API
// server refuses are returned as diagnostics at their declaration.
func (l *live) dryRun(ctx context.Context, p *applyPlan, workers int) (sides, diag.List, error) {
	s := sides{base: map[string][]manifest.Object{}, head: map[string][]manifest.Object{}}
	var refused diag.List
	made := newAhead()
	for _, a := range p.applies {
		rm := l.manager(a.by)
		stages, err := stagesOf(rm, a)
		if err != nil {
			return s, nil, err
		}
		for _, stage := range stages {
			for i, r := range diffAll(ctx, rm, stage, workers) {
				d, err := s.take(made, stage[i], r)
				switch {
				case err != nil:
					return s, nil, err
				case d != nil:
					refused = append(refused, *d)
				}
			}
		}
	}
	return s, refused, nil
}

// take puts an object's dry run on the sides: nothing when the apply leaves the object
// alone, the diagnostic when the API server refuses it.
func (s sides) take(made *ahead, st staged, r outcome) (*diag.Diagnostic, error) {
	action, err := made.settle(st, r)
	if err != nil {
		if d := refusal(st.item, err); d != nil {
			return d, nil
		}
		return nil, fmt.Errorf("%s %s: %w", st.obj.Kind(), objectName(st.obj.Namespace(), st.obj.Name()), cause(err))
	}
	made.note(st.sent, action)
	return nil, s.add(st, action, r)
}

// add puts an object the apply creates or changes on its sides.
func (s sides) add(st staged, action ssa.Action, r outcome) error {
	switch action {
	case ssa.CreatedAction:
		shown := st.shown
		if utils.IsSecret(st.sent) {
			// Flux sends stringData as data; ssa masks the values.
			u := st.sent.DeepCopy()
			if err := ssa.SanitizeUnstructuredData(nil, u); err != nil {
				return err
			}
			shown = u.Object
		}
		s.head[st.tenant] = append(s.head[st.tenant], manifest.Object{Content: normalizeLive(shown), Source: st.obj.Source})
	case ssa.ConfiguredAction:
		s.base[st.tenant] = append(s.base[st.tenant], manifest.Object{Content: normalizeLive(r.live.Object), Source: st.obj.Source})
		s.head[st.tenant] = append(s.head[st.tenant], manifest.Object{Content: normalizeLive(r.merged.Object), Source: st.obj.Source})
	}
	return nil
}

// stagesOf prepares an apply's objects as Flux does (its owner labels, ssa's
// normalisation) and groups them in the stages of ssa's ApplyAllStaged.
func stagesOf(rm *ssa.ResourceManager, a apply) ([][]staged, error) {
	var defs, classes, rest []staged
	for _, it := range a.items {
		u, err := toUnstructured(it.obj)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", it.obj.Kind(), objectName(it.obj.Namespace(), it.obj.Name()), err)
		}
		if _, encrypted := u.Object["sops"]; encrypted && utils.IsSecret(u) {
			// A SOPS-encrypted Secret is not dry-run: Flux applies it decrypted, and mlc
			// never decrypts. (It stays in the plan: Flux does not prune it.)
			continue
		}
		if a.by != (applier{}) {
			rm.SetOwnerLabels([]*unstructured.Unstructured{u}, a.by.name, a.by.namespace)
		}
		st := staged{item: it, shown: runtime.DeepCopyJSON(u.Object), sent: u}
		if err := normalize.Unstructured(u); err != nil {
			return nil, fmt.Errorf("%s %s: %w", it.obj.Kind(), objectName(it.obj.Namespace(), it.obj.Name()), err)
		}
		switch {
		case utils.IsClusterDefinition(u):
			defs = append(defs, st)
		case utils.IsClassDefinition(u):
			classes = append(classes, st)
		default:
			rest = append(rest, st)
		}
	}
	return [][]staged{defs, classes, rest}, nil
}

// diffAll dry-runs a stage's objects, workers at a time.
func diffAll(ctx context.Context, rm *ssa.ResourceManager, stage []staged, workers int) []outcome {
	results := make([]outcome, len(stage))
	var g errgroup.Group
	g.SetLimit(max(workers, 1))
	for i, st := range stage {
		g.Go(func() error {
			entry, live, merged, err := rm.Diff(ctx, st.sent, diffOptions)
			results[i] = outcome{entry: entry, live: live, merged: merged, err: err}
			return nil
		})
	}
	_ = g.Wait() // every error is in results
	return results
}

// diffOptions are those kustomize-controller applies with: objects marked so are
// left alone, or created but never changed.
var diffOptions = ssa.DiffOptions{
	Exclusions: map[string]string{
		fluxGroup + "/reconcile": kustomizev1.DisabledValue,
		fluxGroup + "/ssa":       kustomizev1.IgnoreValue,
	},
	IfNotPresentSelector: map[string]string{fluxGroup + "/ssa": kustomizev1.IfNotPresentValue},
	ForceSelector:        map[string]string{fluxGroup + "/force": kustomizev1.EnabledValue},
}

// ahead is what the stages applied so far will have made: an object whose dry run fails
// only because its namespace or its CRD is not there yet is created after them, as in
// Flux's staged apply, which a dry run cannot follow.
type ahead struct {
	namespaces map[string]bool
	kinds      map[schema.GroupKind]bool
}

func newAhead() *ahead {
	return &ahead{namespaces: map[string]bool{}, kinds: map[schema.GroupKind]bool{}}
}

// settle is what the apply does with an object: the action of its change set entry, or
// created when its dry run failed for want of what an earlier stage makes; otherwise
// the dry run's error.
func (a *ahead) settle(st staged, r outcome) (ssa.Action, error) {
	if r.err == nil {
		return r.entry.Action, nil
	}
	u := st.sent
	if (namespaceMissing(r.err) && a.namespaces[u.GetNamespace()]) ||
		(meta.IsNoMatchError(r.err) && a.kinds[u.GroupVersionKind().GroupKind()]) {
		return ssa.CreatedAction, nil
	}
	return "", r.err
}

// note records the namespace or the kinds of a CRD that an object's apply makes.
func (a *ahead) note(u *unstructured.Unstructured, action ssa.Action) {
	switch {
	case action != ssa.CreatedAction && action != ssa.ConfiguredAction:
	case utils.IsNamespace(u):
		a.namespaces[u.GetName()] = true
	case utils.IsCRD(u):
		group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
		a.kinds[schema.GroupKind{Group: group, Kind: kind}] = true
	}
}

// refusal is the diagnostic for an object the API server refuses, at its declaration;
// nil when the error is not about the object but about reaching the cluster.
func refusal(it item, err error) *diag.Diagnostic {
	var dr *ssaerrors.DryRunErr
	if !errors.As(err, &dr) {
		return nil
	}
	var msg string
	switch c := dr.Unwrap(); {
	case meta.IsNoMatchError(c):
		msg = fmt.Sprintf("it does not serve %s %s: its CRD is not installed", it.obj.APIVersion(), it.obj.Kind())
	case objectFault(c):
		// The first line says what is wrong; the API server may add a dump of Go structs.
		msg, _, _ = strings.Cut(c.Error(), "\n")
	default:
		return nil
	}
	return &diag.Diagnostic{
		Severity: diag.Error,
		Path:     it.obj.Source,
		Message:  fmt.Sprintf("the cluster refuses %s %s: %s", it.obj.Kind(), objectName(it.obj.Namespace(), it.obj.Name()), msg),
	}
}

// cause is the API server's answer to a failed dry run, without ssa's wrapping, which
// repeats the object's name.
func cause(err error) error {
	var dr *ssaerrors.DryRunErr
	if errors.As(err, &dr) {
		return dr.Unwrap()
	}
	return err
}

// objectFault reports an API error about the object itself, which the user must fix,
// rather than about reaching the cluster.
func objectFault(err error) bool {
	return apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsConflict(err) ||
		apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) || apierrors.IsRequestEntityTooLargeError(err)
}

// namespaceMissing reports an error saying the object's namespace does not exist.
func namespaceMissing(err error) bool {
	var st apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &st) {
		return false
	}
	d := st.Status().Details
	return d != nil && d.Kind == "namespaces"
}

// normalizeLive keeps what a user declares and a reviewer reads: the status, and the
// metadata the API server keeps for itself, are left out.
func normalizeLive(obj map[string]any) map[string]any {
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

// toUnstructured copies a rendered object as the plain JSON values the API machinery
// expects (int64 and float64 numbers), whatever Go types built it.
func toUnstructured(o manifest.Object) (*unstructured.Unstructured, error) {
	tree, err := o.Tree()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	return u, u.UnmarshalJSON(b)
}
