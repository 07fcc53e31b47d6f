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
// loads and compiles the Notebook v1 schema (in a cache of its own, as the
// first validator of a process).
func BenchmarkFirstValidateNotebook(b *testing.B) {
	obj := decode(b, notebookJSON)
	for b.Loop() {
		v, err := newEmbedded(newEntryCache())
		if err != nil {
			b.Fatal(err)
		}
		if errs := v.Validate(obj); errs != nil {
			b.Fatal(errs)
		}
	}
}
