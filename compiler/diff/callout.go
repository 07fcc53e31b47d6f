package diff

import (
	"maps"
	"slices"
	"strings"
)

// Rule calls out changes reviewers must see. A rule about whole objects (no Path) calls
// out every object of its kinds that undergoes one of its ops; a rule with a Path calls
// out each object whose differing values match it, with those values. An added object
// is matched as if every value in it were added, a removed one as if every value were
// removed.
type Rule struct {
	// ID identifies the rule in JSON; several rules may share one.
	ID string
	// Title says in a few words what the rule watches.
	Title string
	// Kinds limits the rule to objects of these kinds; empty means every kind.
	Kinds []string
	// Names limits the rule to objects of these names; empty means every name.
	Names []string
	// Ops are what must happen to the object: added, removed, changed.
	Ops []Op
	// Path, when set, is a pattern of the fields to watch: segments joined by dots, "**"
	// for any number of steps, "*" for one, and "*" inside a segment for any characters
	// ("**.resources.limits.*gpu*"); "|" separates alternatives.
	Path string
	// Note, when set, says more about a called-out object.
	Note func(c *Change) string
}

// Rules are the callouts, most important first: the order callouts are listed in.
// Adding a rule is adding a line.
var Rules = []Rule{
	{ID: "data", Title: "holds data", Kinds: []string{"Namespace", "Profile", "PersistentVolumeClaim", "Notebook"}, Ops: []Op{Removed}, Note: dataNote},
	{ID: "access", Title: "access", Kinds: []string{"RoleBinding", "AuthorizationPolicy"}, Ops: []Op{Added, Removed}, Note: annotations("user", "role")},
	{ID: "secret", Title: "secret", Kinds: []string{"Secret", "ExternalSecret"}, Ops: []Op{Added, Removed, Changed}, Note: secretNote},
	{ID: "access", Title: "access", Kinds: []string{"RoleBinding"}, Ops: []Op{Changed}, Path: "roleRef.**|subjects.**", Note: annotations("user", "role")},
	{ID: "access", Title: "owner", Kinds: []string{"Profile"}, Ops: []Op{Changed}, Path: "spec.owner.**"},
	{ID: "access", Title: "cloud identity", Kinds: []string{"ServiceAccount"}, Ops: []Op{Added, Changed}, Path: "metadata.annotations.eks*role-arn|metadata.annotations.iam*gcp-service-account|metadata.annotations.azure*client-id"},
	{ID: "access", Title: "cloud identity", Kinds: []string{"Profile"}, Ops: []Op{Added, Changed}, Path: "spec.plugins.**"},
	{ID: "access", Title: "access", Kinds: []string{"Role"}, Ops: []Op{Added, Removed}},
	{ID: "access", Title: "access", Kinds: []string{"Role"}, Ops: []Op{Changed}, Path: "rules.**"},
	{ID: "access", Title: "network access", Kinds: []string{"NetworkPolicy"}, Ops: []Op{Added, Removed}},
	{ID: "access", Title: "network access", Kinds: []string{"NetworkPolicy"}, Ops: []Op{Changed}, Path: "spec.**"},
	{ID: "quota", Title: "resource quota", Kinds: []string{"Profile"}, Ops: []Op{Added, Changed}, Path: "spec.resourceQuotaSpec.**"},
	{ID: "quota", Title: "queue quota", Kinds: []string{"ClusterQueue", "Queue"}, Ops: []Op{Added, Changed}, Path: "spec.resourceGroups.**|spec.cohortName|spec.capability.**"},
	{ID: "gpu", Title: "GPUs", Ops: []Op{Added, Changed}, Path: "**.resources.limits.*gpu*|**.resources.requests.*gpu*"},
	{ID: "gpu", Title: "GPUs", Kinds: []string{"PipelineVersion"}, Ops: []Op{Added, Changed}, Path: "spec.pipelineSpec.deploymentSpec.executors.*.container.resources.accelerator.count|spec.pipelineSpec.deploymentSpec.executors.*.container.resources.accelerator.type"},
	{ID: "traffic", Title: "canary traffic", Kinds: []string{"InferenceService"}, Ops: []Op{Added, Changed}, Path: "spec.predictor.canaryTrafficPercent"},
	{ID: "data", Title: "custom resource definition", Kinds: []string{"CustomResourceDefinition"}, Ops: []Op{Removed}, Note: crdRemovedNote},
	{ID: "data", Title: "pipelines as Kubernetes objects", Kinds: []string{"CustomResourceDefinition"}, Names: []string{"pipelines.pipelines.kubeflow.org"}, Ops: []Op{Added}, Note: func(*Change) string {
		return "Kubeflow Pipelines then lists Pipeline objects only: pipelines it kept in its database before are no longer shown; export them first (KFP's tools/k8s-native) and declare them, or keep kubeflow.pipelines.definitions \"database\""
	}},
	{ID: "image", Title: "image", Ops: []Op{Changed}, Path: "**.image"},
	{ID: "model", Title: "model", Kinds: []string{"InferenceService"}, Ops: []Op{Changed}, Path: "**.storageUri"},
}

// secretNote names a Secret's keys (the keys of an ExternalSecret's data), never a
// value.
func secretNote(c *Change) string {
	obj := c.current()
	var keys []string
	for _, field := range []string{"data", "stringData"} {
		values, _ := obj[field].(map[string]any)
		keys = append(keys, slices.Collect(maps.Keys(values))...)
	}
	if spec, _ := obj["spec"].(map[string]any); spec != nil {
		data, _ := spec["data"].([]any)
		for _, d := range data {
			if m, _ := d.(map[string]any); m != nil {
				if k, _ := m["secretKey"].(string); k != "" {
					keys = append(keys, k)
				}
			}
		}
	}
	if len(keys) == 0 {
		return ""
	}
	slices.Sort(keys)
	return "keys " + strings.Join(slices.Compact(keys), ", ")
}

// PruneAnnotation is the annotation that tells Flux not to delete an object that
// leaves the source: the object stays in the cluster, unmanaged.
const PruneAnnotation = "kustomize.toolkit.fluxcd.io/prune"

// dataNote says what deleting an object that holds data does.
func dataNote(c *Change) string {
	if annotation(c.current(), PruneAnnotation) == "disabled" {
		return "Flux keeps it, as " + PruneAnnotation + " is disabled; mlc stops managing it"
	}
	switch c.Kind {
	case "Namespace":
		return "everything in the namespace is deleted with it"
	case "Profile":
		return "Kubeflow deletes the namespace " + c.Name + " and everything in it"
	case "PersistentVolumeClaim":
		return "Flux deletes the claim and the data on its volume"
	}
	return "Flux deletes it: what is not on a kept volume is lost"
}

// crdRemovedNote says what deleting a CustomResourceDefinition deletes.
func crdRemovedNote(c *Change) string {
	spec, _ := c.current()["spec"].(map[string]any)
	names, _ := spec["names"].(map[string]any)
	kind, _ := names["kind"].(string)
	group, _ := spec["group"].(string)
	if kind == "" {
		return "the API server deletes every object of its kind with it"
	}
	return "the API server deletes every " + kind + " (" + group + ") in the cluster with it, tenants' included"
}

// annotations returns a Note that lists the object's values of these annotations.
func annotations(keys ...string) func(*Change) string {
	return func(c *Change) string {
		var parts []string
		for _, k := range keys {
			if v := annotation(c.current(), k); v != "" {
				parts = append(parts, k+" "+v)
			}
		}
		return strings.Join(parts, ", ")
	}
}

func annotation(obj map[string]any, key string) string {
	meta, _ := obj["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	s, _ := ann[key].(string)
	return s
}

// ruleOp is what the rules see happen to the object: a version that replaces another
// (see pairVersions) is a change of its fields, as if the object had changed.
func (c *Change) ruleOp() Op {
	if c.Replaces != "" {
		return Changed
	}
	return c.Op
}

// callouts applies the rules to the changes, in rule order.
func callouts(rules []Rule, changes []Change) []Callout {
	out := []Callout{}
	for _, r := range rules {
		pat := compilePatterns(r.Path)
		for i := range changes {
			c := &changes[i]
			if !slices.Contains(r.Ops, c.ruleOp()) || (len(r.Kinds) > 0 && !slices.Contains(r.Kinds, c.Kind)) || (len(r.Names) > 0 && !slices.Contains(r.Names, c.Name)) {
				continue
			}
			co := Callout{Rule: r.ID, Title: r.Title, Cluster: c.Cluster, Tenant: c.Tenant, Op: c.Op, ObjectRef: c.ObjectRef, Replaces: c.Replaces}
			if r.Path != "" {
				if co.Fields = matching(pat, c); len(co.Fields) == 0 {
					continue
				}
			}
			if r.Note != nil {
				co.Note = r.Note(c)
			}
			out = append(out, co)
		}
	}
	return out
}

// matching returns the single values of a change that the pattern matches.
func matching(pat patterns, c *Change) []Field {
	var out []Field
	keep := func(f Field) {
		if pat.match(f.steps) {
			f.Path = f.steps.String()
			out = append(out, f)
		}
	}
	switch c.ruleOp() {
	case Added, Removed:
		leaves(nil, c.current(), c.Op, keep)
	default:
		for _, f := range c.Fields {
			fieldLeaves(f, keep)
		}
	}
	return out
}
