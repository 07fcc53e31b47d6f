// Package patch applies kustomize patches (strategic merge and JSON 6902) to compiled
// objects in memory, with kustomize/api's own patch transformer, and says which patch
// matched nothing or did more than change the objects it selects.
package patch

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/builtins"
	"sigs.k8s.io/kustomize/api/provider"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// Patch is a patch and where it is declared.
type Patch struct {
	model.Patch
	// Source is the CUE path of the patch's declaration, such as patches."gpu-nodes".
	Source string
}

// Error is a patch that cannot be applied as declared.
type Error struct {
	// Source is the patch's Source.
	Source string
	Err    error
}

func (e Error) Error() string { return e.Source + ": " + e.Err.Error() }

// Result is what a set of patches made of the objects.
type Result struct {
	// Objects are the objects, patched, in their order: those no patch selected are
	// the very objects given.
	Objects []manifest.Object
	// By is, for each object a patch selected (by manifest.Object.ID), the Source of the
	// last patch that did.
	By map[string]string
}

// mu serializes patching: kustomize reads the OpenAPI schema of strategic merges from
// a global that it fills on first use.
var mu sync.Mutex

// Exclusive runs fn while no patch is being applied, for other users of kustomize in
// the process (a krusty build sets the schema kustomize's strategic merges read).
func Exclusive(fn func()) {
	mu.Lock()
	defer mu.Unlock()
	fn()
}

// Apply applies the patches, in order, to objs, which must carry their Content. A
// patch that selects no object, that does not parse, or that adds, removes, renames,
// moves or changes the kind of an object is an Error, and then the objects are
// returned as given. A patched object keeps its Source; Result.By names its patch.
func Apply(objs []manifest.Object, patches []Patch) (Result, []Error) {
	res := Result{Objects: objs}
	if len(patches) == 0 {
		return res, nil
	}
	mu.Lock()
	defer mu.Unlock()
	rf := resmap.NewFactory(provider.NewDefaultDepProvider().GetResourceFactory())
	m := resmap.New()
	for _, o := range objs {
		r, err := rf.RF().FromMap(o.Content)
		if err == nil {
			err = m.Append(r)
		}
		if err != nil {
			return res, []Error{{Source: patches[0].Source, Err: fmt.Errorf("the %s %s cannot be patched: %w", o.Kind(), o.Name(), err)}}
		}
	}
	var errs []Error
	by := map[string]string{}
	for _, p := range patches {
		selected, err := applyOne(rf, m, p.Patch)
		if err != nil {
			errs = append(errs, Error{Source: p.Source, Err: err})
			continue
		}
		for _, id := range selected {
			by[id] = p.Source
		}
	}
	if len(errs) > 0 {
		return res, errs
	}
	m.RemoveBuildAnnotations()
	patched := make(map[string]map[string]any, len(by))
	for _, r := range m.Resources() {
		if id := idOf(r); by[id] != "" {
			content, err := r.Map()
			if err != nil {
				return res, []Error{{Source: by[id], Err: err}}
			}
			patched[id] = content
		}
	}
	out := make([]manifest.Object, len(objs))
	for i, o := range objs {
		out[i] = o
		if c := patched[o.ID()]; c != nil {
			out[i] = manifest.Object{Content: c, Source: o.Source}
		}
	}
	return Result{Objects: out, By: by}, nil
}

// Unmatched returns an Error for each patch that selects none of objs (objects as
// kustomize builds them), without applying any: for patches that a kustomize build
// applies itself, which would pass over such a patch in silence.
func Unmatched(objs []map[string]any, patches []Patch) []Error {
	mu.Lock()
	defer mu.Unlock()
	rf := resmap.NewFactory(provider.NewDefaultDepProvider().GetResourceFactory())
	m := resmap.New()
	for _, o := range objs {
		r, err := rf.RF().FromMap(o)
		if err == nil {
			err = m.Append(r)
		}
		if err != nil {
			return []Error{{Source: patches[0].Source, Err: err}}
		}
	}
	var errs []Error
	for _, p := range patches {
		if _, _, err := selectFor(rf, m, p.Patch); err != nil {
			errs = append(errs, Error{Source: p.Source, Err: err})
		}
	}
	return errs
}

// selectFor returns the patch's selector and the objects of m it selects; none is an
// error.
func selectFor(rf *resmap.Factory, m resmap.ResMap, p model.Patch) (*types.Selector, []*resource.Resource, error) {
	target, err := targetOf(rf, p)
	if err != nil {
		return nil, nil, err
	}
	selected, err := m.Select(*target)
	if err != nil {
		return nil, nil, fmt.Errorf("target: %w", err)
	}
	if len(selected) == 0 {
		return nil, nil, &NoMatchError{Kind: target.Kind, selector: describe(target)}
	}
	return target, selected, nil
}

// NoMatchError is a patch that selects no object.
type NoMatchError struct {
	// Kind is the kind the patch selects, empty for any.
	Kind     string
	selector string
}

func (e *NoMatchError) Error() string { return "the patch matches no object (" + e.selector + ")" }

// applyOne applies one patch to m and returns the IDs of the objects it selected.
func applyOne(rf *resmap.Factory, m resmap.ResMap, p model.Patch) ([]string, error) {
	target, selected, err := selectFor(rf, m, p)
	if err != nil {
		return nil, err
	}
	before := ids(m)
	var ids []string
	for _, r := range selected {
		ids = append(ids, idOf(r))
	}
	config, err := yaml.Marshal(map[string]any{"patch": p.Patch, "target": target})
	if err != nil {
		return nil, err
	}
	t := builtins.NewPatchTransformerPlugin()
	if err := t.Config(resmap.NewPluginHelpers(nil, nil, rf, types.DisabledPluginConfig()), config); err != nil {
		return nil, fmt.Errorf("the patch does not parse: %w", err)
	}
	if err := t.Transform(m); err != nil {
		return nil, err
	}
	return ids, sameObjects(before, m)
}

// targetOf returns what the patch selects: its target, or for a strategic-merge
// patch without one the object its kind and name name, in any namespace.
func targetOf(rf *resmap.Factory, p model.Patch) (*types.Selector, error) {
	if t := p.Target; t != nil {
		return &types.Selector{
			ResId:              resid.ResId{Gvk: resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind}, Name: t.Name, Namespace: t.Namespace},
			LabelSelector:      t.LabelSelector,
			AnnotationSelector: t.AnnotationSelector,
		}, nil
	}
	if JSON6902(p.Patch) {
		return nil, errors.New("a JSON 6902 patch needs a target: which objects it applies to")
	}
	docs, err := rf.RF().SliceFromBytes([]byte(p.Patch))
	if err != nil {
		return nil, fmt.Errorf("the patch does not parse: %w", err)
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("the patch holds %d objects: write one object per patch", len(docs))
	}
	gvk := docs[0].GetGvk()
	if gvk.Kind == "" || docs[0].GetName() == "" {
		return nil, errors.New("a strategic-merge patch without a target names the object it patches: its apiVersion, kind and metadata.name")
	}
	return &types.Selector{ResId: resid.ResId{Gvk: resid.Gvk{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind}, Name: docs[0].GetName()}}, nil
}

// JSON6902 reports whether a patch is a JSON 6902 patch, a list of operations, rather
// than a strategic-merge patch, an object.
func JSON6902(patch string) bool {
	s := strings.TrimSpace(patch)
	return strings.HasPrefix(s, "[") || strings.HasPrefix(s, "- ") || strings.HasPrefix(s, "-\n")
}

// sameObjects reports the objects a patch added, removed, renamed, moved or re-kinded.
func sameObjects(before map[string]bool, m resmap.ResMap) error {
	after := ids(m)
	var added, removed []string
	for id := range after {
		if !before[id] {
			added = append(added, id)
		}
	}
	for id := range before {
		if !after[id] {
			removed = append(removed, id)
		}
	}
	switch {
	case len(added) > 0 && len(removed) > 0:
		return fmt.Errorf("the patch turns %s into %s: a patch may change objects, not their kind, name or namespace", strings.Join(sorted(removed), ", "), strings.Join(sorted(added), ", "))
	case len(added) > 0:
		return fmt.Errorf("the patch adds %s: a patch may change objects, not add them", strings.Join(sorted(added), ", "))
	case len(removed) > 0:
		return fmt.Errorf("the patch removes %s: a patch may change objects, not delete them", strings.Join(sorted(removed), ", "))
	}
	return nil
}

func ids(m resmap.ResMap) map[string]bool {
	out := map[string]bool{}
	for _, r := range m.Resources() {
		out[idOf(r)] = true
	}
	return out
}

// idOf is the resource's identity as manifest.Object.ID writes it.
func idOf(r *resource.Resource) string {
	return r.GetGvk().Group + "/" + r.GetKind() + "/" + r.GetNamespace() + "/" + r.GetName()
}

// describe says what a target selects, for the error of one that selects nothing.
func describe(t *types.Selector) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	add("group", t.Group)
	add("version", t.Version)
	add("kind", t.Kind)
	add("name", t.Name)
	add("namespace", t.Namespace)
	add("labels", t.LabelSelector)
	add("annotations", t.AnnotationSelector)
	if len(parts) == 0 {
		return "any object"
	}
	return strings.Join(parts, ", ")
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }
