package validate

import "testing"

// Mutations is mutations, for the tests of package validate_test.
func Mutations(obj map[string]any) []map[string]any { return mutations(obj) }

// UpstreamObjects returns the upstream example objects.
func UpstreamObjects(t testing.TB) []map[string]any {
	var out []map[string]any
	for _, d := range readExamples(t) {
		out = append(out, d.obj)
	}
	return out
}

// SetVerifyMeta sets verifyMeta for the tests of package validate_test.
func SetVerifyMeta(f func(step string, same bool)) { verifyMeta = f }

// NewUnshared is New with a cache of its own: it shares no schema that another
// validator built, as in a process that has built none yet.
func NewUnshared() *Validator {
	v, err := newEmbedded(newEntryCache())
	if err != nil {
		panic(err)
	}
	return v
}

// NewFromCRDsUnshared is NewFromCRDs with a cache of its own, as NewUnshared.
func NewFromCRDsUnshared(crds [][]byte) (*Validator, error) {
	return newFromCRDs(crds, newEntryCache())
}

// V111CRDs returns the CRDs of Kubeflow v1.11.0 that tenants' objects use; it
// skips the test when the shared manifests are not there (HaveManifests).
func V111CRDs(tb testing.TB) [][]byte { return v111CRDs(tb) }

// HaveManifests reports whether the shared kubeflow/manifests are there.
func HaveManifests() bool { return haveManifests() }
