package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlc-gitops/mlc/compiler/lower"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// providedPodDefault reports a tenant PodDefault named as one the platform provides in
// every tenant namespace, or as the one mlc writes there (names.KFPPodDefault): applied
// over it, the tenant's would change what that name gives every pod selecting it, and
// the platform would write it back.
func (r *reporter) providedPodDefault(p *model.Platform, path, name string) {
	switch {
	case name == names.KFPPodDefault:
		r.errorf(path, "mlc writes PodDefault %s, the token for Kubeflow Pipelines' API, in the namespace of every tenant with pipelines or a notebook selecting it, and this one would replace it: choose another name", name)
	case slices.Contains(p.Defaults.SharedPodDefaults, name):
		r.errorf(path, "the platform provides PodDefault %s in every tenant namespace (defaults.sharedPodDefaults), and this one would replace it: choose another name", name)
	}
}

// sharedPodDefaults warns of a shared PodDefault that mlc writes itself.
func (r *reporter) sharedPodDefaults(p *model.Platform) {
	for i, name := range p.Defaults.SharedPodDefaults {
		if name == names.KFPPodDefault {
			r.warnf(fmt.Sprintf("defaults.sharedPodDefaults[%d]", i), "mlc writes PodDefault %s in the namespace of every tenant with pipelines or a notebook selecting it (Kubeflow does not): remove it from this list", name)
		}
	}
}

// podDefaultSpec checks what a PodDefault adds to a pod besides env and secret volumes:
// volumes with one source each and names of their own, the selector's labels, and the
// containers it injects.
func (r *reporter) podDefaultSpec(p *model.Platform, path string, pd model.PodDefault) {
	r.trainingVolumes(path+".volumes", pd.Volumes)
	for _, name := range slices.Sorted(maps.Keys(pd.Volumes)) {
		if _, ok := pd.SecretVolumes[name]; ok {
			r.errorf(path+"."+model.Path("volumes", name), "secretVolumes.%s is a volume of this name already: name this one otherwise", name)
		}
	}
	if pd.Selector != nil {
		if len(pd.Selector) == 0 {
			r.errorf(path+".selector", "an empty selector would select every pod in the namespace: name a label, or leave selector unset")
		}
		r.labels(path+".selector", pd.Selector)
	}
	seen := map[string]string{}
	for _, group := range []struct {
		field string
		cs    []model.PodDefaultContainer
	}{{"initContainers", pd.InitContainers}, {"sidecars", pd.Sidecars}} {
		for i, c := range group.cs {
			cpath := fmt.Sprintf("%s.%s[%d]", path, group.field, i)
			if first, dup := seen[c.Name]; dup {
				r.errorf(cpath+".name", "%s names a container %s already: the pod's containers need names of their own", first, c.Name)
			}
			seen[c.Name] = cpath
			r.podDefaultContainer(p, cpath, c, pd)
		}
	}
}

// podDefaultContainer checks an injected container: its image, its requests, the
// volumes it mounts (the PodDefault's), and the pod fields its env reads.
func (r *reporter) podDefaultContainer(p *model.Platform, path string, c model.PodDefaultContainer, pd model.PodDefault) {
	r.catalogImage(p, path+".image", c.Image)
	if c.Resources.CPU != "" {
		r.quantity(path+".resources.cpu", string(c.Resources.CPU))
	}
	if c.Resources.Memory != "" {
		r.quantity(path+".resources.memory", c.Resources.Memory)
	}
	for _, name := range slices.Sorted(maps.Keys(c.VolumeMounts)) {
		_, vol := pd.Volumes[name]
		_, secret := pd.SecretVolumes[name]
		if !vol && !secret {
			r.errorf(path+"."+model.Path("volumeMounts", name), "no volume %s in this PodDefault's volumes or secretVolumes", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Env)) {
		if f := c.Env[name].Field; f != "" && !podField(f) {
			r.errorf(path+"."+model.Path("env", name)+".field", "%q is not a field Kubernetes passes to a container: metadata.name, metadata.namespace, metadata.uid, metadata.labels['<key>'], metadata.annotations['<key>'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs, status.podIP or status.podIPs", f)
		}
	}
}

// podFields are the pod fields a container's env may read (a fieldRef's fieldPath),
// besides a single label or annotation.
var podFields = []string{"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"}

func podField(f string) bool {
	if slices.Contains(podFields, f) {
		return true
	}
	for _, prefix := range []string{"metadata.labels['", "metadata.annotations['"} {
		if key, ok := strings.CutPrefix(f, prefix); ok && strings.HasSuffix(key, "']") && len(key) > 2 {
			return true
		}
	}
	return false
}

// injected checks the containers the tenant's PodDefaults inject into a notebook's pod,
// whose names must differ from the notebook's container and from one another, and
// returns what they add to the pod's requests: the sidecars' requests, or the largest
// init container's where that is more (an init container runs alone, before the others).
func (r *reporter) injected(p *model.Platform, t *model.Tenant, declared string, nb model.Notebook, pds map[string]model.PodDefault, own usage) usage {
	var sidecars, init usage
	names := map[string]string{model.NormalizeName(declared): "the notebook's own container"}
	for i, selected := range nb.PodDefaults {
		pd, ok := podDefaultNamed(pds, selected)
		if !ok {
			continue
		}
		for _, c := range slices.Concat(pd.InitContainers, pd.Sidecars) {
			// Two of one PodDefault's own are reported at the PodDefault (podDefaultSpec).
			if first, dup := names[c.Name]; dup && first != "PodDefault "+selected {
				r.errorf(fmt.Sprintf("%s.podDefaults[%d]", model.Path("notebooks", declared), i), "PodDefault %s injects a container %s, a name %s has already: the API server refuses the pod; rename one", selected, c.Name, first)
			}
			names[c.Name] = "PodDefault " + selected
		}
		for _, c := range pd.Sidecars {
			sidecars.add(containerUsage(p, t, c))
		}
		for _, c := range pd.InitContainers {
			u := containerUsage(p, t, c)
			if u.cpu.Cmp(init.cpu) > 0 {
				init.cpu = u.cpu
			}
			if u.memory.Cmp(init.memory) > 0 {
				init.memory = u.memory
			}
		}
	}
	// The pod requests the larger of its containers together and its largest init container.
	var extra usage
	total := own.cpu.DeepCopy()
	total.Add(sidecars.cpu)
	if init.cpu.Cmp(total) > 0 {
		extra.cpu = init.cpu.DeepCopy()
		extra.cpu.Sub(own.cpu)
	} else {
		extra.cpu = sidecars.cpu
	}
	total = own.memory.DeepCopy()
	total.Add(sidecars.memory)
	if init.memory.Cmp(total) > 0 {
		extra.memory = init.memory.DeepCopy()
		extra.memory.Sub(own.memory)
	} else {
		extra.memory = sidecars.memory
	}
	return extra
}

// containerUsage is what an injected container requests, as lowering writes it.
func containerUsage(p *model.Platform, t *model.Tenant, c model.PodDefaultContainer) usage {
	var u usage
	res := lower.PodDefaultRequests(p, t, c)
	u.cpu, _ = resource.ParseQuantity(res["cpu"])
	u.memory, _ = resource.ParseQuantity(res["memory"])
	return u
}
