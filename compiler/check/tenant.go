package check

import (
	"fmt"
	"maps"
	"regexp"
	"slices"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// maxNotebookName is the longest notebook name the notebook controller can run: its
// StatefulSet's pods carry a controller-revision-hash label of the name plus 11
// characters, and label values stop at 63.
const maxNotebookName = 52

var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// Tenant checks one tenant's declarations against the platform.
func Tenant(p *model.Platform, d *model.Declarations, locate Locator) diag.List {
	t := d.Tenant
	if t == nil {
		return nil
	}
	r := &reporter{locate: locate, decls: d}
	for _, name := range slices.Sorted(maps.Keys(p.Clusters)) {
		if p.Clusters[name].Runs(t.Name) {
			r.clusters = append(r.clusters, p.Clusters[name])
		}
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
	r.contributorGroups(t)
	r.reservedName(t.Name, p.Policy.ReservedNamespaces)
	r.tenantMetadata(t)
	r.profilePlugins(p, t)
	quota := r.newQuota(t.Quota)
	r.defaultsFit(p, quota)
	quota.counted = make([]charged, 0, len(d.Notebooks)+len(d.Serving)+len(d.Training)+len(d.Experiments))

	podDefaults := r.podDefaults(p, d.PodDefaults)
	for _, declared := range slices.Sorted(maps.Keys(d.Notebooks)) {
		path := model.Path("notebooks", declared)
		u := r.notebook(p, declared, d.Notebooks[declared], podDefaults)
		r.notebookMounts(path, d.Notebooks[declared], d.PodDefaults)
		u.add(r.injected(p, t, declared, d.Notebooks[declared], d.PodDefaults, u))
		u.notebooks, u.pods = 1, 1
		r.charge(quota, charged{what: "notebook", label: "notebook " + declared, u: u, at: func(field string) string {
			switch field {
			case "cpu", "memory", "gpu":
				return path + ".resources." + field
			case "storage":
				return path
			}
			return path
		}})
	}
	r.uniqueNames("notebooks", slices.Collect(maps.Keys(d.Notebooks)))
	runtimes := r.servingRuntimes(p, d.Runtimes)
	for _, declared := range slices.Sorted(maps.Keys(d.Serving)) {
		path := model.Path("servingEndpoints", declared)
		u, b := r.servingEndpoint(p, declared, d.Serving[declared], runtimes, quota.bounded())
		r.charge(quota, charged{what: "endpoint at its most replicas", label: "endpoint " + declared, u: u, basis: b, at: func(field string) string {
			switch field {
			case "cpu", "memory", "gpu", "pods":
				return path + ".replicas.max"
			}
			return path
		}})
	}
	r.uniqueNames("servingEndpoints", slices.Collect(maps.Keys(d.Serving)))
	targets := r.trainingTargets(p)
	r.queues(p, d)
	queueProblems := clusterProblems{}
	for _, declared := range slices.Sorted(maps.Keys(d.Training)) {
		path := model.Path("trainingJobs", declared)
		job := d.Training[declared]
		u := r.standaloneJob(p, declared, job, targets, quota)
		c := charged{what: trainingWhat(job), label: "trainingJob " + declared, u: u, basis: jobBasis(job, u), workload: u,
			at: func(string) string { return path + ".workers" }}
		r.queued(p, d, &c, path+".queue", job, queueProblems)
		r.charge(quota, c)
	}
	r.uniqueNames("trainingJobs", slices.Collect(maps.Keys(d.Training)))
	for _, declared := range slices.Sorted(maps.Keys(d.Experiments)) {
		path := model.Path("experiments", declared)
		exp := d.Experiments[declared]
		trial := r.experiment(p, declared, exp, targets, quota)
		parallel := int64(max(exp.ParallelTrials, 0))
		c := charged{what: experimentWhat(exp), label: "experiment " + declared, u: trial.times(parallel),
			basis: &basis{n: parallel, unit: "trials at once", per: trial}, workload: trial,
			at: func(string) string { return path + ".parallelTrials" }}
		r.queued(p, d, &c, path+".trial.queue", exp.Trial, queueProblems)
		r.charge(quota, c)
	}
	r.uniqueNames("experiments", slices.Collect(maps.Keys(d.Experiments)))
	r.tenantObjects(p, d, quota)
	queueProblems.report(r)
	r.overruns(quota)
	r.queueCapacities(p, quota)
	for _, declared := range slices.Sorted(maps.Keys(d.Pipelines)) {
		// A pipeline's steps run now and then, one or a few at a time: each must fit the
		// quota by itself, without counting what always runs.
		r.pipeline(p, declared, d.PipelineTree(declared), quota)
	}
	r.uniqueNames("pipelines", slices.Collect(maps.Keys(d.Pipelines)))
	r.objectCollisions(p, d, targets)
	r.secrets(p, d)
	r.declaredSecrets(p, d)
	if len(d.Objects) > 0 {
		r.rawObjects(p, d, r.objectOwners(p, d, targets))
	}
	r.patches(d)
	return r.diags
}

func (r *reporter) podDefaults(p *model.Platform, pds map[string]model.PodDefault) map[string]bool {
	names := map[string]bool{}
	for _, declared := range slices.Sorted(maps.Keys(pds)) {
		path := model.Path("podDefaults", declared)
		name := model.NormalizeName(declared)
		r.dnsLabel(path, name, "PodDefault name", 63)
		r.providedPodDefault(p, path, name)
		names[name] = true
		pd := pds[declared]
		r.podDefaultMounts(path, pd)
		r.podDefaultSpec(p, path, pd)
		for _, secret := range slices.Sorted(maps.Keys(pd.SecretVolumes)) {
			r.dnsLabel(path+"."+model.Path("secretVolumes", secret), secret, "secret name", 63)
		}
	}
	r.uniqueNames("podDefaults", slices.Collect(maps.Keys(pds)))
	return names
}

// notebook checks one notebook server and returns what it requests.
func (r *reporter) notebook(p *model.Platform, declared string, nb model.Notebook, podDefaults map[string]bool) usage {
	var u usage
	path := model.Path("notebooks", declared)
	name := model.NormalizeName(declared)
	r.dnsLabel(path, name, "notebook name", maxNotebookName)

	r.catalogImage(p, path+".image", nb.Image)

	cpu, memory := p.NotebookRequests(nb)
	if q, ok := r.quantity(path+".resources.cpu", cpu); ok {
		u.cpu = q
	}
	if q, ok := r.quantity(path+".resources.memory", memory); ok {
		u.memory = q
	}
	if nb.Resources.GPU > 0 {
		r.gpu(p, path+".resources", nb.Resources.GPUType)
		u.gpu = nb.Resources.GPU
	} else if len(nb.Resources.GPUType) > 0 {
		r.errorf(path+".resources.gpuType", "a GPU type without GPUs: set resources.gpu too")
	}
	lim := p.Policy.Limits.Notebook
	r.atMost(path+".resources.cpu", "CPU", u.cpu, string(lim.CPU), "policy.limits.notebook.cpu")
	r.atMost(path+".resources.memory", "memory", u.memory, lim.Memory, "policy.limits.notebook.memory")
	if lim.GPU != nil && u.gpu > *lim.GPU {
		r.errorf(path+".resources.gpu", "%d GPUs is more than the platform allows a notebook (policy.limits.notebook.gpu: %d)", u.gpu, *lim.GPU)
	}

	if nb.WorkspaceEnabled() {
		claim := names.WorkspaceClaimName(name)
		r.dnsLabel(path+".workspace", claim, "workspace claim name", 63)
		if q, ok := r.quantity(path+".workspace.size", p.WorkspaceSize(nb)); ok {
			u.storage.Add(q)
		}
		u.claims++
	}
	for _, key := range slices.Sorted(maps.Keys(nb.DataVolumes)) {
		dv := nb.DataVolumes[key]
		vpath := path + "." + model.Path("dataVolumes", key)
		switch {
		case dv.Volume != "" && (dv.Size != "" || dv.ExistingClaim != ""):
			r.errorf(vpath, "set one of size (a new claim), existingClaim or volume (one of the tenant's volumes), not several")
		case dv.Volume != "":
		case dv.ExistingClaim != "" && dv.Size != "":
			r.errorf(vpath, "set either size (a new claim) or existingClaim, not both")
		case dv.ExistingClaim == "" && dv.Size == "":
			r.errorf(vpath, "set size for a new claim, existingClaim to mount one that exists, or volume to mount one of the tenant's volumes")
		case dv.Size != "":
			r.dnsLabel(vpath, names.DataVolumeClaimName(name, key), "data volume claim name", 63)
			if q, ok := r.quantity(vpath+".size", dv.Size); ok {
				u.storage.Add(q)
			}
			u.claims++
		}
	}
	for i, pd := range nb.PodDefaults {
		if !podDefaults[model.NormalizeName(pd)] && !slices.Contains(p.Defaults.SharedPodDefaults, pd) && pd != names.KFPPodDefault {
			r.errorf(fmt.Sprintf("%s.podDefaults[%d]", path, i), "no PodDefault %q: declare it in podDefaults, or list it in the platform's defaults.sharedPodDefaults (mlc writes %s itself)", pd, names.KFPPodDefault)
		}
	}
	r.notebookObjectNames(path, name, nb)
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
