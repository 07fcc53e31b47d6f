package load

import (
	"context"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// BenchmarkDecodeTenant decodes one evaluated tenant of the synthetic fleet (10
// workloads of every kind) into the model.
func BenchmarkDecodeTenant(b *testing.B) {
	dir := b.TempDir()
	if err := synth.Write(dir, synth.ForWorkloads(1, 10)); err != nil {
		b.Fatal(err)
	}
	ev := evaluatorOf(b, dir)
	err := ev.Tenants(context.Background(), Options{Workers: 1}, func(inst *Instance) {
		if inst.Diagnostics.HasErrors() {
			b.Fatal(inst.Diagnostics)
		}
		b.ReportAllocs()
		for b.Loop() {
			var decls model.Declarations
			if err := inst.DecodeTenant(&decls); err != nil {
				b.Fatal(err)
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
}
