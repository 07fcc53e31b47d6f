package check

import (
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// trainingVolumes checks that each volume has one source (trainingMounts checks where
// they are mounted).
func (r *reporter) trainingVolumes(path string, vols map[string]model.TrainingVolume) {
	for _, name := range slices.Sorted(maps.Keys(vols)) {
		v := vols[name]
		vpath := path + "." + model.Path(name)
		r.dnsLabel(vpath, name, "volume name", 63)
		sources := 0
		for _, set := range []bool{v.Claim != "", v.Secret != "", v.ConfigMap != "", v.EmptyDir != nil, v.Volume != ""} {
			if set {
				sources++
			}
		}
		if sources != 1 {
			r.errorf(vpath, "set one source: claim, secret, configMap, emptyDir or volume (got %d)", sources)
		}
		if v.EmptyDir != nil && v.EmptyDir.SizeLimit != "" {
			r.quantity(vpath+".emptyDir.sizeLimit", v.EmptyDir.SizeLimit)
		}
	}
}

// trainingResources checks a node's requests: quantities that parse, limits not under
// the requests, GPU types that exist, and the requests a quota needs.
func (r *reporter) trainingResources(p *model.Platform, path string, res *model.TrainingResources, q *quota) {
	if res == nil {
		return
	}
	cpu, cpuOK := quantityOf(r, path+".cpu", string(res.CPU))
	memory, memOK := quantityOf(r, path+".memory", res.Memory)
	if q.cpu != nil && res.CPU == "" {
		r.errorf(path, "set cpu: the tenant's quota limits CPU, and mlc counts what each training pod requests against it (a pod that requests none gets only defaults.containerDefaults.cpu)")
	}
	if q.memory != nil && res.Memory == "" {
		r.errorf(path, "set memory: the tenant's quota limits memory, and mlc counts what each training pod requests against it (a pod that requests none gets only defaults.containerDefaults.memory)")
	}
	if res.GPU > 0 {
		r.gpu(p, path, res.GPUType)
	} else if len(res.GPUType) > 0 {
		r.errorf(path+".gpuType", "a GPU type without GPUs: set gpu too")
	}
	if l := res.Limits; l != nil {
		if lim, ok := quantityOf(r, path+".limits.cpu", string(l.CPU)); ok && cpuOK && lim.Cmp(cpu) < 0 {
			r.errorf(path+".limits.cpu", "the limit (%s) is under the request (%s)", l.CPU, res.CPU)
		}
		if lim, ok := quantityOf(r, path+".limits.memory", l.Memory); ok && memOK && lim.Cmp(memory) < 0 {
			r.errorf(path+".limits.memory", "the limit (%s) is under the request (%s)", l.Memory, res.Memory)
		}
	}
}

// nodeRequests is what one training pod requests of the quota.
func nodeRequests(res *model.TrainingResources) usage {
	u := usage{pods: 1}
	if res == nil {
		return u
	}
	if q, err := parseQuantity(string(res.CPU)); err == nil {
		u.cpu = q
	}
	if q, err := parseQuantity(res.Memory); err == nil {
		u.memory = q
	}
	u.gpu = res.GPU
	return u
}

// maxUsage is the most of each resource of a and b.
func maxUsage(a, b usage) usage {
	out := a
	if b.cpu.Cmp(a.cpu) > 0 {
		out.cpu = b.cpu
	}
	if b.memory.Cmp(a.memory) > 0 {
		out.memory = b.memory
	}
	out.gpu = max(a.gpu, b.gpu)
	out.pods = max(a.pods, b.pods)
	return out
}

// quantityOf parses a declared quantity; ok is false when it is unset or was reported.
func quantityOf(r *reporter, path, s string) (resource.Quantity, bool) {
	if s == "" {
		return resource.Quantity{}, false
	}
	return r.quantity(path, s)
}
