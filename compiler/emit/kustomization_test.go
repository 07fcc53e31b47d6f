package emit

import (
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// kustomizationJSON is how kustomizations were encoded before: through JSON, with
// sigs.k8s.io/yaml.
func kustomizationJSON(resources []string) []byte {
	k := struct {
		APIVersion  string   `json:"apiVersion"`
		Kind        string   `json:"kind"`
		Resources   []string `json:"resources"`
		SortOptions struct {
			Order string `json:"order"`
		} `json:"sortOptions"`
	}{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization", Resources: resources}
	if k.Resources == nil {
		k.Resources = []string{}
	}
	k.SortOptions.Order = "fifo"
	b, err := sigsyaml.Marshal(k)
	if err != nil {
		panic(err)
	}
	return b
}

func TestKustomizationBytes(t *testing.T) {
	for _, resources := range [][]string{
		nil,
		{},
		{"flux-system", "platform", "tenants/vision"},
		{"profile_vision.yaml", "notebook_alice-dev.yaml", "kustomization_flux.yaml"},
		{"123", "true", "null", "~", "yes", "0x1F", "1e3", "-", "- a", "a: b", "#x", "'q'", `"d"`, "ü", " lead", "trail ", ""},
		{"a-very-long-name-0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789.yaml"},
	} {
		if got, want := kustomization(resources), kustomizationJSON(resources); string(got) != string(want) {
			t.Errorf("%q:\n got %s\nwant %s", resources, got, want)
		}
	}
}
