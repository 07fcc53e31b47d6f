package validate_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/validate"
)

// TestMetaNameCheckSound checks checkMeta's shortcuts against the checks
// they stand in for: the metadata checked without its declarative checks
// where these find nothing enforced, and the name re-checked as an URL path
// segment with the name, generateName and namespace alone. It runs on the
// fleet's objects, the upstream examples, and their variants, some aimed at
// the metadata.
func TestMetaNameCheckSound(t *testing.T) {
	total := map[string]int{}
	var unsound []string
	current := ""
	validate.SetVerifyMeta(func(step string, same bool) {
		total[step]++
		if !same && len(unsound) < 20 {
			unsound = append(unsound, current+": the "+step+" check's shortcut gives other errors")
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
			for _, gen := range []any{nil, "gen-", "a/", "..", "-"} {
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
		for _, extra := range []map[string]any{
			{"generation": int64(-1)}, {"generation": int64(2)}, {"uid": "u"}, {"deletionGracePeriodSeconds": int64(-1)},
			{"deletionTimestamp": "2024-01-01T00:00:00Z"}, {"creationTimestamp": "2024-01-01T00:00:00Z"},
			{"finalizers": []any{"a/b", "bad finalizer"}}, {"labels": map[string]any{"bad key!": "v"}},
			{"annotations": map[string]any{"a": strings.Repeat("x", 300000)}},
			{"ownerReferences": []any{map[string]any{"apiVersion": "v1", "kind": "K", "name": "n", "uid": "u"}}},
			{"ownerReferences": []any{map[string]any{"apiVersion": "", "kind": "", "name": "", "uid": ""}}},
			{"managedFields": []any{map[string]any{"manager": "m", "operation": "Bad"}}},
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
	t.Logf("%d objects; %d metadata checked without the declarative checks, %d names re-checked alone", len(objs), total["declarative"], total["name"])
}

// jsonCopy is a deep copy of obj, with the numbers mlc's objects hold.
func jsonCopy(obj map[string]any) map[string]any {
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var c map[string]any
	if err := d.Decode(&c); err != nil {
		panic(err)
	}
	return c
}
