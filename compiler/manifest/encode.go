package manifest

import (
	"sigs.k8s.io/yaml"
)

// YAML encodes the object as a YAML document with keys in sorted order, so the same
// object always gives the same bytes.
func (o Object) YAML() ([]byte, error) {
	return yaml.Marshal(o.Content)
}
