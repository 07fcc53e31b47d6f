package emit

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// TestParallelEmissionIsSequential: the folders are encoded by several workers, and
// objects that carry their YAML are not encoded again; neither shows in the tree.
func TestParallelEmissionIsSequential(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	if err := synth.Write(repo, synth.Spec{Tenants: 9, Notebooks: 2, Endpoints: 2, TrainingJobs: 2, Experiments: 1, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	plain, err := compiler.Compile(context.Background(), repo, compiler.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Diagnostics.HasErrors() {
		t.Fatal(plain.Diagnostics.Error())
	}
	want, err := build(plain, 1)
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
		{"carrying their YAML", encoded(t, plain), 1},
		{"carrying their YAML, parallel", encoded(t, plain), 3},
	} {
		got, err := build(tc.res, tc.workers)
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

// encoded returns a copy of res whose objects carry their YAML, and no Content: a
// folder of them can only be laid out from the YAML they carry.
func encoded(t *testing.T, res *compiler.Result) *compiler.Result {
	t.Helper()
	encode := func(objs []manifest.Object) []manifest.Object {
		objs = slices.Clone(objs)
		for i := range objs {
			if err := objs[i].Encode(); err != nil {
				t.Fatal(err)
			}
			id := objs[i].Identity()
			objs[i].Content, objs[i].Ident = nil, &id
		}
		return objs
	}
	out := &compiler.Result{Clusters: slices.Clone(res.Clusters)}
	for i := range out.Clusters {
		c := &out.Clusters[i]
		c.Bootstrap = encode(c.Bootstrap)
		c.Tenants = slices.Clone(c.Tenants)
		for k := range c.Tenants {
			c.Tenants[k].Platform = encode(c.Tenants[k].Platform)
			c.Tenants[k].Workloads = encode(c.Tenants[k].Workloads)
		}
	}
	return out
}
