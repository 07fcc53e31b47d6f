package compiler

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// compiledOutputs compiles the quickstart without the cache and returns each tenant's
// outputs by cluster, as a cache entry holds them.
func compiledOutputs(t *testing.T) map[string]map[string]*lower.Output {
	t.Helper()
	res, err := Compile(context.Background(), filepath.Join("..", "examples", "quickstart"), Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	outputs := map[string]map[string]*lower.Output{}
	for _, c := range res.Clusters {
		for _, tn := range c.Tenants {
			if outputs[tn.Name] == nil {
				outputs[tn.Name] = map[string]*lower.Output{}
			}
			out := tn.Output
			outputs[tn.Name][c.Name] = &out
		}
	}
	return outputs
}

// object builds an object of the identity given.
func object(apiVersion, kind, namespace, name string) manifest.Object {
	meta := map[string]any{"name": name}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	o := manifest.Object{Source: "tenant", Content: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta}}
	if err := o.Encode(); err != nil {
		panic(err)
	}
	return o.Slim() // as the cache gives objects
}

// lying returns o, slimmed, with an identity its YAML does not declare.
func lying(o manifest.Object, id manifest.Ident) manifest.Object {
	o.Ident = &id
	return o
}

// TestBelongs: what a tenant compiles to belongs to it; an object outside its namespace,
// a cluster-scoped object other than its own Namespace and Profile, an object of a kind
// mlc does not know, a name that is no DNS subdomain, YAML that says otherwise than the
// entry's identity, or an output for a cluster that does not run it does not.
func TestBelongs(t *testing.T) {
	all := compiledOutputs(t)
	for tenant, outputs := range all {
		if !belongs(tenant, slices.Sorted(maps.Keys(outputs)), outputs) {
			t.Errorf("%s: what it compiles to does not belong to it", tenant)
		}
	}
	vision := all["vision"]
	clusters := slices.Sorted(maps.Keys(vision))
	for name, c := range map[string]struct {
		obj            manifest.Object
		platform, want bool
	}{
		"a config map of its own":           {object("v1", "ConfigMap", "vision", "settings"), false, true},
		"a role binding of its own":         {object("rbac.authorization.k8s.io/v1", "RoleBinding", "vision", "x.y"), true, true},
		"workload in another namespace":     {object("kubeflow.org/v1", "Notebook", "nlp", "dev"), false, false},
		"workload without a namespace":      {object("kubeflow.org/v1", "Notebook", "", "dev"), false, false},
		"another tenant's namespace":        {object("v1", "Namespace", "", "nlp"), true, false},
		"another tenant's profile":          {object("kubeflow.org/v1", "Profile", "", "nlp"), true, false},
		"its namespace among its workloads": {object("v1", "Namespace", "", "vision"), false, false},
		"cluster role binding":              {object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "vision"), true, false},
		"cluster role binding namespaced":   {object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "vision", "vision"), true, false},
		"unknown kind":                      {object("v1", "Pod", "vision", "x"), false, false},
		"name leaving the folder":           {object("v1", "ConfigMap", "vision", "../../nlp/x"), false, false},
		"name with upper case":              {object("v1", "ConfigMap", "vision", "X"), false, false},
		"YAML in another namespace":         {lying(object("v1", "ConfigMap", "nlp", "x"), manifest.Ident{APIVersion: "v1", Kind: "ConfigMap", Name: "x", Namespace: "vision"}), false, false},
		"YAML of another kind":              {lying(object("v1", "Secret", "vision", "x"), manifest.Ident{APIVersion: "v1", Kind: "ConfigMap", Name: "x", Namespace: "vision"}), false, false},
		"YAML of two documents":             {lying(manifest.Object{Encoded: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: vision\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n  namespace: nlp\n")}, manifest.Ident{APIVersion: "v1", Kind: "ConfigMap", Name: "x", Namespace: "vision"}), false, false},
	} {
		changed := map[string]*lower.Output{}
		for cl, out := range vision {
			o := *out
			if c.platform {
				o.Platform = append(slices.Clone(o.Platform), c.obj)
			} else {
				o.Workloads = append(slices.Clone(o.Workloads), c.obj)
			}
			changed[cl] = &o
		}
		if got := belongs("vision", clusters, changed); got != c.want {
			t.Errorf("%s: belongs to vision %v, want %v", name, got, c.want)
		}
	}
	if len(clusters) != 2 {
		t.Fatalf("vision runs on %v, want two clusters", clusters)
	}
	if belongs("vision", clusters, map[string]*lower.Output{clusters[0]: vision[clusters[0]]}) {
		t.Error("an output missing: belongs")
	}
	if belongs("vision", clusters[:1], vision) {
		t.Error("an output for a cluster that does not run it: belongs")
	}
	if belongs("vision", clusters, all["nlp"]) {
		t.Error("nlp's outputs belong to vision")
	}
}
