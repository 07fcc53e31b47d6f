package emit

import (
	"path"
	"slices"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// TestBuildLayout: the files of clusters with and without bootstrap, platform and
// workload folders, in order, and each cluster's stream.
func TestBuildLayout(t *testing.T) {
	obj := func(kind, name string) manifest.Object {
		o := manifest.Object{Content: map[string]any{"apiVersion": "v1", "kind": kind, "metadata": map[string]any{"name": name}}}
		o.Encoded = []byte("kind: " + kind + "\nname: " + name + "\n")
		return o
	}
	res := &compiler.Result{Clusters: []compiler.Cluster{
		{Name: "a", Bootstrap: []manifest.Object{obj("Namespace", "flux")}, Tenants: []compiler.Tenant{
			{Name: "t1", Output: lower.Output{Platform: []manifest.Object{obj("Profile", "t1")}, Workloads: []manifest.Object{obj("Notebook", "n"), obj("Notebook", "m")}}},
			{Name: "t2", Output: lower.Output{Workloads: []manifest.Object{obj("Notebook", "n")}}},
		}},
		{Name: "b", Tenants: []compiler.Tenant{{Name: "t3", Output: lower.Output{Workloads: []manifest.Object{obj("Notebook", "x")}}}}},
		{Name: "c"},
	}}
	tree, err := build(res, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range tree.Files {
		got = append(got, f.Path)
	}
	want := []string{
		"a/kustomization.yaml",
		"a/flux-system/kustomization.yaml", "a/flux-system/namespace_flux.yaml",
		"a/platform/kustomization.yaml",
		"a/platform/t1/kustomization.yaml", "a/platform/t1/profile_t1.yaml",
		"a/tenants/t1/kustomization.yaml", "a/tenants/t1/notebook_n.yaml", "a/tenants/t1/notebook_m.yaml",
		"a/tenants/t2/kustomization.yaml", "a/tenants/t2/notebook_n.yaml",
		"b/kustomization.yaml",
		"b/tenants/t3/kustomization.yaml", "b/tenants/t3/notebook_x.yaml",
		"c/kustomization.yaml",
	}
	if !slices.Equal(got, want) {
		t.Errorf("files:\n%q\nwant\n%q", got, want)
	}
	if s := string(tree.Stream("a")); s != "kind: Namespace\nname: flux\n---\nkind: Profile\nname: t1\n---\nkind: Notebook\nname: n\n---\nkind: Notebook\nname: m\n---\nkind: Notebook\nname: n\n" {
		t.Errorf("stream of a:\n%s", s)
	}
	if s := string(tree.Stream("c")); s != "" {
		t.Errorf("stream of c: %q", s)
	}
	if s := string(tree.Files[0].Data); s != string(kustomization([]string{"flux-system", "platform", "tenants/t1", "tenants/t2"})) {
		t.Errorf("a/kustomization.yaml:\n%s", s)
	}
}

// TestBuildPathsOfAwkwardNames: a file name that is not one clean element of a path
// (which no valid object has) is joined as path.Join does and listed as it is, and its
// neighbours keep their paths.
func TestBuildPathsOfAwkwardNames(t *testing.T) {
	var objs []manifest.Object
	for _, name := range []string{"a", "x/../y", "b", "c//d", "e"} {
		o := manifest.Object{Content: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name}}}
		o.Encoded = []byte("name: " + name + "\n")
		objs = append(objs, o)
	}
	res := &compiler.Result{Clusters: []compiler.Cluster{{Name: "k", Tenants: []compiler.Tenant{{Name: "t", Output: lower.Output{Workloads: objs}}}}}}
	tree, err := build(res, 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, o := range objs {
		f := tree.Files[len(tree.Files)-len(objs)+i]
		if want := path.Join("k/tenants/t", o.FileName()); f.Path != want || string(f.Data) != string(o.Encoded) {
			t.Errorf("object %d at %q, want %q", i, f.Path, want)
		}
		names = append(names, o.FileName())
	}
	if k := tree.Files[len(tree.Files)-len(objs)-1]; k.Path != "k/tenants/t/kustomization.yaml" || string(k.Data) != string(kustomization(names)) {
		t.Errorf("%s:\n%s", k.Path, k.Data)
	}
}
