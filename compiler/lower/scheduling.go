package lower

import (
	"maps"
	"slices"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// API versions of the scheduling objects: Kueue's storage version in v0.19, and
// Volcano's only one.
const (
	KueueAPIVersion   = "kueue.x-k8s.io/v1beta2"
	VolcanoAPIVersion = "scheduling.volcano.sh/v1beta1"
)

// Scheduling compiles a cluster's scheduling objects for its training scheduler: Kueue's
// ResourceFlavors, Cohorts and ClusterQueues where it is kueue, Volcano's Queues where
// it is volcano; none otherwise. They are cluster-scoped, in the platform's artifact,
// in the order flavors, cohorts, queues.
func Scheduling(p *model.Platform, c model.Cluster) []manifest.Object {
	s := p.SchedulingOf(c)
	var out []manifest.Object
	switch p.TrainingTarget(c).Scheduler {
	case model.SchedulerKueue:
		for _, name := range slices.Sorted(maps.Keys(s.ResourceFlavors)) {
			out = append(out, resourceFlavor(name, s.ResourceFlavors[name]))
		}
		for _, name := range slices.Sorted(maps.Keys(s.Cohorts)) {
			out = append(out, cohort(name, s.Cohorts[name]))
		}
		for _, name := range slices.Sorted(maps.Keys(s.ClusterQueues)) {
			out = append(out, clusterQueue(name, s.ClusterQueues[name]))
		}
	case model.SchedulerVolcano:
		for _, name := range slices.Sorted(maps.Keys(s.VolcanoQueues)) {
			out = append(out, volcanoQueue(name, s.VolcanoQueues[name]))
		}
	}
	return out
}

func clusterScoped(apiVersion, kind, name, source string, spec map[string]any) manifest.Object {
	return manifest.Object{Source: source, Content: map[string]any{
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": name},
		"spec":       spec,
	}}
}

func resourceFlavor(name string, d model.Declared[model.ResourceFlavor]) manifest.Object {
	f := d.Value
	spec := map[string]any{}
	if len(f.NodeLabels) > 0 {
		spec["nodeLabels"] = stringMap(f.NodeLabels)
	}
	if len(f.NodeTaints) > 0 {
		taints := make([]any, len(f.NodeTaints))
		for i, t := range f.NodeTaints {
			m := map[string]any{"key": t.Key, "effect": t.Effect}
			if t.Value != "" {
				m["value"] = t.Value
			}
			taints[i] = m
		}
		spec["nodeTaints"] = taints
	}
	if len(f.Tolerations) > 0 {
		spec["tolerations"] = tolerations(f.Tolerations)
	}
	return clusterScoped(KueueAPIVersion, "ResourceFlavor", name, d.Path, spec)
}

func cohort(name string, d model.Declared[model.Cohort]) manifest.Object {
	spec := map[string]any{}
	if d.Value.Parent != "" {
		spec["parentName"] = d.Value.Parent
	}
	return clusterScoped(KueueAPIVersion, "Cohort", name, d.Path, spec)
}

func clusterQueue(name string, d model.Declared[model.ClusterQueue]) manifest.Object {
	q := d.Value
	spec := map[string]any{}
	if q.Cohort != "" {
		spec["cohortName"] = q.Cohort
	}
	// Kueue's default selector ({}) admits every namespace; written out, a reader sees it.
	spec["namespaceSelector"] = labelSelector(q.NamespaceSelector)
	groups := make([]any, len(q.ResourceGroups))
	for i, g := range q.ResourceGroups {
		covered := CoveredResources(g)
		flavors := make([]any, len(g.Flavors))
		for j, f := range g.Flavors {
			resources := make([]any, 0, len(covered))
			for _, r := range covered {
				rq := f.Resources[r]
				m := map[string]any{"name": r, "nominalQuota": string(rq.NominalQuota)}
				if rq.BorrowingLimit != "" {
					m["borrowingLimit"] = string(rq.BorrowingLimit)
				}
				if rq.LendingLimit != "" {
					m["lendingLimit"] = string(rq.LendingLimit)
				}
				resources = append(resources, m)
			}
			flavors[j] = map[string]any{"name": f.Name, "resources": resources}
		}
		groups[i] = map[string]any{"coveredResources": toAny(covered), "flavors": flavors}
	}
	spec["resourceGroups"] = groups
	if q.QueueingStrategy != "" {
		spec["queueingStrategy"] = q.QueueingStrategy
	}
	if pr := q.Preemption; pr != nil {
		m := map[string]any{}
		if pr.WithinClusterQueue != "" {
			m["withinClusterQueue"] = pr.WithinClusterQueue
		}
		if pr.ReclaimWithinCohort != "" {
			m["reclaimWithinCohort"] = pr.ReclaimWithinCohort
		}
		spec["preemption"] = m
	}
	return clusterScoped(KueueAPIVersion, "ClusterQueue", name, d.Path, spec)
}

// CoveredResources are the resources a resource group's flavors set quota for, sorted:
// the group's coveredResources, in the order every flavor lists them.
func CoveredResources(g model.ResourceGroup) []string {
	set := map[string]bool{}
	for _, f := range g.Flavors {
		for r := range f.Resources {
			set[r] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func labelSelector(s *model.LabelSelector) map[string]any {
	out := map[string]any{}
	if s == nil {
		return out
	}
	if len(s.MatchLabels) > 0 {
		out["matchLabels"] = stringMap(s.MatchLabels)
	}
	if len(s.MatchExpressions) > 0 {
		exprs := make([]any, len(s.MatchExpressions))
		for i, e := range s.MatchExpressions {
			m := map[string]any{"key": e.Key, "operator": e.Operator}
			if len(e.Values) > 0 {
				m["values"] = toAny(e.Values)
			}
			exprs[i] = m
		}
		out["matchExpressions"] = exprs
	}
	return out
}

func volcanoQueue(name string, d model.Declared[model.VolcanoQueue]) manifest.Object {
	q := d.Value
	spec := map[string]any{}
	if q.Weight != nil {
		spec["weight"] = *q.Weight
	}
	if len(q.Capability) > 0 {
		c := make(map[string]any, len(q.Capability))
		for r, v := range q.Capability {
			c[r] = string(v)
		}
		spec["capability"] = c
	}
	if q.Reclaimable != nil {
		spec["reclaimable"] = *q.Reclaimable
	}
	return clusterScoped(VolcanoAPIVersion, "Queue", name, d.Path, spec)
}

// localQueue is a tenant's Kueue LocalQueue, in its namespace.
func localQueue(namespace, name string, q model.Queue) manifest.Object {
	return manifest.Object{
		Source: model.Path("queues", name),
		Content: map[string]any{
			"apiVersion": KueueAPIVersion,
			"kind":       "LocalQueue",
			"metadata":   metadata(name, namespace, nil, nil),
			"spec":       map[string]any{"clusterQueue": q.ClusterQueue},
		},
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
