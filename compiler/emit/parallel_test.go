package emit

import (
	"context"
	"reflect"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// TestParallelEmissionIsSequential: the folders are encoded by several workers, and
// objects that carry their YAML are not encoded again; neither shows in the tree.
func TestParallelEmissionIsSequential(t *testing.T) {
	repo := t.TempDir()
	if err := synth.Write(repo, synth.Spec{Tenants: 9, Notebooks: 2, Endpoints: 2, TrainingJobs: 2, Experiments: 1, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	compile := func(encode bool) *compiler.Result {
		opts := compiler.Options{NoCache: true}
		if encode { // with a cache, of which this is the first use: every tenant is encoded
			opts = compiler.Options{CacheDir: t.TempDir(), Encode: true}
		}
		res, err := compiler.Compile(context.Background(), repo, opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Diagnostics.HasErrors() {
			t.Fatal(res.Diagnostics.Error())
		}
		return res
	}
	plain, encoded := compile(false), compile(true)
	for _, c := range encoded.Clusters {
		for _, tn := range c.Tenants {
			for _, o := range append(tn.Platform, tn.Workloads...) {
				if o.Encoded == nil {
					t.Fatalf("%s %s: compiled with Encode but has no YAML", o.Kind(), o.Name())
				}
			}
		}
	}
	want, err := build(plain, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Files) < 50 {
		t.Fatalf("only %d files", len(want.Files))
	}
	for _, tc := range []struct {
		name    string
		res     *compiler.Result
		workers int
	}{
		{"parallel", plain, 4},
		{"encoded while compiling", encoded, 1},
		{"encoded while compiling, parallel", encoded, 3},
	} {
		got, err := build(tc.res, nil, tc.workers)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Files, want.Files) || !reflect.DeepEqual(got.names, want.names) {
			t.Errorf("%s: the tree differs from one encoded sequentially", tc.name)
		}
		for _, c := range want.Clusters() {
			if string(got.Stream(c)) != string(want.Stream(c)) {
				t.Errorf("%s: cluster %s: the stream differs", tc.name, c)
			}
		}
	}
}
