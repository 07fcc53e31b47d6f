package validate_test

import (
	"fmt"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/validate"
)

// TestMetaNameCheckSound checks that re-checking the name as an URL path
// segment with the name, generateName and namespace alone gives what the
// check with all of the metadata gives, on the fleet's objects, the upstream
// examples, and their variants, some aimed at the metadata.
func TestMetaNameCheckSound(t *testing.T) {
	var total int
	var unsound []string
	current := ""
	validate.SetVerifyMeta(func(same bool) {
		total++
		if !same && len(unsound) < 20 {
			unsound = append(unsound, current+": the name checked alone gives other errors")
		}
	})
	defer validate.SetVerifyMeta(nil)

	v := validate.New()
	objs := append(fleetObjects(t), validate.UpstreamObjects(t)...)
	seen := map[string]int{}
	for i, o := range objs {
		current = fmt.Sprintf("object %d %s %v", i, o["kind"], o["metadata"])
		v.Validate(o)
		// The generic variants of a few objects of each kind.
		k := fmt.Sprint(o["apiVersion"], o["kind"])
		if seen[k]++; seen[k] > 2 {
			continue
		}
		variants := validate.Mutations(o)
		for _, name := range []any{"..", ".", "a/b", "a%b", "ok", "", nil} {
			for _, gen := range []any{nil, "gen-", "a/", ".."} {
				for _, ns := range []any{nil, "team-a", "Bad", "a/b"} {
					m := jsonCopy(o)
					meta, _ := m["metadata"].(map[string]any)
					if meta == nil {
						continue
					}
					meta["name"], meta["generateName"], meta["namespace"] = name, gen, ns
					variants = append(variants, m)
				}
			}
		}
		for j, m := range variants {
			current = fmt.Sprintf("object %d %s variant %d", i, o["kind"], j)
			v.Validate(m)
		}
	}
	for _, u := range unsound {
		t.Error(u)
	}
	t.Logf("%d objects, %d names re-checked", len(objs), total)
}
