package validate_test

import (
	"fmt"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/validate"
)

// TestCRDMetaSound checks the decoding of a custom resource's metadata from
// the map, and the building of its unstructured form, against the API
// server's, on the fleet's custom resources, the upstream examples and their
// variants. It also requires both shortcuts for every custom resource mlc
// compiles.
func TestCRDMetaSound(t *testing.T) {
	fastCount := map[string]int{}
	total := map[string]int{}
	var unsound []string
	current := ""
	validate.SetVerifyCRDMeta(func(step string, fast, same bool) {
		total[step]++
		if !fast {
			return
		}
		fastCount[step]++
		if !same && len(unsound) < 20 {
			unsound = append(unsound, fmt.Sprintf("%s: the metadata's %s shortcut differs from the API server's", current, step))
		}
	})
	defer validate.SetVerifyCRDMeta(nil)

	v := validate.New()
	fleet := fleetObjects(t)
	objs := append(fleet, validate.UpstreamObjects(t)...)
	for i, o := range objs {
		current = fmt.Sprintf("object %d %s %v", i, o["kind"], o["metadata"])
		before := fastCount["get"] + fastCount["set"]
		before2 := total["get"]
		v.Validate(o)
		if i < len(fleet) && total["get"] > before2 && fastCount["get"]+fastCount["set"] < before+2 {
			t.Errorf("%s: metadata not decoded and set by the shortcuts", current)
		}
		variants := validate.Mutations(o)
		for _, extra := range []map[string]any{
			{"uid": "u"}, {"creationTimestamp": "2024-01-01T00:00:00Z"}, {"finalizers": []any{"a/b"}},
			{"labels": map[string]any{}}, {"annotations": map[string]any{"a": ""}}, {"generateName": "g-"},
			{"ownerReferences": []any{map[string]any{"apiVersion": "v1", "kind": "K", "name": "n", "uid": "u"}}},
			{"Name": "n"}, {"NAME": "n", "name": nil}, {"labels": nil}, {"namespace": ""}, {"generation": int64(1)},
		} {
			m := jsonCopy(o)
			meta, _ := m["metadata"].(map[string]any)
			if meta == nil {
				continue
			}
			for k, e := range extra {
				meta[k] = e
			}
			variants = append(variants, m)
		}
		for j, m := range variants {
			current = fmt.Sprintf("object %d %s variant %d", i, o["kind"], j)
			v.Validate(m)
		}
	}
	for _, u := range unsound {
		t.Error(u)
	}
	t.Logf("%d objects; decoded %d of %d from the map, set %d of %d directly", len(objs), fastCount["get"], total["get"], fastCount["set"], total["set"])
}
