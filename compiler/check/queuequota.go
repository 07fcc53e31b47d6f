package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// queued marks a job or experiment submitted through a queue, after checking that the
// queue exists on every cluster that runs the tenant: it counts against its queue, not
// the namespace's quota.
func (r *reporter) queued(p *model.Platform, d *model.Declarations, c *charged, queuePath string, job model.TrainingJob, problems clusterProblems) {
	if job.Queue == "" {
		return
	}
	r.jobQueue(p, d, queuePath, job.Queue, problems)
	c.queue, c.queuePath = job.Queue, queuePath
	c.gpuResource = "nvidia.com/gpu"
	if job.Resources != nil {
		if _, g, ok := p.GPUType(job.Resources.GPUType); ok {
			c.gpuResource = g.ResourceName()
		}
	}
}

// jobBasis is how a training job's usage was counted when all its pods are nodes of the
// same size: so many nodes times what one requests.
func jobBasis(job model.TrainingJob, u usage) *basis {
	most := int64(job.Workers)
	if job.Elastic != nil {
		most = max(most, int64(job.Elastic.MaxWorkers))
	}
	if u.pods != most {
		return nil // a launcher or parameter servers besides the nodes
	}
	return &basis{n: most, unit: "nodes", per: nodeRequests(job.Resources)}
}

// queueCapacities reports, cluster by cluster, a queued job or trial that asks its
// queue for more than the queue can ever give: Kueue never admits a workload larger
// than its ClusterQueue's quota (with what it may borrow), nor one that requests a
// resource the ClusterQueue sets no quota for; Volcano never runs one larger than its
// Queue's capability.
func (r *reporter) queueCapacities(p *model.Platform, q *quota) {
	problems := clusterProblems{}
	for _, c := range q.counted {
		if c.queue == "" {
			continue
		}
		requests := []struct {
			resource string
			amount   resource.Quantity
		}{{"cpu", c.workload.cpu}, {"memory", c.workload.memory}, {c.gpuResource, count(c.workload.gpu)}}
		for _, cl := range r.clusters {
			s := p.SchedulingOf(cl)
			switch p.TrainingTarget(cl).Scheduler {
			case model.SchedulerKueue:
				lq, ok := r.localQueue(c.queue)
				if !ok {
					continue // reported already
				}
				cq, ok := s.ClusterQueues[lq]
				if !ok {
					continue // reported at the queue
				}
				for _, req := range requests {
					if req.amount.Sign() == 0 {
						continue
					}
					capacity, covered, how := kueueCapacity(s, lq, cq.Value, req.resource)
					switch {
					case !covered:
						problems.add(c.queuePath, cl.Name, fmt.Sprintf("this %s requests %s %s, and ClusterQueue %s (of queue %s) sets no quota for %s: Kueue never admits it",
							c.what, req.amount.String(), req.resource, lq, c.queue, req.resource))
					case req.amount.Cmp(capacity) > 0:
						problems.add(c.queuePath, cl.Name, fmt.Sprintf("this %s requests %s %s%s, more than ClusterQueue %s (of queue %s) can ever admit: %s %s (%s): Kueue never admits it",
							c.what, req.amount.String(), req.resource, parenthesized(c.workloadBasis(req.resource)), lq, c.queue, capacity.String(), req.resource, how))
					}
				}
			case model.SchedulerVolcano:
				vq, ok := s.VolcanoQueues[c.queue]
				if !ok {
					continue // reported at the queue
				}
				for _, req := range requests {
					limit, set := vq.Value.Capability[req.resource]
					capacity, err := resource.ParseQuantity(string(limit))
					if !set || err != nil || req.amount.Cmp(capacity) <= 0 {
						continue
					}
					problems.add(c.queuePath, cl.Name, fmt.Sprintf("this %s requests %s %s, more than Volcano Queue %s's capability of %s: Volcano never runs it",
						c.what, req.amount.String(), req.resource, c.queue, capacity.String()))
				}
			}
		}
	}
	problems.report(r)
}

// workloadBasis says how one workload's request of a resource was counted, when the
// declaration is nodes of one size ("2 nodes x 1"); empty otherwise.
func (c charged) workloadBasis(res string) string {
	if c.basis == nil || c.basis.unit != "nodes" {
		return ""
	}
	for _, f := range quotaFields {
		if f.field == res || (f.field == "gpu" && res == c.gpuResource) {
			return c.basis.describe(f, f.amount(c.workload))
		}
	}
	return ""
}

// localQueue returns the ClusterQueue of the tenant's queue.
func (r *reporter) localQueue(name string) (string, bool) {
	q, ok := r.decls.Queues[name]
	return q.ClusterQueue, ok
}

// kueueCapacity is the most of a resource a ClusterQueue can ever admit one workload
// with: in each flavor of the group that covers it, its nominal quota and what it may
// borrow from the rest of its cohort (at most its borrowingLimit, and at most what the
// cohort's other ClusterQueues lend). how says it flavor by flavor.
func kueueCapacity(s model.ClusterScheduling, name string, q model.ClusterQueue, res string) (total resource.Quantity, covered bool, how string) {
	var parts []string
	for _, g := range q.ResourceGroups {
		for _, f := range g.Flavors {
			rq, ok := f.Resources[res]
			if !ok {
				continue
			}
			covered = true
			nominal, _ := resource.ParseQuantity(string(rq.NominalQuota))
			total.Add(nominal)
			part := fmt.Sprintf("%s in flavor %s", nominal.String(), f.Name)
			if q.Cohort != "" {
				borrow := lendable(s, name, q.Cohort, f.Name, res)
				if limit, err := resource.ParseQuantity(string(rq.BorrowingLimit)); rq.BorrowingLimit != "" && err == nil && limit.Cmp(borrow) < 0 {
					borrow = limit
				}
				if borrow.Sign() > 0 {
					total.Add(borrow)
					part += fmt.Sprintf(" + %s it may borrow in cohort %s", borrow.String(), q.Cohort)
				}
			}
			parts = append(parts, part)
		}
	}
	return total, covered, strings.Join(parts, ", ")
}

// lendable is what the other ClusterQueues of a cohort's tree lend of a resource in a
// flavor: each its lendingLimit, or its whole nominal quota.
func lendable(s model.ClusterScheduling, self, cohort, flavor, res string) resource.Quantity {
	root := cohortRoot(s, cohort)
	var out resource.Quantity
	for _, name := range slices.Sorted(maps.Keys(s.ClusterQueues)) {
		other := s.ClusterQueues[name].Value
		if name == self || other.Cohort == "" || cohortRoot(s, other.Cohort) != root {
			continue
		}
		for _, g := range other.ResourceGroups {
			for _, f := range g.Flavors {
				rq, ok := f.Resources[res]
				if !ok || f.Name != flavor {
					continue
				}
				v := rq.NominalQuota
				if rq.LendingLimit != "" {
					v = rq.LendingLimit
				}
				if n, err := resource.ParseQuantity(string(v)); err == nil {
					out.Add(n)
				}
			}
		}
	}
	return out
}

// cohortRoot follows a cohort's parents to the top of its tree.
func cohortRoot(s model.ClusterScheduling, cohort string) string {
	seen := map[string]bool{}
	for !seen[cohort] {
		seen[cohort] = true
		parent := s.Cohorts[cohort].Value.Parent
		if parent == "" {
			break
		}
		cohort = parent
	}
	return cohort
}
