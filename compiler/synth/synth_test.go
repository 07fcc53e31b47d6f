package synth_test

import (
	"context"
	"path/filepath"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// TestSyntheticPlatformCompiles keeps the generator's output valid, so the benchmarks
// measure a real compilation and not an early error.
func TestSyntheticPlatformCompiles(t *testing.T) {
	dir := t.TempDir()
	if err := synth.Write(dir, synth.Spec{Tenants: 3, Notebooks: 7, Endpoints: 3, TrainingJobs: 2, Experiments: 2, Pipelines: 2, Clusters: 2}); err != nil {
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
		{"Notebook": 21, "InferenceService": 9, "TrainJob": 6, "Experiment": 6, "Pipeline": 6, "PipelineVersion": 6},
		{"Notebook": 21, "InferenceService": 9, "PyTorchJob": 3, "XGBoostJob": 3, "Experiment": 6, "Pipeline": 6},
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

// TestPlainPackageEvaluates: the plain package is what `cue export` accepts: one
// instance, concrete, with every tenant in it.
func TestPlainPackageEvaluates(t *testing.T) {
	dir := t.TempDir()
	if err := synth.WritePlain(dir, synth.ForWorkloads(3, 10)); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.cue"))
	inst := build.NewContext().NewInstance(dir, nil)
	for _, name := range names {
		f, err := parser.ParseFile(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f.PackageName() != "ml" {
			t.Errorf("%s is in package %s", name, f.PackageName())
		}
		if err := inst.AddSyntax(f); err != nil {
			t.Fatal(err)
		}
	}
	v := cuecontext.New().BuildInstance(inst)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{`tenants."team-00002".pipelines."flow-1".tasks.train.image`, `platform.defaults.imageCatalog."jupyter-scipy"`} {
		if _, err := v.LookupPath(cue.ParsePath(path)).String(); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}
