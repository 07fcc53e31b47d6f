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
