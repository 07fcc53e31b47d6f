package model

import (
	"bytes"
	"encoding/json"
	"maps"
)

// Scheduling are the cluster-scoped objects that admit queued training jobs.
type Scheduling struct {
	Kueue   *KueueScheduling   `json:"kueue"`
	Volcano *VolcanoScheduling `json:"volcano"`
}

// KueueScheduling are Kueue's cluster-scoped objects, by name.
type KueueScheduling struct {
	ResourceFlavors map[string]ResourceFlavor `json:"resourceFlavors"`
	Cohorts         map[string]Cohort         `json:"cohorts"`
	ClusterQueues   map[string]ClusterQueue   `json:"clusterQueues"`
}

// ResourceFlavor is a Kueue ResourceFlavor: a kind of node.
type ResourceFlavor struct {
	NodeLabels  map[string]string `json:"nodeLabels,omitempty"`
	NodeTaints  []Taint           `json:"nodeTaints,omitempty"`
	Tolerations []Toleration      `json:"tolerations,omitempty"`
}

// Taint is a node taint.
type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// Cohort is a Kueue Cohort.
type Cohort struct {
	Parent string `json:"parent,omitempty"`
}

// ClusterQueue is a Kueue ClusterQueue.
type ClusterQueue struct {
	Cohort            string          `json:"cohort,omitempty"`
	NamespaceSelector *LabelSelector  `json:"namespaceSelector"`
	ResourceGroups    []ResourceGroup `json:"resourceGroups"`
	QueueingStrategy  string          `json:"queueingStrategy,omitempty"`
	Preemption        *Preemption     `json:"preemption"`
}

// ResourceGroup is resources whose quota a ClusterQueue counts together, by flavor.
type ResourceGroup struct {
	Flavors []FlavorQuotas `json:"flavors"`
}

// FlavorQuotas is a ClusterQueue's quota in one flavor, by resource name.
type FlavorQuotas struct {
	Name      string                   `json:"name"`
	Resources map[string]ResourceQuota `json:"resources"`
}

// ResourceQuota is a ClusterQueue's quota of one resource in one flavor.
type ResourceQuota struct {
	NominalQuota   Quantity `json:"nominalQuota"`
	BorrowingLimit Quantity `json:"borrowingLimit,omitempty"`
	LendingLimit   Quantity `json:"lendingLimit,omitempty"`
	// Short is true when the quota was written as a bare quantity.
	Short bool `json:"-"`
}

// UnmarshalJSON takes a bare quantity as the nominal quota.
func (q *ResourceQuota) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		type plain ResourceQuota
		return json.Unmarshal(b, (*plain)(q))
	}
	*q = ResourceQuota{Short: true}
	return q.NominalQuota.UnmarshalJSON(b)
}

// Preemption is which admitted jobs a pending one may preempt.
type Preemption struct {
	WithinClusterQueue  string `json:"withinClusterQueue,omitempty"`
	ReclaimWithinCohort string `json:"reclaimWithinCohort,omitempty"`
}

// LabelSelector selects objects by their labels.
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one expression of a LabelSelector.
type LabelSelectorRequirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

// VolcanoScheduling are Volcano's cluster-scoped objects, by name.
type VolcanoScheduling struct {
	Queues map[string]VolcanoQueue `json:"queues"`
}

// VolcanoQueue is a Volcano Queue.
type VolcanoQueue struct {
	Weight      *int64              `json:"weight,omitempty"`
	Capability  map[string]Quantity `json:"capability,omitempty"`
	Reclaimable *bool               `json:"reclaimable,omitempty"`
}

// Queue is a tenant's Kueue LocalQueue.
type Queue struct {
	ClusterQueue string `json:"clusterQueue"`
}

// Declared is a scheduling object and the path of its declaration.
type Declared[T any] struct {
	Path  string
	Value T
}

// ClusterScheduling is the scheduling of one cluster: the platform's objects, with the
// cluster's own in place of those of the same kind and name, each with where it is
// declared.
type ClusterScheduling struct {
	ResourceFlavors map[string]Declared[ResourceFlavor]
	Cohorts         map[string]Declared[Cohort]
	ClusterQueues   map[string]Declared[ClusterQueue]
	VolcanoQueues   map[string]Declared[VolcanoQueue]
}

// SchedulingOf returns the scheduling objects of cluster c, whatever its scheduler.
func (p *Platform) SchedulingOf(c Cluster) ClusterScheduling {
	s := ClusterScheduling{
		ResourceFlavors: map[string]Declared[ResourceFlavor]{},
		Cohorts:         map[string]Declared[Cohort]{},
		ClusterQueues:   map[string]Declared[ClusterQueue]{},
		VolcanoQueues:   map[string]Declared[VolcanoQueue]{},
	}
	s.add("scheduling", p.Scheduling)
	s.add(Path("clusters", c.Name, "scheduling"), c.Scheduling)
	return s
}

func (s *ClusterScheduling) add(at string, sc *Scheduling) {
	if sc == nil {
		return
	}
	if k := sc.Kueue; k != nil {
		addDeclared(s.ResourceFlavors, at+".kueue", "resourceFlavors", k.ResourceFlavors)
		addDeclared(s.Cohorts, at+".kueue", "cohorts", k.Cohorts)
		addDeclared(s.ClusterQueues, at+".kueue", "clusterQueues", k.ClusterQueues)
	}
	if v := sc.Volcano; v != nil {
		addDeclared(s.VolcanoQueues, at+".volcano", "queues", v.Queues)
	}
}

func addDeclared[T any](into map[string]Declared[T], at, field string, from map[string]T) {
	for name, v := range maps.All(from) {
		into[name] = Declared[T]{Path: at + "." + Path(field, name), Value: v}
	}
}
