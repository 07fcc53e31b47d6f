package validate

import "testing"

// SetVerifyTyped sets verifyTyped for the tests of package validate_test.
func SetVerifyTyped(f func(kind string, typedOK bool, strict []error, err error, same bool)) {
	verifyTyped = f
}

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

// SetVerifyKatib sets verifyKatib for the tests of package validate_test.
func SetVerifyKatib(f func(typedOK bool, err error, same bool)) { verifyKatib = f }

// SetVerifyMeta sets verifyMeta for the tests of package validate_test.
func SetVerifyMeta(f func(step string, same bool)) { verifyMeta = f }
