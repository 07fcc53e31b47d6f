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
	// what describes the declaration ("notebook", "endpoint at its most replicas"),
	// label is how an itemized sum names it ("notebook dev").
	what, label string
	u           usage
	// basis, when set, says how u was counted: so many units of the same size.
	basis *basis
	// at maps a quota field to the path of what requests it (.resources.gpu).
	at func(field string) string
	// queue is the queue a job or experiment is submitted through, at queuePath: it
	// counts against that queue, not the namespace's quota. workload is what one of its
	// workloads (the job, or one trial) requests of the queue, gpuResource the resource
	// its GPUs are.
	queue, queuePath, gpuResource string
	workload                      usage
}

// basis is how a declaration's usage was counted: n units of per each (replicas at
// replicas.max, nodes, trials at once), twice over when doubled (a canary), plus extra.
type basis struct {
	n       int64
	unit    string
	per     usage
	doubled bool
	extra   usage
}

// describe says how amount of a field was counted: "= 3 replicas (replicas.max) x
// 8Gi, x 2 during canary"; empty when the basis does not give that amount.
func (b *basis) describe(f quotaField, amount resource.Quantity) string {
	if b == nil {
		return ""
	}
	per, extra := f.amount(b.per), f.amount(b.extra)
	n := b.n
	if b.doubled {
		n *= 2
	}
	var check resource.Quantity
	check.SetMilli(per.MilliValue() * n)
	check.Add(extra)
	if check.Cmp(amount) != 0 || per.Sign() == 0 || (b.n == 1 && !b.doubled && extra.Sign() == 0) {
		return ""
	}
	unit := b.unit
	if b.n == 1 { // "1 replica (replicas.max)", "1 trial at once"
		first, rest, _ := strings.Cut(unit, " ")
		unit = strings.TrimSpace(strings.TrimSuffix(first, "s") + " " + rest)
	}
	s := fmt.Sprintf(" = %d %s x %s", b.n, unit, per.String())
	if b.doubled {
		s += ", x 2 during canary"
	}
	if extra.Sign() != 0 {
		s += " + " + extra.String() + " for its transformer and explainer"
	}
	return s
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
// goes over once every declaration is counted.
func (r *reporter) charge(q *quota, c charged) {
	q.counted = append(q.counted, c)
}

// quotaField is one field of a tenant's quota, as the checks compare and name it.
type quotaField struct {
	field string
	// limit is the quota's, nil when it sets none; amount what a usage requests of it.
	limit  func(q *quota) *resource.Quantity
	amount func(u usage) resource.Quantity
	// noun says what an amount is counted in; one what a declaration does with its
	// amount ("requests %s", with the amount as noun says it).
	noun func(n resource.Quantity) string
	one  func(amount string) string
	// total says what the declarations do with the sum, in an itemized message
	// ("requested", "run at most").
	total string
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
		suffixed("CPU"), verb("requests"), "requested"},
	{"memory", func(q *quota) *resource.Quantity { return q.memory }, func(u usage) resource.Quantity { return u.memory },
		suffixed("memory"), verb("requests"), "requested"},
	{"storage", func(q *quota) *resource.Quantity { return q.storage }, func(u usage) resource.Quantity { return u.storage },
		suffixed("of storage"), verb("requests"), "requested"},
	{"gpu", func(q *quota) *resource.Quantity { return countLimit(q.gpu) }, func(u usage) resource.Quantity { return count(u.gpu) },
		plural("GPU"), verb("requests"), "requested"},
	{"persistentVolumeClaims", func(q *quota) *resource.Quantity { return countLimit(q.claims) }, func(u usage) resource.Quantity { return count(u.claims) },
		plural("volume claim"), verb("needs"), "needed"},
	{"pods", func(q *quota) *resource.Quantity { return countLimit(q.pods) }, func(u usage) resource.Quantity { return count(u.pods) },
		plural("pod"), verb("runs up to"), "run at most"},
	{"notebooks", func(q *quota) *resource.Quantity { return countLimit(q.nbs) }, func(u usage) resource.Quantity { return count(u.notebooks) },
		plural("notebook"), func(string) string { return "is one" }, "declared"},
}

// maxNamed is how many of the declarations counted toward an exceeded quota its message
// itemizes; its notes point at every one.
const maxNamed = 12

// overruns reports each quota field the tenant's declarations request more of than the
// quota allows. No declaration is to blame for a sum more than another, so the sum is
// reported at the quota's field, itemizing what was counted, with a note at each
// declaration counted (the largest first): in a pull request, the one added shows it.
// A declaration that alone exceeds the quota is reported at its own line instead. Jobs
// and experiments submitted through a queue are admitted by their queue's quota, not
// counted in the sum; their pods still run in the namespace, so each must fit alone.
func (r *reporter) overruns(q *quota) {
	for _, f := range quotaFields {
		limit := f.limit(q)
		if limit == nil || limit.Sign() <= 0 { // a quota of zero is reported as such
			continue
		}
		var total resource.Quantity
		alone := false
		var counted, queued []charged
		for _, c := range q.counted {
			n := f.amount(c.u)
			if n.Cmp(*limit) > 0 {
				alone = true
				r.errorf(c.at(f.field), "this %s alone %s%s, more than the tenant's whole quota of %s (tenant.quota.%s)",
					c.what, f.one(f.noun(n)), parenthesized(c.basis.describe(f, n)), limit.String(), f.field)
			}
			if n.Sign() == 0 {
				continue
			}
			if c.queue != "" {
				queued = append(queued, c)
				continue
			}
			total.Add(n)
			counted = append(counted, c)
		}
		if alone || total.Cmp(*limit) <= 0 {
			continue
		}
		r.overrun(f, limit, total, counted, queued)
	}
}

// parenthesized turns a basis's " = ..." into " (...)" for a sentence.
func parenthesized(s string) string {
	if s == "" {
		return ""
	}
	return " (" + strings.TrimPrefix(s, " = ") + ")"
}

// overrun reports the declarations counted toward a quota field that together exceed
// it, itemized: each with its amount, how it was counted and where it is declared.
func (r *reporter) overrun(f quotaField, limit *resource.Quantity, total resource.Quantity, counted, queued []charged) {
	// The largest first; among equals, in the order they were counted.
	slices.SortStableFunc(counted, func(a, b charged) int {
		x, y := f.amount(a.u), f.amount(b.u)
		return y.Cmp(x)
	})
	var items []string
	for _, c := range counted[:min(len(counted), maxNamed)] {
		items = append(items, r.item(f, c))
	}
	list := strings.Join(items, ", ")
	if more := len(counted) - len(items); more > 0 {
		list += fmt.Sprintf(" and %d more (see the notes)", more)
	}
	path := "tenant.quota." + f.field
	msg := fmt.Sprintf("%s: %s %s in all, more than the tenant's quota of %s (%s): %s",
		f.field, total.String(), f.total, limit.String(), path, list)
	if len(queued) > 0 {
		var names []string
		for _, c := range queued {
			names = append(names, c.label+" (queue "+c.queue+")")
		}
		msg += "; not counted, as their queues admit them: " + strings.Join(names, ", ")
	}
	d := diag.Diagnostic{Severity: diag.Error, Pos: r.locate(path), Path: path, Message: msg}
	for _, c := range counted {
		at := c.at(f.field)
		d.Notes = append(d.Notes, diag.Note{Pos: r.locate(at), Path: at,
			Message: fmt.Sprintf("this %s %s of the %s counted toward %s", c.what, f.one(f.noun(f.amount(c.u))), total.String(), path)})
	}
	r.diags = append(r.diags, d)
}

// item is one declaration of an itemized sum: "notebook dev 4Gi (tenants/a/nb.cue:3)",
// "endpoint resnet 48Gi = 3 replicas (replicas.max) x 8Gi, x 2 during canary (...)".
func (r *reporter) item(f quotaField, c charged) string {
	n := f.amount(c.u)
	s := c.label
	if f.field != "notebooks" { // one each
		s += " " + n.String() + c.basis.describe(f, n)
	}
	if pos := r.locate(c.at(f.field)); pos.File != "" {
		s += " (" + positionLine(pos) + ")"
	}
	return s
}

// positionLine is file:line of a position.
func positionLine(p diag.Position) string {
	p.Column = 0
	return p.String()
}
