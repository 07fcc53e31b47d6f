package patch_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/patch"
)

// objects are a tenant's workloads as lowering writes them: a TrainJob and a claim.
func objects() []manifest.Object {
	return []manifest.Object{
		{Source: `trainingJobs.resnet`, Content: map[string]any{
			"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
			"metadata": map[string]any{"name": "resnet", "namespace": "vision", "labels": map[string]any{"team": "vision"}},
			"spec":     map[string]any{"runtimeRef": map[string]any{"name": "torch-distributed"}},
		}},
		{Source: `notebooks.dev`, Content: map[string]any{
			"apiVersion": "v1", "kind": "PersistentVolumeClaim",
			"metadata": map[string]any{"name": "dev-workspace", "namespace": "vision"},
			"spec": map[string]any{"accessModes": []any{"ReadWriteOnce"},
				"resources": map[string]any{"requests": map[string]any{"storage": "5Gi"}}},
		}},
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	smp := patch.Patch{Source: "patches.a", Patch: model.Patch{Patch: "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata:\n  name: resnet\n  annotations:\n    team.example.com/cost-center: cv\n"}}
	json := patch.Patch{Source: "patches.b", Patch: model.Patch{
		Patch:  "- op: replace\n  path: /spec/resources/requests/storage\n  value: 10Gi\n",
		Target: &model.PatchTarget{Kind: "PersistentVolumeClaim", Name: "dev-workspace"},
	}}
	objs := objects()
	res, errs := patch.Apply(objs, []patch.Patch{smp, json})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	job := res.Objects[0].Content
	if got := job["metadata"].(map[string]any)["annotations"].(map[string]any)["team.example.com/cost-center"]; got != "cv" {
		t.Errorf("the TrainJob's annotation is %v", got)
	}
	if got := job["metadata"].(map[string]any)["labels"].(map[string]any)["team"]; got != "vision" {
		t.Errorf("the TrainJob lost its label: %v", job["metadata"])
	}
	claim := res.Objects[1].Content
	if got := claim["spec"].(map[string]any)["resources"].(map[string]any)["requests"].(map[string]any)["storage"]; got != "10Gi" {
		t.Errorf("the claim's storage is %v", got)
	}
	if res.By[objs[0].ID()] != "patches.a" || res.By[objs[1].ID()] != "patches.b" {
		t.Errorf("By = %v", res.By)
	}
	if objs[1].Content["spec"].(map[string]any)["resources"].(map[string]any)["requests"].(map[string]any)["storage"] != "5Gi" {
		t.Error("Apply changed the objects it was given")
	}
	if res.Objects[0].Source != objs[0].Source {
		t.Errorf("Source = %q", res.Objects[0].Source)
	}
}

func TestApplyUnselected(t *testing.T) {
	t.Parallel()
	p := patch.Patch{Source: "patches.a", Patch: model.Patch{Patch: "kind: TrainJob\nmetadata:\n  name: any\n  annotations: {a: b}\n", Target: &model.PatchTarget{Kind: "TrainJob"}}}
	objs := objects()
	res, errs := patch.Apply(objs, []patch.Patch{p})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, ok := res.By[objs[1].ID()]; ok {
		t.Error("the claim is reported patched")
	}
	if reflect.ValueOf(res.Objects[1].Content).UnsafePointer() != reflect.ValueOf(objs[1].Content).UnsafePointer() {
		t.Error("the claim is not the object given")
	}
	if res.Objects[0].Content["metadata"].(map[string]any)["annotations"] == nil {
		t.Error("the TrainJob was not patched")
	}
}

// TestApplyRefused: what a patch may not do, each refused at the patch, naming what.
func TestApplyRefused(t *testing.T) {
	t.Parallel()
	job := &model.PatchTarget{Kind: "TrainJob", Name: "resnet"}
	for _, c := range []struct {
		name  string
		patch model.Patch
		want  string
	}{
		{"no match by target", model.Patch{Patch: "metadata: {annotations: {a: b}}", Target: &model.PatchTarget{Kind: "Notebook"}}, "matches no object (kind Notebook)"},
		{"no match by name", model.Patch{Patch: "apiVersion: v1\nkind: Namespace\nmetadata: {name: vision, labels: {a: b}}\n"}, "matches no object (version v1, kind Namespace, name vision)"},
		{"json without target", model.Patch{Patch: "- {op: add, path: /metadata/labels/a, value: b}"}, "needs a target"},
		{"moves namespace", model.Patch{Patch: "- {op: replace, path: /metadata/namespace, value: kube-system}", Target: job}, "turns trainer.kubeflow.org/TrainJob/vision/resnet into trainer.kubeflow.org/TrainJob/kube-system/resnet"},
		{"renames", model.Patch{Patch: "- {op: replace, path: /metadata/name, value: other}", Target: job}, "a patch may change objects, not their kind, name or namespace"},
		{"changes kind", model.Patch{Patch: "- {op: replace, path: /kind, value: RoleBinding}", Target: job}, "into trainer.kubeflow.org/RoleBinding/vision/resnet"},
		{"deletes", model.Patch{Patch: "$patch: delete\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: dev-workspace}\n"}, "the patch removes /PersistentVolumeClaim/vision/dev-workspace"},
		{"several objects", model.Patch{Patch: "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: dev-workspace}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}, "holds 2 objects"},
		{"bad json op", model.Patch{Patch: "- {op: frobnicate, path: /spec}", Target: job}, "frobnicate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			objs := objects()
			res, errs := patch.Apply(objs, []patch.Patch{{Source: "patches.x", Patch: c.patch}})
			if len(errs) != 1 || errs[0].Source != "patches.x" || !strings.Contains(errs[0].Err.Error(), c.want) {
				t.Fatalf("errors %v, want one at patches.x saying %q", errs, c.want)
			}
			if &res.Objects[0] != &objs[0] {
				t.Error("the objects are not returned as given")
			}
		})
	}
}

// TestUnmatched: without applying anything, the patches that select nothing.
func TestUnmatched(t *testing.T) {
	t.Parallel()
	var objs []map[string]any
	for _, o := range objects() {
		objs = append(objs, o.Content)
	}
	patches := []patch.Patch{
		{Source: "kubeflow.patches.a[0]", Patch: model.Patch{Patch: "- {op: add, path: /metadata/labels/a, value: b}", Target: &model.PatchTarget{Kind: "TrainJob", LabelSelector: "team=vision"}}},
		{Source: "kubeflow.patches.a[1]", Patch: model.Patch{Patch: "- {op: add, path: /metadata/labels/a, value: b}", Target: &model.PatchTarget{Kind: "Deployment"}}},
		{Source: "kubeflow.patches.a[2]", Patch: model.Patch{Patch: "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: other}\n"}},
	}
	errs := patch.Unmatched(objs, patches)
	if len(errs) != 2 || errs[0].Source != "kubeflow.patches.a[1]" || errs[1].Source != "kubeflow.patches.a[2]" {
		t.Fatalf("errors %v, want patches 1 and 2", errs)
	}
	if !strings.Contains(errs[1].Err.Error(), "matches no object (version v1, kind PersistentVolumeClaim, name other)") {
		t.Errorf("error %v", errs[1])
	}
	if _, ok := objs[0]["metadata"].(map[string]any)["labels"].(map[string]any)["a"]; ok {
		t.Error("Unmatched applied a patch")
	}
}
