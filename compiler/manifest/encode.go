package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"
)

// YAML encodes the object as a YAML document with keys in sorted order, so the same
// object always gives the same bytes. The bytes are exactly those yaml.Marshal of
// go.yaml.in/yaml/v2 gives for Content (two-space indent, lists not indented under their
// key, yaml.v2's key order and choice of scalar style), without the JSON round trip of
// sigs.k8s.io/yaml: a specialised encoder writes the JSON-like Go values the compiler
// builds, and leaves to yaml.v2 what it cannot vouch for (other Go types, keys that are
// not ASCII, some non-ASCII strings). When the object already carries its encoding
// (Encoded), that is returned as it is, without encoding again.
func (o Object) YAML() ([]byte, error) {
	if o.Encoded != nil {
		return o.Encoded, nil
	}
	if o.Content == nil && o.Ident != nil {
		return nil, fmt.Errorf("manifest: %s %s was reduced to its identity; its YAML is gone", o.Kind(), o.Name())
	}
	return encodeYAML(o.Content)
}

// Encode sets o.Encoded to the object's YAML (see YAML), unless it is already set. The
// caller must not change Content afterwards.
func (o *Object) Encode() error {
	if o.Encoded != nil {
		return nil
	}
	b, err := o.YAML()
	if err != nil {
		return err
	}
	o.Encoded = b
	return nil
}

// EncodeAll encodes every object of objs that does not carry its YAML yet (see Encode).
func EncodeAll(objs []Object) error {
	for i := range objs {
		if err := objs[i].Encode(); err != nil {
			return err
		}
	}
	return nil
}

// Tree returns the object as a tree of JSON values: Content, or, for an object slimmed
// to its YAML (Slim), the YAML decoded, integers as int64 and other numbers as float64
// (as unstructured objects hold them).
func (o Object) Tree() (map[string]any, error) {
	if o.Content != nil {
		return o.Content, nil
	}
	if o.Encoded == nil {
		return nil, fmt.Errorf("manifest: %s %s has neither content nor YAML", o.Kind(), o.Name())
	}
	j, err := yaml.YAMLToJSON(o.Encoded)
	if err != nil {
		return nil, fmt.Errorf("manifest: %s %s: %w", o.Kind(), o.Name(), err)
	}
	d := json.NewDecoder(bytes.NewReader(j))
	d.UseNumber()
	var tree map[string]any
	if err := d.Decode(&tree); err != nil {
		return nil, fmt.Errorf("manifest: %s %s: %w", o.Kind(), o.Name(), err)
	}
	return numbers(tree).(map[string]any), nil
}

// numbers replaces, in place, the json.Number values of a decoded tree with int64 or
// float64 values.
func numbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = numbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = numbers(e)
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	}
	return v
}
