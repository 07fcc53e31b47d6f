package check

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// usage is what a declaration requests of its tenant's quota, at its worst.
type usage struct {
	cpu, memory, storage resource.Quantity
	gpu, claims          int64
	notebooks            int64
	// pods counts the pods the declaration runs at its most.
	pods int64
}

func (u *usage) add(o usage) {
	u.cpu.Add(o.cpu)
	u.memory.Add(o.memory)
	u.storage.Add(o.storage)
	u.gpu += o.gpu
	u.claims += o.claims
	u.notebooks += o.notebooks
	u.pods += o.pods
}

// times multiplies a usage by a replica count.
func (u usage) times(n int64) usage {
	out := usage{gpu: u.gpu * n, claims: u.claims * n, notebooks: u.notebooks * n, pods: u.pods * n}
	out.cpu.SetMilli(u.cpu.MilliValue() * n)
	out.memory.Set(u.memory.Value() * n)
	out.memory.Format = resource.BinarySI
	out.storage = u.storage.DeepCopy()
	return out
}

// quota is a tenant's parsed quota and what its declarations request so far.
type quota struct {
	cpu, memory, storage *resource.Quantity
	gpu, claims, nbs     *int64
	pods                 *int64
	total                usage
	reported             map[string]bool
}

// bounded reports whether the quota limits compute, so every workload must have a
// worst case.
func (q *quota) bounded() bool { return q.cpu != nil || q.memory != nil || q.gpu != nil }

func (r *reporter) newQuota(q *model.Quota) *quota {
	out := &quota{reported: map[string]bool{}}
	if q == nil {
		return out
	}
	parse := func(field, s string) *resource.Quantity {
		if s == "" {
			return nil
		}
		v, ok := r.quantity("tenant.quota."+field, s)
		if !ok {
			return nil
		}
		return &v
	}
	out.cpu = parse("cpu", string(q.CPU))
	out.memory = parse("memory", q.Memory)
	out.storage = parse("storage", q.Storage)
	counts := []struct {
		field string
		n     *int64
	}{
		{"gpu", q.GPU}, {"pods", q.Pods}, {"persistentVolumeClaims", q.PersistentVolumeClaims},
		{"services", q.Services}, {"secrets", q.Secrets}, {"configMaps", q.ConfigMaps}, {"notebooks", q.Notebooks},
	}
	for _, c := range counts {
		if c.n != nil && *c.n <= 0 {
			r.errorf("tenant.quota."+c.field, "must be more than zero (got %d); leave it out for no limit", *c.n)
		}
	}
	out.gpu, out.claims, out.nbs, out.pods = q.GPU, q.PersistentVolumeClaims, q.Notebooks, q.Pods
	return out
}

// charge adds a declaration's usage to the tenant's total and reports the declaration
// when, with it, the total goes over the quota. Each quota field is reported once, at the
// first declaration (notebooks, then endpoints, by name) that goes over; at maps a quota
// field to the path to report.
func (r *reporter) charge(q *quota, what string, u usage, at func(field string) string) {
	q.total.add(u)
	t := q.total
	report := func(field, format string, args ...any) {
		if q.reported[field] {
			return
		}
		q.reported[field] = true
		r.errorf(at(field), "with this %s the tenant's declarations %s (tenant.quota.%s)", what, fmt.Sprintf(format, args...), field)
	}
	quantity := func(field, name string, got resource.Quantity, limit *resource.Quantity) {
		if limit != nil && got.Cmp(*limit) > 0 {
			report(field, "request %s %s in all, more than its quota of %s", got.String(), name, limit.String())
		}
	}
	quantity("cpu", "CPU", t.cpu, q.cpu)
	quantity("memory", "memory", t.memory, q.memory)
	quantity("storage", "of storage", t.storage, q.storage)
	if q.gpu != nil && t.gpu > *q.gpu {
		report("gpu", "request %d GPUs in all, more than its quota of %d", t.gpu, *q.gpu)
	}
	if q.claims != nil && t.claims > *q.claims {
		report("persistentVolumeClaims", "need %d volume claims, more than its quota of %d", t.claims, *q.claims)
	}
	if q.pods != nil && t.pods > *q.pods {
		report("pods", "run up to %d pods, more than its quota of %d", t.pods, *q.pods)
	}
	if q.nbs != nil && t.notebooks > *q.nbs {
		report("notebooks", "declare %d notebooks, more than its quota of %d", t.notebooks, *q.nbs)
	}
}
