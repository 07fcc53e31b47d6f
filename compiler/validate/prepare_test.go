package validate

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestPrepare: Prepare builds the schemas of the CRD versions it is given, and only
// those; kinds without a CRD and versions it does not know are passed over.
func TestPrepare(t *testing.T) {
	v, err := newEmbedded(newEntryCache()) // shares no schema another test built
	if err != nil {
		t.Fatal(err)
	}
	notebook := schema.GroupVersionKind{Group: "kubeflow.org", Version: "v1", Kind: "Notebook"}
	isvc := schema.GroupVersionKind{Group: "serving.kserve.io", Version: "v1beta1", Kind: "InferenceService"}
	v.Prepare([]schema.GroupVersionKind{
		notebook,
		{Group: "kubeflow.org", Version: "v9", Kind: "Notebook"},
		{Version: "v1", Kind: "ConfigMap"},
		{Group: "example.com", Version: "v1", Kind: "Unknown"},
	})
	built := func(gvk schema.GroupVersionKind) bool {
		return v.crds[gvk.GroupKind()].versions[gvk.Version].done.Load()
	}
	if !built(notebook) {
		t.Error("the Notebook v1 schema was not built")
	}
	if built(isvc) {
		t.Error("the InferenceService schema was built without being asked for")
	}
	if errs := v.Validate(map[string]any{"apiVersion": "kubeflow.org/v1", "kind": "Notebook",
		"metadata": map[string]any{"name": "n", "namespace": "ns"}, "spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "n", "image": "i"}}}}}}); errs != nil {
		t.Errorf("a valid Notebook after Prepare: %v", errs)
	}
}
