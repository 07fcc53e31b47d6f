// Package manifest holds rendered Kubernetes objects and their canonical order and encoding.
package manifest

import (
	"cmp"
	"strings"
)

// Object is one rendered Kubernetes object.
type Object struct {
	// Content is the object as it will be written: apiVersion, kind, metadata, spec.
	Content map[string]any
	// Source is the CUE path of the declaration the object was compiled from, such as
	// notebooks."alice-dev"; errors about the object point there.
	Source string
	// Encoded, when not nil, is the object's YAML, exactly what encoding Content gives
	// (see YAML): the compiler encodes it on the worker that compiled the tenant, when
	// asked to, and the cache keeps it, so that emitting a tree encodes only what is new.
	// It is shared, never to be modified, and goes stale if Content is changed.
	Encoded []byte
	// Deferred, when not nil and Encoded is, stands for the object's YAML not read yet:
	// an object read from the cache, whose YAML a render over the tree it wrote before
	// seldom needs. YAML and Encode read it.
	Deferred *DeferredYAML
}

// DeferredYAML is an object's YAML to be read when needed.
type DeferredYAML struct {
	// Sum is the SHA-256 of the YAML.
	Sum [32]byte
	// Read returns the YAML; it fails when the bytes are no longer those of Sum.
	Read func() ([]byte, error)
}

// APIVersion returns the object's apiVersion.
func (o Object) APIVersion() string { s, _ := o.Content["apiVersion"].(string); return s }

// Kind returns the object's kind.
func (o Object) Kind() string { s, _ := o.Content["kind"].(string); return s }

// Group returns the API group of the object, empty for the core group.
func (o Object) Group() string {
	g, _, found := strings.Cut(o.APIVersion(), "/")
	if !found {
		return ""
	}
	return g
}

// Name returns metadata.name.
func (o Object) Name() string { return o.meta("name") }

// Namespace returns metadata.namespace, empty for cluster-scoped objects.
func (o Object) Namespace() string { return o.meta("namespace") }

func (o Object) meta(key string) string {
	m, _ := o.Content["metadata"].(map[string]any)
	s, _ := m[key].(string)
	return s
}

// ID names the object uniquely within a cluster: group/kind/namespace/name.
func (o Object) ID() string {
	return o.Group() + "/" + o.Kind() + "/" + o.Namespace() + "/" + o.Name()
}

// FileName is the object's file name in a rendered tree: kind_name.yaml, lower case.
func (o Object) FileName() string {
	return strings.ToLower(o.Kind()) + "_" + o.Name() + ".yaml"
}

// kindOrder ranks kinds so that what others depend on comes first: profiles before what
// lives in their namespace, claims before the notebooks that mount them.
var kindOrder = map[string]int{
	"Namespace":             0,
	"Profile":               1,
	"ServiceAccount":        2,
	"RoleBinding":           3,
	"AuthorizationPolicy":   4,
	"PodDefault":            5,
	"PersistentVolumeClaim": 6,
	"ServingRuntime":        7,
}

// Compare orders objects canonically: by kind rank, kind, namespace and name.
func Compare(a, b Object) int {
	rank := func(o Object) int {
		if r, ok := kindOrder[o.Kind()]; ok {
			return r
		}
		return len(kindOrder)
	}
	return cmp.Or(
		cmp.Compare(rank(a), rank(b)),
		cmp.Compare(a.Kind(), b.Kind()),
		cmp.Compare(a.Group(), b.Group()),
		cmp.Compare(a.Namespace(), b.Namespace()),
		cmp.Compare(a.Name(), b.Name()),
	)
}

// Slim returns the object reduced to its YAML and its identity: Content keeps only
// apiVersion, kind and metadata.name and metadata.namespace, what names and orders the
// object. The rest of a compiled object's tree is most of the memory a large render
// holds, and once the YAML is made nothing else reads it. An object without its YAML
// (Encoded or Deferred) is returned whole.
func (o Object) Slim() Object {
	if o.Encoded == nil && o.Deferred == nil {
		return o
	}
	o.Content = Identity(o.APIVersion(), o.Kind(), o.Name(), o.Namespace())
	return o
}

// IdentityOnly returns the object reduced to its identity: Content as Slim leaves it,
// and no YAML. It is for those that only count and name objects.
func (o Object) IdentityOnly() Object {
	return Object{Source: o.Source, Content: Identity(o.APIVersion(), o.Kind(), o.Name(), o.Namespace())}
}

// Identity is the Content of a slim object (see Slim) of that apiVersion, kind, name and
// namespace; an empty name or namespace is left out.
func Identity(apiVersion, kind, name, namespace string) map[string]any {
	meta := make(map[string]any, 2)
	if name != "" {
		meta["name"] = name
	}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta}
}

// SlimAll slims every object of objs in place (see Slim). The objects' old Content is
// replaced, never modified, so other copies of them keep theirs.
func SlimAll(objs []Object) {
	for i := range objs {
		objs[i] = objs[i].Slim()
	}
}
