package synth_test

import (
	"context"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// TestSyntheticPlatformCompiles keeps the generator's output valid, so the benchmarks
// measure a real compilation and not an early error.
func TestSyntheticPlatformCompiles(t *testing.T) {
	dir := t.TempDir()
	if err := synth.Write(dir, synth.Spec{Tenants: 3, Notebooks: 7, Endpoints: 3, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(context.Background(), dir, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diagnostics) > 0 {
		t.Fatal(res.Diagnostics.Error())
	}
	if len(res.Clusters) != 2 || len(res.Clusters[0].Tenants) != 3 {
		t.Fatalf("got %d clusters", len(res.Clusters))
	}
	kinds := map[string]int{}
	for _, tn := range res.Clusters[0].Tenants {
		for _, o := range tn.Workloads {
			kinds[o.Kind()]++
		}
	}
	if kinds["Notebook"] != 21 || kinds["InferenceService"] != 9 {
		t.Errorf("objects per kind: %v", kinds)
	}
}
