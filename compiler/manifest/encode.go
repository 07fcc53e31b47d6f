package manifest

import (
	yaml "go.yaml.in/yaml/v2"
)

// YAML encodes the object as a YAML document with keys in sorted order, so the same
// object always gives the same bytes. It encodes the Go values directly, in the style
// kustomize prints (two-space indent, lists not indented), without the JSON round trip
// of sigs.k8s.io/yaml.
func (o Object) YAML() ([]byte, error) {
	return yaml.Marshal(o.Content)
}
