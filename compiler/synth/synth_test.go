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
	if err := synth.Write(dir, synth.Spec{Tenants: 3, Notebooks: 7, Endpoints: 3, TrainingJobs: 2, Experiments: 2, Clusters: 2}); err != nil {
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
	// cluster-0 runs training on Kubeflow Trainer, cluster-1 on the Training Operator.
	want := []map[string]int{
		{"Notebook": 21, "InferenceService": 9, "TrainJob": 6, "Experiment": 6},
		{"Notebook": 21, "InferenceService": 9, "PyTorchJob": 3, "XGBoostJob": 3, "Experiment": 6},
	}
	for i, c := range res.Clusters {
		kinds := map[string]int{}
		for _, tn := range c.Tenants {
			for _, o := range tn.Workloads {
				kinds[o.Kind()]++
			}
		}
		for kind, n := range want[i] {
			if kinds[kind] != n {
				t.Errorf("%s: %d %s objects, want %d (all: %v)", c.Name, kinds[kind], kind, n, kinds)
			}
		}
	}
}
