package check

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// maxNotebookName is the longest notebook name the notebook controller can run: its
// StatefulSet's pods carry a controller-revision-hash label of the name plus 11
// characters, and label values stop at 63.
const maxNotebookName = 52

var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// Tenant checks one tenant's declarations against the platform.
func Tenant(p *model.Platform, d *model.Declarations, locate Locator) diag.List {
	r := &reporter{locate: locate}
	t := d.Tenant
	if t == nil {
		return nil
	}
	for _, email := range slices.Sorted(maps.Keys(t.Contributors)) {
		path := model.Path("tenant", "contributors", email)
		switch {
		case !emailPattern.MatchString(email):
			r.errorf(path, "contributor %q is not an email address (the identity Kubeflow's authentication forwards)", email)
		case email == t.Owner:
			r.errorf(path, "%s is the tenant's owner, who is already an admin; remove the contributor entry", email)
		}
	}
	q := r.quota(t.Quota)

	podDefaults := r.podDefaults(d.PodDefaults)
	var total usage
	over := map[string]bool{}
	for i, declared := range slices.Sorted(maps.Keys(d.Notebooks)) {
		u := r.notebook(p, declared, d.Notebooks[declared], podDefaults)
		total.add(u)
		total.notebooks = int64(i + 1)
		r.fitsQuota(model.Path("notebooks", declared), q, total, over)
	}
	r.uniqueNames("notebooks", slices.Collect(maps.Keys(d.Notebooks)))
	return r.diags
}

// quotaLimits is a tenant's quota, parsed.
type quotaLimits struct {
	cpu, memory, storage *resource.Quantity
	gpu, claims, nbs     *int64
}

func (r *reporter) quota(q *model.Quota) quotaLimits {
	var out quotaLimits
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
	out.gpu, out.claims, out.nbs = q.GPU, q.PersistentVolumeClaims, q.Notebooks
	return out
}

// usage is what declarations request of a tenant's quota.
type usage struct {
	cpu, memory, storage resource.Quantity
	gpu                  int64
	claims               int64
	notebooks            int64
}

func (u *usage) add(o usage) {
	u.cpu.Add(o.cpu)
	u.memory.Add(o.memory)
	u.storage.Add(o.storage)
	u.gpu += o.gpu
	u.claims += o.claims
}

func (r *reporter) podDefaults(pds map[string]model.PodDefault) map[string]bool {
	names := map[string]bool{}
	for _, declared := range slices.Sorted(maps.Keys(pds)) {
		path := model.Path("podDefaults", declared)
		name := model.NormalizeName(declared)
		r.dnsLabel(path, name, "PodDefault name", 63)
		names[name] = true
		pd := pds[declared]
		r.envNames(path+".env", pd.Env)
		for _, secret := range slices.Sorted(maps.Keys(pd.SecretVolumes)) {
			r.dnsLabel(path+"."+model.Path("secretVolumes", secret), secret, "secret name", 63)
		}
	}
	r.uniqueNames("podDefaults", slices.Collect(maps.Keys(pds)))
	return names
}

func (r *reporter) envNames(path string, env map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if errs := validation.IsEnvVarName(k); len(errs) > 0 {
			r.errorf(path+"."+model.Path(k), "%q is not a valid environment variable name: %s", k, strings.Join(errs, "; "))
		}
	}
}

// notebook checks one notebook server and returns what it requests.
func (r *reporter) notebook(p *model.Platform, declared string, nb model.Notebook, podDefaults map[string]bool) usage {
	var u usage
	path := model.Path("notebooks", declared)
	name := model.NormalizeName(declared)
	r.dnsLabel(path, name, "notebook name", maxNotebookName)

	image := lower.ResolveImage(p, nb.Image)
	if image == nb.Image && !strings.ContainsAny(nb.Image, "/:@") {
		r.errorf(path+".image", "%q is neither in the platform's image catalog (%s) nor a full image reference", nb.Image, keyList(p.Defaults.ImageCatalog))
	} else {
		r.image(path+".image", image, p.Policy.AllowedRegistries)
	}

	cpu, memory := lower.NotebookRequests(p, nb)
	if q, ok := r.quantity(path+".resources.cpu", cpu); ok {
		u.cpu = q
	}
	if q, ok := r.quantity(path+".resources.memory", memory); ok {
		u.memory = q
	}
	if nb.Resources.GPU > 0 {
		gpuName, _, ok := lower.NotebookGPUType(p, nb)
		switch {
		case ok:
		case gpuName == "":
			r.errorf(path+".resources", "the platform has several GPU types (%s): name one with resources.gpuType, or set defaults.gpuType", keyList(p.Defaults.GPUTypes))
		default:
			r.errorf(path+".resources", "no GPU type %q in the platform's defaults.gpuTypes (have %s)", gpuName, keyList(p.Defaults.GPUTypes))
		}
		u.gpu = nb.Resources.GPU
	} else if nb.Resources.GPUType != "" {
		r.errorf(path+".resources.gpuType", "a GPU type without GPUs: set resources.gpu too")
	}
	lim := p.Policy.Limits.Notebook
	r.atMost(path+".resources.cpu", "CPU", u.cpu, string(lim.CPU), "policy.limits.notebook.cpu")
	r.atMost(path+".resources.memory", "memory", u.memory, lim.Memory, "policy.limits.notebook.memory")
	if lim.GPU != nil && u.gpu > *lim.GPU {
		r.errorf(path+".resources.gpu", "%d GPUs is more than the platform allows a notebook (policy.limits.notebook.gpu: %d)", u.gpu, *lim.GPU)
	}

	if lower.WorkspaceEnabled(nb) {
		claim := lower.WorkspaceClaimName(name)
		r.dnsLabel(path+".workspace", claim, "workspace claim name", 63)
		if q, ok := r.quantity(path+".workspace.size", lower.WorkspaceSize(p, nb)); ok {
			u.storage.Add(q)
		}
		u.claims++
	}
	mountPaths := map[string]string{}
	if lower.WorkspaceEnabled(nb) {
		mountPaths["/home/jovyan"] = "workspace"
	}
	for _, key := range slices.Sorted(maps.Keys(nb.DataVolumes)) {
		dv := nb.DataVolumes[key]
		vpath := path + "." + model.Path("dataVolumes", key)
		switch {
		case dv.ExistingClaim != "" && dv.Size != "":
			r.errorf(vpath, "set either size (a new claim) or existingClaim, not both")
		case dv.ExistingClaim == "" && dv.Size == "":
			r.errorf(vpath, "set size for a new claim, or existingClaim to mount one that exists")
		case dv.Size != "":
			r.dnsLabel(vpath, lower.DataVolumeClaimName(name, key), "data volume claim name", 63)
			if q, ok := r.quantity(vpath+".size", dv.Size); ok {
				u.storage.Add(q)
			}
			u.claims++
		}
		if other, dup := mountPaths[dv.MountPath]; dup {
			r.errorf(vpath+".mountPath", "%s is already where %s is mounted", dv.MountPath, other)
		}
		mountPaths[dv.MountPath] = key
	}
	for i, pd := range nb.PodDefaults {
		if !podDefaults[model.NormalizeName(pd)] && !slices.Contains(p.Defaults.SharedPodDefaults, pd) {
			r.errorf(fmt.Sprintf("%s.podDefaults[%d]", path, i), "no PodDefault %q: declare it in podDefaults, or list it in the platform's defaults.sharedPodDefaults", pd)
		}
	}
	r.envNames(path+".env", nb.Env)
	return u
}

// atMost reports a request over a policy limit.
func (r *reporter) atMost(path, what string, got resource.Quantity, limit, limitPath string) {
	if limit == "" || got.Sign() == 0 {
		return
	}
	l, err := resource.ParseQuantity(limit)
	if err != nil {
		return
	}
	if got.Cmp(l) > 0 {
		r.errorf(path, "%s %s is more than the platform allows a notebook (%s: %s)", what, got.String(), limitPath, limit)
	}
}

// uniqueNames reports declarations whose names normalise to the same object name.
func (r *reporter) uniqueNames(field string, declared []string) {
	slices.Sort(declared)
	seen := map[string]string{}
	for _, d := range declared {
		n := model.NormalizeName(d)
		if first, ok := seen[n]; ok {
			r.errorf(model.Path(field, d), "%q and %q are both named %q in Kubernetes; rename one", first, d, n)
			continue
		}
		seen[n] = d
	}
}

// fitsQuota reports the notebook at path when, with it, the tenant's notebooks together
// request more than the quota. Each resource is reported once, at the first notebook (in
// name order) that goes over.
func (r *reporter) fitsQuota(path string, q quotaLimits, u usage, reported map[string]bool) {
	report := func(field, at, format string, args ...any) {
		if reported[field] {
			return
		}
		reported[field] = true
		r.errorf(at, "%s, more than the tenant's quota (tenant.quota.%s)", fmt.Sprintf(format, args...), field)
	}
	quantity := func(field, at, what string, got resource.Quantity, limit *resource.Quantity) {
		if limit != nil && got.Cmp(*limit) > 0 {
			report(field, at, "with this notebook the tenant's notebooks request %s %s in all; the quota is %s", got.String(), what, limit.String())
		}
	}
	quantity("cpu", path+".resources.cpu", "CPU", u.cpu, q.cpu)
	quantity("memory", path+".resources.memory", "memory", u.memory, q.memory)
	quantity("storage", path+".workspace", "of storage", u.storage, q.storage)
	if q.gpu != nil && u.gpu > *q.gpu {
		report("gpu", path+".resources.gpu", "with this notebook the tenant's notebooks request %d GPUs in all; the quota is %d", u.gpu, *q.gpu)
	}
	if q.claims != nil && u.claims > *q.claims {
		report("persistentVolumeClaims", path, "with this notebook the tenant's notebooks need %d volume claims; the quota is %d", u.claims, *q.claims)
	}
	if q.nbs != nil && u.notebooks > *q.nbs {
		report("notebooks", path, "this is notebook number %d; the quota is %d", u.notebooks, *q.nbs)
	}
}
