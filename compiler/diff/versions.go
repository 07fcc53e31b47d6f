package diff

import "maps"

// Some objects are named after a hash of their content, because their API never changes
// one: a KFP PipelineVersion. A change to the pipeline therefore removes one object and
// adds another. pairVersions links the two, so that reviewers see which fields differ
// rather than two whole objects.

// versionedKinds are the kinds named by content, with the field path that names what
// they are a version of.
var versionedKinds = map[[2]string][]string{
	{"pipelines.kubeflow.org", "PipelineVersion"}: {"spec", "pipelineName"},
}

// pairVersions marks, in one cluster's sorted changes, each added version that replaces
// exactly one removed version of the same thing in the same namespace: the added one
// gets the fields that differ (its name aside), and both name each other.
func pairVersions(changes []Change) {
	type key struct{ group, kind, namespace, of string }
	added, removed := map[key][]int{}, map[key][]int{}
	for i := range changes {
		c := &changes[i]
		at, ok := versionedKinds[[2]string{c.Group, c.Kind}]
		if !ok || c.Op == Changed {
			continue
		}
		of, _ := lookup(c.current(), at).(string)
		if of == "" {
			continue
		}
		k := key{c.Group, c.Kind, c.Namespace, of}
		if c.Op == Added {
			added[k] = append(added[k], i)
		} else {
			removed[k] = append(removed[k], i)
		}
	}
	// Each pair is independent of the others: the map's order does not matter.
	for k := range added {
		if len(added[k]) != 1 || len(removed[k]) != 1 {
			continue
		}
		a, r := &changes[added[k][0]], &changes[removed[k][0]]
		before := withName(r.before, a.Name)
		a.Replaces, r.ReplacedBy = r.Name, a.Name
		a.Fields = compareValues(nil, before, a.after, nil)
	}
}

// withName is a shallow copy of obj whose metadata.name is name.
func withName(obj map[string]any, name string) map[string]any {
	out := maps.Clone(obj)
	if m, ok := obj["metadata"].(map[string]any); ok {
		m = maps.Clone(m)
		m["name"] = name
		out["metadata"] = m
	}
	return out
}

// lookup is the value at a path of map keys, nil when absent.
func lookup(obj map[string]any, at []string) any {
	var v any = obj
	for _, k := range at {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
