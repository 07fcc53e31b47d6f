package validate

import "testing"

// BenchmarkValidateNotebook measures judging one typical Notebook once its
// schema is compiled (the first, compiling call is outside the timer).
func BenchmarkValidateNotebook(b *testing.B) {
	v := New()
	obj := decode(b, notebookJSON)
	if errs := v.Validate(obj); errs != nil {
		b.Fatal(errs)
	}
	b.ReportAllocs()
	for b.Loop() {
		if errs := v.Validate(obj); errs != nil {
			b.Fatal(errs)
		}
	}
}

// BenchmarkFirstValidateNotebook measures New plus the first Notebook, which
// loads and compiles the Notebook v1 schema.
func BenchmarkFirstValidateNotebook(b *testing.B) {
	obj := decode(b, notebookJSON)
	for b.Loop() {
		if errs := New().Validate(obj); errs != nil {
			b.Fatal(errs)
		}
	}
}
