package check

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlc-gitops/mlc/compiler/diag"
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

// quota is a tenant's parsed quota and what its declarations request of it.
type quota struct {
	cpu, memory, storage *resource.Quantity
	gpu, claims, nbs     *int64
	pods                 *int64
	// counted are the declarations charged to the quota, in the order they were.
	counted []charged
}

// charged is what one declaration requests of the quota.
type charged struct {
	// decl is the declaration's path (notebooks.dev), what a description of it
	// ("notebook", "endpoint at its most replicas").
	decl, what string
	u          usage
	// at maps a quota field to the path of what requests it (.resources.gpu).
	at func(field string) string
}

// bounded reports whether the quota limits compute, so every workload must have a
// worst case.
func (q *quota) bounded() bool { return q.cpu != nil || q.memory != nil || q.gpu != nil }

func (r *reporter) newQuota(q *model.Quota) *quota {
	out := &quota{}
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

// charge counts a declaration's usage toward the tenant's quota; overruns reports what
// goes over once every declaration is counted. what describes the declaration at decl
// for the messages; at maps a quota field to the path of what requests it.
func (r *reporter) charge(q *quota, decl, what string, u usage, at func(field string) string) {
	q.counted = append(q.counted, charged{decl: decl, what: what, u: u, at: at})
}

// quotaField is one field of a tenant's quota, as the checks compare and name it.
type quotaField struct {
	field string
	// limit is the quota's, nil when it sets none; amount what a usage requests of it.
	limit  func(q *quota) *resource.Quantity
	amount func(u usage) resource.Quantity
	// noun says what an amount is counted in; sum what the declarations do with their
	// total ("request %s in all"), one what a declaration does with its amount
	// ("requests %s", with the amount as noun says it).
	noun func(n resource.Quantity) string
	sum  string
	one  func(amount string) string
}

func verb(v string) func(string) string {
	return func(amount string) string { return v + " " + amount }
}

func countLimit(n *int64) *resource.Quantity {
	if n == nil {
		return nil
	}
	q := count(*n)
	return &q
}

func count(n int64) resource.Quantity {
	var q resource.Quantity
	q.Set(n)
	q.Format = resource.DecimalSI
	return q
}

// plural names n things: "1 GPU", "3 GPUs".
func plural(singular string) func(n resource.Quantity) string {
	return func(n resource.Quantity) string {
		if n.Value() == 1 {
			return "1 " + singular
		}
		return n.String() + " " + singular + "s"
	}
}

func suffixed(noun string) func(n resource.Quantity) string {
	return func(n resource.Quantity) string { return n.String() + " " + noun }
}

var quotaFields = []quotaField{
	{"cpu", func(q *quota) *resource.Quantity { return q.cpu }, func(u usage) resource.Quantity { return u.cpu },
		suffixed("CPU"), "the tenant's declarations request %s in all", verb("requests")},
	{"memory", func(q *quota) *resource.Quantity { return q.memory }, func(u usage) resource.Quantity { return u.memory },
		suffixed("memory"), "the tenant's declarations request %s in all", verb("requests")},
	{"storage", func(q *quota) *resource.Quantity { return q.storage }, func(u usage) resource.Quantity { return u.storage },
		suffixed("of storage"), "the tenant's declarations request %s in all", verb("requests")},
	{"gpu", func(q *quota) *resource.Quantity { return countLimit(q.gpu) }, func(u usage) resource.Quantity { return count(u.gpu) },
		plural("GPU"), "the tenant's declarations request %s in all", verb("requests")},
	{"persistentVolumeClaims", func(q *quota) *resource.Quantity { return countLimit(q.claims) }, func(u usage) resource.Quantity { return count(u.claims) },
		plural("volume claim"), "the tenant's declarations need %s in all", verb("needs")},
	{"pods", func(q *quota) *resource.Quantity { return countLimit(q.pods) }, func(u usage) resource.Quantity { return count(u.pods) },
		plural("pod"), "the tenant's declarations run up to %s in all", verb("runs up to")},
	{"notebooks", func(q *quota) *resource.Quantity { return countLimit(q.nbs) }, func(u usage) resource.Quantity { return count(u.notebooks) },
		plural("notebook"), "the tenant declares %s", func(string) string { return "is one" }},
}

// maxNamed is how many of the declarations counted toward an exceeded quota its message
// names; its notes point at every one.
const maxNamed = 5

// overruns reports each quota field the tenant's declarations request more of than the
// quota allows. No declaration is to blame for a sum more than another, so the sum is
// reported at the quota's field, naming what was counted, with a note at each
// declaration counted (the largest first): in a pull request, the one added shows it.
// A declaration that alone exceeds the quota is reported at its own line instead.
func (r *reporter) overruns(q *quota) {
	for _, f := range quotaFields {
		limit := f.limit(q)
		if limit == nil || limit.Sign() <= 0 { // a quota of zero is reported as such
			continue
		}
		var total resource.Quantity
		alone := false
		for _, c := range q.counted {
			n := f.amount(c.u)
			total.Add(n)
			if n.Cmp(*limit) > 0 {
				alone = true
				r.errorf(c.at(f.field), "this %s alone %s, more than the tenant's whole quota of %s (tenant.quota.%s)",
					c.what, f.one(f.noun(n)), limit.String(), f.field)
			}
		}
		if alone || total.Cmp(*limit) <= 0 {
			continue
		}
		var counted []charged
		for _, c := range q.counted {
			if n := f.amount(c.u); n.Sign() != 0 {
				counted = append(counted, c)
			}
		}
		r.overrun(f, limit, total, counted)
	}
}

// overrun reports the declarations counted toward a quota field that together exceed it.
func (r *reporter) overrun(f quotaField, limit *resource.Quantity, total resource.Quantity, counted []charged) {
	// The largest first; among equals, in the order they were counted.
	slices.SortStableFunc(counted, func(a, b charged) int {
		x, y := f.amount(a.u), f.amount(b.u)
		return y.Cmp(x)
	})
	var named []string
	for _, c := range counted[:min(len(counted), maxNamed)] {
		if f.field == "notebooks" { // one each
			named = append(named, c.decl)
			continue
		}
		named = append(named, c.decl+" "+f.noun(f.amount(c.u)))
	}
	list := strings.Join(named, ", ")
	if more := len(counted) - len(named); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	path := "tenant.quota." + f.field
	d := diag.Diagnostic{
		Severity: diag.Error, Pos: r.locate(path), Path: path,
		Message: fmt.Sprintf(f.sum+", more than its quota of %s; counted: %s", f.noun(total), limit.String(), list),
	}
	for _, c := range counted {
		at := c.at(f.field)
		d.Notes = append(d.Notes, diag.Note{Pos: r.locate(at), Path: at,
			Message: fmt.Sprintf("this %s %s of the %s counted toward %s", c.what, f.one(f.noun(f.amount(c.u))), total.String(), path)})
	}
	r.diags = append(r.diags, d)
}
