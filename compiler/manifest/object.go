// Package manifest holds rendered Kubernetes objects and their canonical order and encoding.
package manifest

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Object is one rendered Kubernetes object.
type Object struct {
	// Content is the object as it will be written: apiVersion, kind, metadata, spec.
	// A slim object (see Slim) has none: Ident names it.
	Content map[string]any
	// Ident, when not nil, names the object in Content's place: a slim object's.
	Ident *Ident
	// Source is the CUE path of the declaration the object was compiled from, such as
	// notebooks."alice-dev"; errors about the object point there.
	Source string
	// Encoded, when not nil, is the object's YAML, exactly what encoding Content gives
	// (see YAML). The compiler encodes every object on the worker that compiled it, and
	// the cache keeps it. It is shared, never to be modified.
	Encoded []byte
}

// Ident is what names and orders an object: its apiVersion, kind, and metadata.name
// and metadata.namespace (empty for cluster-scoped objects).
type Ident struct {
	APIVersion, Kind, Name, Namespace string
}

// APIVersion returns the object's apiVersion.
func (o Object) APIVersion() string {
	if o.Ident != nil {
		return o.Ident.APIVersion
	}
	s, _ := o.Content["apiVersion"].(string)
	return s
}

// Kind returns the object's kind.
func (o Object) Kind() string {
	if o.Ident != nil {
		return o.Ident.Kind
	}
	s, _ := o.Content["kind"].(string)
	return s
}

// Group returns the API group of the object, empty for the core group.
func (o Object) Group() string {
	g, _, found := strings.Cut(o.APIVersion(), "/")
	if !found {
		return ""
	}
	return g
}

// Name returns metadata.name.
func (o Object) Name() string {
	if o.Ident != nil {
		return o.Ident.Name
	}
	return o.meta("name")
}

// Namespace returns metadata.namespace, empty for cluster-scoped objects.
func (o Object) Namespace() string {
	if o.Ident != nil {
		return o.Ident.Namespace
	}
	return o.meta("namespace")
}

// Identity returns what names the object.
func (o Object) Identity() Ident {
	if o.Ident != nil {
		return *o.Ident
	}
	return Ident{o.APIVersion(), o.Kind(), o.Name(), o.Namespace()}
}

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
func (o Object) FileName() string { return string(o.AppendFileName(nil)) }

// AppendFileName appends the object's FileName to b: a tree of thousands of files makes
// each path in one allocation.
func (o Object) AppendFileName(b []byte) []byte {
	kind := o.Kind()
	for i := 0; i < len(kind); i++ {
		c := kind[i]
		if c >= utf8.RuneSelf { // not ASCII: as strings.ToLower does it
			b = append(b, strings.ToLower(kind[i:])...)
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	b = append(b, '_')
	b = append(b, o.Name()...)
	return append(b, ".yaml"...)
}

// kindOrder ranks kinds so that what others depend on comes first: profiles before what
// lives in their namespace, roles before their bindings, a namespace's default requests
// and PodDefaults before the pods they change, claims before the notebooks that mount
// them.
var kindOrder = map[string]int{
	"Namespace":             0,
	"Profile":               1,
	"ServiceAccount":        2,
	"Role":                  3,
	"RoleBinding":           4,
	"AuthorizationPolicy":   5,
	"LimitRange":            6,
	"PodDefault":            7,
	"PersistentVolumeClaim": 8,
	"ServingRuntime":        9,
}

// Compare orders objects canonically: by kind rank, kind, namespace and name.
func Compare(a, b Object) int { return compareKeys(sortKeyOf(a), sortKeyOf(b)) }

// Sort sorts objects as Compare orders them, and in the same order as
// slices.SortFunc(objs, Compare) would, but reading each object's identity once rather
// than at every comparison: a large tenant has hundreds of thousands.
func Sort(objs []Object) {
	keys := make([]sortKey, len(objs))
	for i, o := range objs {
		keys[i] = sortKeyOf(o)
		keys[i].index = i
	}
	slices.SortFunc(keys, compareKeys)
	sorted := make([]Object, len(objs))
	for i, k := range keys {
		sorted[i] = objs[k.index]
	}
	copy(objs, sorted)
}

// sortKey is what Compare orders an object by; index is its place before sorting.
type sortKey struct {
	rank                         int
	kind, group, namespace, name string
	index                        int
}

func sortKeyOf(o Object) sortKey {
	rank, ok := kindOrder[o.Kind()]
	if !ok {
		rank = len(kindOrder)
	}
	return sortKey{rank: rank, kind: o.Kind(), group: o.Group(), namespace: o.Namespace(), name: o.Name()}
}

func compareKeys(a, b sortKey) int {
	return cmp.Or(
		cmp.Compare(a.rank, b.rank),
		cmp.Compare(a.kind, b.kind),
		cmp.Compare(a.group, b.group),
		cmp.Compare(a.namespace, b.namespace),
		cmp.Compare(a.name, b.name),
	)
}

// Slim returns the object reduced to its YAML and its identity: Content gives way to
// Ident. The rest of a compiled object's tree is most of the memory a large render
// holds, and once the YAML is made Tree can give it back. An object without its YAML is
// returned whole.
func (o Object) Slim() Object {
	if o.Encoded == nil || o.Content == nil {
		return o
	}
	id := o.Identity()
	o.Content, o.Ident = nil, &id
	return o
}

// SlimAll slims every object of objs in place (see Slim). The objects' old Content is
// replaced, never modified, so other copies of them keep theirs.
func SlimAll(objs []Object) {
	for i := range objs {
		objs[i] = objs[i].Slim()
	}
}
