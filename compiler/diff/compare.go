package diff

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// Snapshot is what one revision compiles to: cluster name → tenant name → the tenant's
// objects in that cluster. A nil Snapshot is a revision with no objects.
type Snapshot map[string]map[string][]manifest.Object

// ComponentPrefix starts the name under which a Snapshot holds the objects of a unit of
// the Kubeflow a cluster installs, in place of a tenant's: "kubeflow:katib".
const ComponentPrefix = "kubeflow:"

// FromResult takes the objects of a compilation: per cluster, those of every tenant, the
// cluster's own (its Flux bootstrap, its units' Kustomizations and its scheduling objects) under the tenant name
// "", and those of each unit of its Kubeflow under ComponentPrefix and the unit's name.
func FromResult(res *compiler.Result) Snapshot {
	s := Snapshot{}
	for _, c := range res.Clusters {
		tenants := map[string][]manifest.Object{}
		if len(c.Bootstrap) > 0 {
			tenants[""] = slices.Clone(c.Bootstrap)
		}
		if in := c.Kubeflow; in != nil {
			tenants[""] = append(tenants[""], in.Flux...)
			for _, u := range in.Units {
				tenants[ComponentPrefix+u.Name] = slices.Clone(u.Objects)
			}
		}
		if len(c.Scheduling) > 0 {
			tenants[""] = append(tenants[""], c.Scheduling...)
		}
		for _, t := range c.Tenants {
			tenants[t.Name] = slices.Concat(t.Platform, t.Workloads)
		}
		s[c.Name] = tenants
	}
	return s
}

// Select keeps the clusters and tenants named, all when a list is empty. A cluster's own
// objects (tenant "", and its Kubeflow's units) go with the cluster.
func (s Snapshot) Select(clusters, tenants []string) Snapshot {
	out := Snapshot{}
	for c, ts := range s {
		if len(clusters) > 0 && !slices.Contains(clusters, c) {
			continue
		}
		kept := map[string][]manifest.Object{}
		for t, objs := range ts {
			if t == "" || strings.HasPrefix(t, ComponentPrefix) || len(tenants) == 0 || slices.Contains(tenants, t) {
				kept[t] = objs
			}
		}
		out[c] = kept
	}
	return out
}

// side is one revision's objects in one cluster, by identity.
type side map[string]sideObject

type sideObject struct {
	tenant string
	obj    manifest.Object
}

func index(tenants map[string][]manifest.Object) side {
	s := side{}
	for _, t := range slices.Sorted(maps.Keys(tenants)) {
		for _, o := range tenants[t] {
			s[o.ID()] = sideObject{tenant: t, obj: o}
		}
	}
	return s
}

// plain returns the object's content as plain values (see decode).
func plain(o manifest.Object) (map[string]any, error) {
	tree, err := o.Tree()
	if err != nil {
		return nil, err
	}
	b, err := canonical(tree)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.Kind(), o.Name(), err)
	}
	return decode(b)
}

// same tells whether two objects have the same content: by their YAML when both carry
// it (the encoding is canonical), else by their plain values.
func same(a, b manifest.Object) (bool, error) {
	if a.Encoded != nil && b.Encoded != nil {
		return bytes.Equal(a.Encoded, b.Encoded), nil
	}
	pa, err := plain(a)
	if err != nil {
		return false, err
	}
	pb, err := plain(b)
	if err != nil {
		return false, err
	}
	ja, _ := canonical(pa)
	jb, _ := canonical(pb)
	return bytes.Equal(ja, jb), nil
}

// Compare finds the objects that differ between base and head, per cluster, by identity
// (API group, kind, namespace, name); for a changed object, the fields that differ. It
// fills every part of the Report but the revisions and Dir. The same input always gives
// the same Report.
func Compare(base, head Snapshot) (*Report, error) {
	r := &Report{Schema: Schema, Clusters: []ClusterCounts{}, Summary: []Row{}, Callouts: []Callout{}, Changes: []Change{}}
	clusters := slices.Sorted(maps.Keys(base))
	for c := range head {
		if _, ok := base[c]; !ok {
			clusters = append(clusters, c)
		}
	}
	slices.Sort(clusters)
	for _, cluster := range clusters {
		changes, err := compareCluster(cluster, base[cluster], head[cluster])
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", cluster, err)
		}
		r.Changes = append(r.Changes, changes...)
	}
	r.count()
	r.Callouts = callouts(Rules, r.Changes)
	return r, nil
}

func compareCluster(cluster string, base, head map[string][]manifest.Object) ([]Change, error) {
	b, h := index(base), index(head)
	var changes []Change
	var order []manifest.Object // each change's object, to sort by
	add := func(c Change, o manifest.Object) {
		changes = append(changes, c)
		order = append(order, o)
	}
	for id, ho := range h {
		bo, inBase := b[id]
		if inBase {
			if eq, err := same(bo.obj, ho.obj); err != nil {
				return nil, err
			} else if eq {
				continue
			}
		}
		c := Change{Cluster: cluster, Tenant: ho.tenant, ObjectRef: ref(ho.obj)}
		after, err := plain(ho.obj)
		if err != nil {
			return nil, err
		}
		c.after = after
		if !inBase {
			c.Op, c.Object = Added, after
		} else {
			before, err := plain(bo.obj)
			if err != nil {
				return nil, err
			}
			c.Op, c.before = Changed, before
			c.Fields = compareValues(nil, before, after, nil)
			if isSecret(ho.obj) {
				c.Fields, c.before = secretFields(before, after), secretView(before)
			}
		}
		if isSecret(ho.obj) {
			c.after = secretView(after)
			if c.Op == Added {
				c.Object = c.after
			}
		}
		add(c, ho.obj)
	}
	for id, bo := range b {
		if _, inHead := h[id]; inHead {
			continue
		}
		before, err := plain(bo.obj)
		if err != nil {
			return nil, err
		}
		if isSecret(bo.obj) {
			before = secretView(before)
		}
		add(Change{Cluster: cluster, Tenant: bo.tenant, Op: Removed, ObjectRef: ref(bo.obj), Object: before, before: before}, bo.obj)
	}
	idx := make([]int, len(changes))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		return cmp.Or(cmp.Compare(changes[i].Tenant, changes[j].Tenant), manifest.Compare(order[i], order[j]))
	})
	sorted := make([]Change, len(changes))
	for i, j := range idx {
		sorted[i] = changes[j]
	}
	pairVersions(sorted)
	return sorted, nil
}

func ref(o manifest.Object) ObjectRef {
	return ObjectRef{APIVersion: o.APIVersion(), Group: o.Group(), Kind: o.Kind(), Namespace: o.Namespace(), Name: o.Name()}
}

// count fills Totals, Clusters and Summary from Changes.
func (r *Report) count() {
	r.Totals = Counts{}
	r.Clusters, r.Summary = []ClusterCounts{}, []Row{}
	rows := map[[3]string]*Counts{}
	for _, c := range r.Changes {
		r.Totals.add(c.Op)
		if n := len(r.Clusters); n == 0 || r.Clusters[n-1].Name != c.Cluster {
			r.Clusters = append(r.Clusters, ClusterCounts{Name: c.Cluster})
		}
		r.Clusters[len(r.Clusters)-1].add(c.Op)
		k := [3]string{c.Cluster, c.Tenant, c.Kind}
		if rows[k] == nil {
			rows[k] = &Counts{}
		}
		rows[k].add(c.Op)
	}
	keys := slices.SortedFunc(maps.Keys(rows), func(a, b [3]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]), cmp.Compare(a[2], b[2]))
	})
	for _, k := range keys {
		r.Summary = append(r.Summary, Row{Cluster: k[0], Tenant: k[1], Kind: k[2], Counts: *rows[k]})
	}
}
