package manifest

import (
	yaml "go.yaml.in/yaml/v2"
)

// YAML encodes the object as a YAML document with keys in sorted order, so the same
// object always gives the same bytes. It encodes the Go values directly, in the style
// kustomize prints (two-space indent, lists not indented), without the JSON round trip
// of sigs.k8s.io/yaml. When the object already carries its encoding (Encoded), that is
// returned as it is, without encoding again.
func (o Object) YAML() ([]byte, error) {
	if o.Encoded != nil {
		return o.Encoded, nil
	}
	return yaml.Marshal(o.Content)
}

// Encode sets o.Encoded to the object's YAML, unless it is already set. The caller must
// not change Content afterwards.
func (o *Object) Encode() error {
	if o.Encoded != nil {
		return nil
	}
	b, err := yaml.Marshal(o.Content)
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
