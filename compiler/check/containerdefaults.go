package check

import (
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// defaultRequests is what the LimitRange mlc writes in a tenant namespace with a CPU or
// memory quota (lower.NeedsLimitRange) gives a container that requests nothing:
// defaults.containerDefaults, zero where it does not parse (Platform reports that).
func defaultRequests(p *model.Platform) usage {
	var u usage
	u.cpu, _ = resource.ParseQuantity(string(p.Defaults.ContainerDefaults.CPU))
	u.memory, _ = resource.ParseQuantity(p.Defaults.ContainerDefaults.Memory)
	return u
}

// containerDefaults checks the platform's defaults.containerDefaults: quantities, and
// default limits at least the default requests (the API server refuses a LimitRange
// whose default limit is under its default request).
func (r *reporter) containerDefaults(p *model.Platform) {
	const path = "defaults.containerDefaults"
	d := p.Defaults.ContainerDefaults
	cpu, cpuOK := r.quantity(path+".cpu", string(d.CPU))
	memory, memOK := r.quantity(path+".memory", d.Memory)
	limit := func(field, value string, request resource.Quantity, ok bool) {
		if value == "" {
			return
		}
		if l, lok := r.quantity(path+".limits."+field, value); lok && ok && l.Cmp(request) < 0 {
			r.errorf(path+".limits."+field, "the default limit (%s) is under the default request (%s.%s: %s): the API server refuses such a LimitRange", value, path, field, request.String())
		}
	}
	limit("cpu", string(d.Limits.CPU), cpu, cpuOK)
	limit("memory", d.Limits.Memory, memory, memOK)
}

// defaultsFit reports a tenant quota under the default requests: a pod whose containers
// request nothing, as Argo's and KFP's and Trainer's initializers do, could never start
// in the namespace.
func (r *reporter) defaultsFit(p *model.Platform, q *quota) {
	def := defaultRequests(p)
	check := func(field, noun string, limit *resource.Quantity, got resource.Quantity) {
		if limit != nil && limit.Sign() > 0 && got.Cmp(*limit) > 0 {
			r.errorf("tenant.quota."+field, "the quota of %s %s is under the %s that every container requesting none gets in the namespace (the platform's defaults.containerDefaults.%s): Argo's containers, pipeline steps and Trainer's initializers could never start", limit.String(), noun, got.String(), field)
		}
	}
	check("cpu", "CPU", q.cpu, def.cpu)
	check("memory", "memory", q.memory, def.memory)
}

// stepPod is what a pipeline step's pod requests of the quota: the step's container,
// with the namespace's default requests for those it leaves unset, and Argo's wait
// container beside it, which requests nothing and gets the defaults (an init
// container's requests are not added to those of the containers that follow it).
type stepPod struct {
	// step is the step's container's requests; pod adds the wait container's.
	step, pod usage
	// ownCPU and ownMemory tell whether the step sets them.
	ownCPU, ownMemory bool
}

func newStepPod(p *model.Platform, res *model.TrainingResources) stepPod {
	def := defaultRequests(p)
	s := stepPod{step: nodeRequests(res)}
	if res != nil {
		s.ownCPU, s.ownMemory = res.CPU != "", res.Memory != ""
	}
	if !s.ownCPU {
		s.step.cpu = def.cpu.DeepCopy()
	}
	if !s.ownMemory {
		s.step.memory = def.memory.DeepCopy()
	}
	s.pod = s.step
	s.pod.cpu = s.step.cpu.DeepCopy()
	s.pod.cpu.Add(def.cpu)
	s.pod.memory = s.step.memory.DeepCopy()
	s.pod.memory.Add(def.memory)
	return s
}
