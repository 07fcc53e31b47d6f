package validate

import (
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
)

// structNode is one node of a CRD version's structural schema, with what the API
// server's structural steps look at (pruning, dropping nulls, defaulting, embedded
// resources, list types), so that crd.go can tell without allocating that a step would
// change nothing and find nothing, and skip it with the copy of the object it needs.
// Each check follows its step's function; where it cannot tell, the step runs.
// TestFastSchemaSound runs every step and compares.
type structNode struct {
	props map[string]*structNode
	// hasAdditional: additionalProperties is set (a schema or a bool);
	// additional is its schema, nil for a bool.
	hasAdditional bool
	additional    *structNode
	items         *structNode

	preserveUnknown bool
	embedded        bool
	nullable        bool
	hasDefault      bool
	listType        string // "set", "map" or ""
	listMapKeys     []string

	// Of the subtree below and including this node:
	defaultsBelow bool // a property, item or additional property has a default
	embeddedBelow bool // a node is an embedded resource
	listsBelow    bool // a node is a list of type set or map
}

func newStructNode(s *structuralschema.Structural) *structNode {
	if s == nil {
		return nil
	}
	n := &structNode{
		preserveUnknown: s.XPreserveUnknownFields,
		embedded:        s.XEmbeddedResource,
		nullable:        s.Nullable,
		hasDefault:      s.Default.Object != nil,
		listMapKeys:     s.XListMapKeys,
	}
	if lt := s.XListType; lt != nil && (*lt == "set" || *lt == "map") {
		n.listType = *lt
	}
	n.embeddedBelow = n.embedded
	n.listsBelow = n.listType != ""
	child := func(c *structNode) {
		if c == nil {
			return
		}
		n.defaultsBelow = n.defaultsBelow || c.hasDefault || c.defaultsBelow
		n.embeddedBelow = n.embeddedBelow || c.embeddedBelow
		n.listsBelow = n.listsBelow || c.listsBelow
	}
	if len(s.Properties) > 0 {
		n.props = make(map[string]*structNode, len(s.Properties))
		var (
			k string
			p structuralschema.Structural // one copy per node, not per property
		)
		for k, p = range s.Properties {
			c := newStructNode(&p)
			n.props[k] = c
			child(c)
		}
	}
	if ap := s.AdditionalProperties; ap != nil {
		n.hasAdditional = true
		n.additional = newStructNode(ap.Structural)
		child(n.additional)
	}
	n.items = newStructNode(s.Items)
	child(n.items)
	return n
}

// metaFields are the fields pruning keeps at the root and in embedded
// resources.
func isMetaField(k string) bool {
	return k == "apiVersion" || k == "kind" || k == "metadata"
}

// prunes reports whether pruning.PruneWithOptions(x, s, true, ...) would
// remove anything from the object x whose schema is n (the root).
func (n *structNode) prunesRoot(x any) bool {
	root := *n
	root.embedded = true // PruneWithOptions treats the root as a resource
	return root.prunes(x)
}

// prunes mirrors pruning's prune.
func (n *structNode) prunes(x any) bool {
	if n != nil && n.preserveUnknown {
		return n.skipPrunes(x)
	}
	switch x := x.(type) {
	case map[string]any:
		if n == nil {
			return len(x) > 0
		}
		for k, v := range x {
			if n.embedded && isMetaField(k) {
				continue
			}
			if p, ok := n.props[k]; ok {
				if p.prunes(v) {
					return true
				}
			} else if n.hasAdditional {
				if n.additional.prunes(v) {
					return true
				}
			} else {
				return true
			}
		}
	case []any:
		var items *structNode
		if n != nil {
			items = n.items
		}
		for _, v := range x {
			if items.prunes(v) {
				return true
			}
		}
	}
	return false
}

// skipPrunes mirrors pruning's skipPrune.
func (n *structNode) skipPrunes(x any) bool {
	if n == nil {
		return false
	}
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if n.embedded && isMetaField(k) {
				continue
			}
			if p, ok := n.props[k]; ok {
				if p.prunes(v) {
					return true
				}
			} else if n.hasAdditional {
				if n.additional.prunes(v) {
					return true
				}
			}
		}
	case []any:
		for _, v := range x {
			if n.items.skipPrunes(v) {
				return true
			}
		}
	}
	return false
}

// dropsNulls reports whether PruneNonNullableNullsWithoutDefaults(x, s) would
// remove a null.
func (n *structNode) dropsNulls(x any) bool {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			var f *structNode // getSchemaForField
			if n != nil {
				if p, ok := n.props[k]; ok {
					f = p
				} else if n.hasAdditional {
					f = n.additional
				}
			}
			if v == nil {
				if f != nil && !f.nullable && !f.hasDefault {
					return true
				}
			} else if f.dropsNulls(v) {
				return true
			}
		}
	case []any:
		var items *structNode
		if n != nil {
			items = n.items
		}
		for _, v := range x {
			if v != nil && items.dropsNulls(v) {
				return true
			}
		}
	}
	return false
}

// defaults reports whether defaulting.Default(x, s) would set a value.
func (n *structNode) defaults(x any) bool {
	if n == nil || !n.defaultsBelow {
		return false
	}
	switch x := x.(type) {
	case map[string]any:
		for k, p := range n.props {
			if !p.hasDefault {
				continue
			}
			if v, found := x[k]; !found || (v == nil && !p.nullable) {
				return true
			}
		}
		for k, v := range x {
			if p, ok := n.props[k]; ok {
				if p.defaults(v) {
					return true
				}
			} else if n.hasAdditional {
				a := n.additional
				if v == nil && a != nil && !a.nullable && a.hasDefault {
					return true
				}
				if a.defaults(v) {
					return true
				}
			}
		}
	case []any:
		for _, v := range x {
			if v == nil && n.items != nil && !n.items.nullable && n.items.hasDefault {
				return true
			}
			if n.items.defaults(v) {
				return true
			}
		}
	}
	return false
}

// listsOK reports that listtype.ValidateListSetsAndMaps(nil, s, x) finds no
// error; false means it may.
func (n *structNode) listsOK(x map[string]any) bool {
	if n == nil || !n.listsBelow {
		return true
	}
	for k, v := range x {
		if n.additional != nil && !n.additional.listsValueOK(v) {
			return false
		}
		if p, ok := n.props[k]; ok && !p.listsValueOK(v) {
			return false
		}
	}
	return true
}

// listsValueOK mirrors validationListSetAndMaps.
func (n *structNode) listsValueOK(x any) bool {
	if n == nil || !n.listsBelow {
		return true
	}
	switch x := x.(type) {
	case []any:
		switch n.listType {
		case "set":
			if !uniqueScalars(x) {
				return false
			}
		case "map":
			if !n.uniqueMapKeys(x) {
				return false
			}
		}
		if n.items != nil {
			for _, e := range x {
				if !n.items.listsValueOK(e) {
					return false
				}
			}
		}
	case map[string]any:
		return n.listsOK(x)
	}
	return true
}

// isScalar: strings, integers and booleans compare as listtype compares
// them (as map keys, or through their JSON encoding).
func isScalar(v any) bool {
	switch v.(type) {
	case string, int64, bool:
		return true
	}
	return false
}

// uniqueScalars reports that x holds distinct scalars; false also when it
// holds anything else.
func uniqueScalars(x []any) bool {
	if len(x) <= 1 {
		return true
	}
	for i, a := range x {
		if !isScalar(a) {
			return false
		}
		for _, b := range x[:i] {
			if a == b {
				return false
			}
		}
	}
	return true
}

// uniqueMapKeys reports that x holds objects whose keys are distinct
// scalars; false also when it cannot tell.
func (n *structNode) uniqueMapKeys(x []any) bool {
	for _, e := range x {
		if _, ok := e.(map[string]any); !ok {
			return false // an error, or a null element: let listtype judge
		}
	}
	if len(x) <= 1 {
		return true
	}
	if len(n.listMapKeys) == 0 {
		return false
	}
	for i, e := range x {
		a := e.(map[string]any)
		for _, k := range n.listMapKeys {
			if v, ok := a[k]; ok && !isScalar(v) {
				return false
			}
		}
		for _, f := range x[:i] {
			if sameKeys(a, f.(map[string]any), n.listMapKeys) {
				return false
			}
		}
	}
	return true
}

// sameKeys reports whether a and b have the same key fields: each absent
// from both, or present in both with equal values.
func sameKeys(a, b map[string]any, keys []string) bool {
	for _, k := range keys {
		va, oka := a[k]
		vb, okb := b[k]
		if oka != okb || (oka && va != vb) {
			return false
		}
	}
	return true
}
