package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// scheduling checks the platform's scheduling objects: each where it is declared, then
// what a ClusterQueue names (flavors, cohort) on every cluster that gets it.
func (r *reporter) scheduling(p *model.Platform) {
	r.schedulingDeclared("scheduling", p.Scheduling)
	for _, name := range slices.Sorted(maps.Keys(p.Clusters)) {
		r.schedulingDeclared(model.Path("clusters", name, "scheduling"), p.Clusters[name].Scheduling)
	}
	byCluster := clusterProblems{}
	for _, name := range slices.Sorted(maps.Keys(p.Clusters)) {
		c := p.Clusters[name]
		if p.TrainingTarget(c).Scheduler != model.SchedulerKueue {
			continue
		}
		s := p.SchedulingOf(c)
		for _, cohort := range slices.Sorted(maps.Keys(s.Cohorts)) {
			d := s.Cohorts[cohort]
			if parent := d.Value.Parent; parent != "" {
				if _, ok := s.Cohorts[parent]; !ok {
					byCluster.add(d.Path+".parent", name, fmt.Sprintf("no cohort %q in the cluster's scheduling.kueue.cohorts (have %s)", parent, keyList(s.Cohorts)))
				}
			}
		}
		for _, cq := range slices.Sorted(maps.Keys(s.ClusterQueues)) {
			d := s.ClusterQueues[cq]
			if co := d.Value.Cohort; co != "" {
				if _, ok := s.Cohorts[co]; !ok {
					byCluster.add(d.Path+".cohort", name, fmt.Sprintf("no cohort %q in the cluster's scheduling.kueue.cohorts (have %s)", co, keyList(s.Cohorts)))
				}
			}
			for i, g := range d.Value.ResourceGroups {
				for j, f := range g.Flavors {
					if _, ok := s.ResourceFlavors[f.Name]; !ok {
						byCluster.add(fmt.Sprintf("%s.resourceGroups[%d].flavors[%d].name", d.Path, i, j), name,
							fmt.Sprintf("no ResourceFlavor %q in the cluster's scheduling.kueue.resourceFlavors (have %s)", f.Name, keyList(s.ResourceFlavors)))
					}
				}
			}
		}
	}
	byCluster.report(r)
}

// schedulingDeclared checks the scheduling objects declared at one place, by themselves.
func (r *reporter) schedulingDeclared(at string, s *model.Scheduling) {
	if s == nil {
		return
	}
	if k := s.Kueue; k != nil {
		for _, name := range slices.Sorted(maps.Keys(k.ClusterQueues)) {
			r.clusterQueue(at+".kueue."+model.Path("clusterQueues", name), k.ClusterQueues[name])
		}
	}
	if v := s.Volcano; v != nil {
		for _, name := range slices.Sorted(maps.Keys(v.Queues)) {
			path := at + ".volcano." + model.Path("queues", name)
			for _, res := range slices.Sorted(maps.Keys(v.Queues[name].Capability)) {
				rpath := path + "." + model.Path("capability", res)
				if r.resourceName(rpath, res) {
					r.nonNegative(rpath, string(v.Queues[name].Capability[res]))
				}
			}
		}
	}
}

// clusterQueue checks a ClusterQueue's resource groups as Kueue's admission would:
// every flavor of a group sets the same resources, no resource or flavor is in two
// groups, quotas are quantities, and limits need a cohort.
func (r *reporter) clusterQueue(path string, q model.ClusterQueue) {
	seenResource := map[string]int{}
	seenFlavor := map[string]int{}
	for i, g := range q.ResourceGroups {
		gpath := fmt.Sprintf("%s.resourceGroups[%d]", path, i)
		covered := lower.CoveredResources(g)
		for _, res := range covered {
			if first, dup := seenResource[res]; dup && first != i {
				r.errorf(gpath, "%s is in resource groups %d and %d: Kueue counts a resource in one group only", res, first, i)
			}
			seenResource[res] = i
		}
		for j, f := range g.Flavors {
			fpath := fmt.Sprintf("%s.flavors[%d]", gpath, j)
			if first, dup := seenFlavor[f.Name]; dup {
				r.errorf(fpath+".name", "flavor %s is already in resource group %d: a ClusterQueue names each flavor once", f.Name, first)
			}
			seenFlavor[f.Name] = i
			if missing := without(covered, f.Resources); len(missing) > 0 {
				r.errorf(fpath+".resources", "flavor %s sets no quota for %s, which other flavors of the group set: every flavor of a resource group sets the same resources (a quota of 0 is one)",
					f.Name, strings.Join(missing, ", "))
			}
			for _, res := range slices.Sorted(maps.Keys(f.Resources)) {
				r.resourceQuota(fpath+"."+model.Path("resources", res), res, f.Resources[res], q.Cohort != "")
			}
		}
	}
}

// resourceQuota checks one quota of a ClusterQueue's flavor.
func (r *reporter) resourceQuota(path, res string, rq model.ResourceQuota, inCohort bool) {
	if !r.resourceName(path, res) {
		return
	}
	at := func(field string) string {
		if rq.Short {
			return path
		}
		return path + "." + field
	}
	nominal, ok := r.nonNegative(at("nominalQuota"), string(rq.NominalQuota))
	for _, l := range []struct {
		field string
		v     model.Quantity
	}{{"borrowingLimit", rq.BorrowingLimit}, {"lendingLimit", rq.LendingLimit}} {
		if l.v == "" {
			continue
		}
		if !inCohort {
			r.errorf(at(l.field), "a %s needs a cohort to borrow from and lend to: set the ClusterQueue's cohort, or remove it", l.field)
			continue
		}
		v, vok := r.nonNegative(at(l.field), string(l.v))
		if vok && ok && l.field == "lendingLimit" && v.Cmp(nominal) > 0 {
			r.errorf(at(l.field), "lendingLimit %s is more than the nominal quota %s: a queue lends at most what it has", v.String(), nominal.String())
		}
	}
}

// resourceName reports a name that is not a Kubernetes resource name.
func (r *reporter) resourceName(path, name string) bool {
	if errs := validation.IsQualifiedName(name); len(errs) > 0 {
		r.errorf(path, "%q is not a resource name (cpu, memory, nvidia.com/gpu, ...): %s", name, strings.Join(errs, "; "))
		return false
	}
	return true
}

// nonNegative parses a quantity that may be zero; ok is false when it was reported.
func (r *reporter) nonNegative(path, s string) (resource.Quantity, bool) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		r.errorf(path, "%q is not a Kubernetes quantity (like 4, 500m or 16Gi)", s)
		return q, false
	}
	if q.Sign() < 0 {
		r.errorf(path, "must not be negative (got %s)", s)
		return q, false
	}
	return q, true
}

// without lists the names of all that m lacks.
func without[V any](all []string, m map[string]V) []string {
	var out []string
	for _, n := range all {
		if _, ok := m[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

// clusterProblems collects problems found cluster by cluster, so that one found on
// several clusters is reported once, naming them all.
type clusterProblems map[[2]string][]string // {path, message} -> clusters

func (c clusterProblems) add(path, cluster, message string) {
	k := [2]string{path, message}
	if !slices.Contains(c[k], cluster) {
		c[k] = append(c[k], cluster)
	}
}

func (c clusterProblems) report(r *reporter) {
	keys := slices.SortedFunc(maps.Keys(c), func(a, b [2]string) int {
		if n := strings.Compare(a[0], b[0]); n != 0 {
			return n
		}
		return strings.Compare(a[1], b[1])
	})
	for _, k := range keys {
		clusters := c[k]
		slices.Sort(clusters)
		r.errorf(k[0], "%s: %s", clusterWord(clusters), k[1])
	}
}

// clusterWord names clusters for a message: "cluster a", "clusters a, b".
func clusterWord(clusters []string) string {
	if len(clusters) == 1 {
		return "cluster " + clusters[0]
	}
	return "clusters " + strings.Join(clusters, ", ")
}

// queues checks the tenant's LocalQueues: every cluster that runs the tenant must
// schedule with Kueue and have the ClusterQueue each one names.
func (r *reporter) queues(p *model.Platform, d *model.Declarations) {
	problems := clusterProblems{}
	for _, name := range slices.Sorted(maps.Keys(d.Queues)) {
		path := model.Path("queues", name)
		q := d.Queues[name]
		for _, c := range r.clusters {
			if s := p.TrainingTarget(c).Scheduler; s != model.SchedulerKueue {
				problems.add(path, c.Name, fmt.Sprintf("runs this tenant and schedules training with %s, not Kueue: a LocalQueue has nothing to admit its jobs there (name a Volcano queue in the jobs' queue field instead)", s))
				continue
			}
			cq, ok := p.SchedulingOf(c).ClusterQueues[q.ClusterQueue]
			if !ok {
				problems.add(path+".clusterQueue", c.Name, fmt.Sprintf("runs this tenant and has no ClusterQueue %q (its scheduling.kueue.clusterQueues: %s)", q.ClusterQueue, keyList(p.SchedulingOf(c).ClusterQueues)))
				continue
			}
			if excludesNamespace(cq.Value.NamespaceSelector, d.Tenant.Name) {
				problems.add(path+".clusterQueue", c.Name, fmt.Sprintf("ClusterQueue %s's namespaceSelector (%s) leaves out namespace %s by its name: Kueue admits nothing from this queue", q.ClusterQueue, cq.Path, d.Tenant.Name))
			}
		}
	}
	problems.report(r)
}

// namespaceNameLabel is the label the API server gives every namespace: its name.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// excludesNamespace reports whether a ClusterQueue's namespace selector leaves a
// namespace out by its name label, the one label mlc knows every namespace has.
func excludesNamespace(s *model.LabelSelector, ns string) bool {
	if s == nil {
		return false
	}
	if v, ok := s.MatchLabels[namespaceNameLabel]; ok && v != ns {
		return true
	}
	for _, e := range s.MatchExpressions {
		if e.Key != namespaceNameLabel {
			continue
		}
		in := slices.Contains(e.Values, ns)
		if (e.Operator == "In" && !in) || (e.Operator == "NotIn" && in) || e.Operator == "DoesNotExist" {
			return true
		}
	}
	return false
}

// jobQueue checks the queue a job or trial names, at path: on each cluster that runs
// the tenant, a LocalQueue the tenant declares (Kueue) or a Volcano Queue the cluster
// has.
func (r *reporter) jobQueue(p *model.Platform, d *model.Declarations, path, queue string, problems clusterProblems) {
	for _, c := range r.clusters {
		switch p.TrainingTarget(c).Scheduler {
		case model.SchedulerKueue:
			if _, ok := d.Queues[queue]; !ok {
				problems.add(path, c.Name, fmt.Sprintf("schedules training with Kueue, and the tenant declares no queue %q (its queues: %s): declare it in queues, with the ClusterQueue that admits it", queue, keyList(d.Queues)))
			}
		case model.SchedulerVolcano:
			if _, ok := p.SchedulingOf(c).VolcanoQueues[queue]; !ok {
				problems.add(path, c.Name, fmt.Sprintf("schedules training with Volcano and has no Queue %q (its scheduling.volcano.queues: %s)", queue, keyList(p.SchedulingOf(c).VolcanoQueues)))
			}
		}
	}
}
