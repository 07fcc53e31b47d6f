// Package lower compiles declarations into the Kubernetes objects the upstream controllers
// accept: one file per upstream API. Declarations have passed the CUE schemas and the
// semantic checks; lowering does not fail.
package lower

import (
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// Output is what one tenant compiles to.
type Output struct {
	// Platform are the objects that shape the tenant's namespace and who may use it
	// (the Profile, contributors' bindings and policies); the platform applies them.
	Platform []manifest.Object
	// Workloads are the objects that live in the tenant's namespace; the tenant applies them.
	Workloads []manifest.Object
	// Notes say in a line each what the objects will do that a reader of YAML could miss,
	// such as where a serving endpoint's traffic goes.
	Notes []string
}

// Target is what about a cluster changes how a tenant compiles for it. Tenants are
// lowered once per distinct target, so it holds only settings that matter to lowering.
type Target struct {
	// Training is how the cluster runs training jobs and experiments' trials.
	Training model.TrainingTarget
	// GPUTypes are the GPU types the cluster has, in its order and one a line; empty
	// when it has every type of the platform (or, with NoGPUs, none). A request that
	// accepts several types gets the first of them the cluster has.
	GPUTypes string
	NoGPUs   bool
}

// TargetOf returns the lowering target of a cluster.
func TargetOf(p *model.Platform, c model.Cluster) Target {
	return Target{Training: p.TrainingTarget(c), GPUTypes: strings.Join(c.GPUTypes, "\n"), NoGPUs: c.GPUTypes != nil && len(c.GPUTypes) == 0}
}

// gpuTypes returns the cluster's GPU types as model.Cluster holds them.
func (t Target) gpuTypes() []string {
	switch {
	case t.NoGPUs:
		return []string{}
	case t.GPUTypes == "":
		return nil
	}
	return strings.Split(t.GPUTypes, "\n")
}

// Tenant compiles a tenant's declarations for clusters of one target.
func Tenant(p *model.Platform, target Target, d *model.Declarations) Output {
	var out Output
	t := d.Tenant
	p = p.OnCluster(target.gpuTypes())
	out.Platform = append(out.Platform, profile(p, t))
	for _, email := range slices.Sorted(maps.Keys(t.Contributors)) {
		role := t.Contributors[email]
		out.Platform = append(out.Platform, contributorRoleBinding(t.Name, email, role), contributorAuthorizationPolicy(p, t.Name, email, role))
	}
	for _, group := range slices.Sorted(maps.Keys(t.ContributorGroups)) {
		out.Platform = append(out.Platform, groupContributor(p, t.Name, group, t.ContributorGroups[group])...)
	}
	if UsesKFPPodDefault(d) {
		out.Platform = append(out.Platform, kfpPodDefault(t.Name))
	}
	if NeedsLimitRange(t.Quota) {
		out.Platform = append(out.Platform, limitRange(p, t.Name))
	}
	for _, name := range sortedKeys(d.ServiceAccounts) {
		out.Workloads = append(out.Workloads, serviceAccount(t.Name, name, d.ServiceAccounts[name]))
	}
	for _, name := range sortedKeys(d.Volumes) {
		out.Workloads = append(out.Workloads, volumeClaim(p, t.Name, name, d.Volumes[name]))
	}
	for _, name := range sortedKeys(d.ConfigMaps) {
		out.Workloads = append(out.Workloads, configMap(t.Name, name, d.ConfigMaps[name]))
	}
	for _, name := range slices.Sorted(maps.Keys(d.PodDefaults)) {
		pd := d.PodDefaults[name]
		if d.UsesAzureIdentity(pd.ServiceAccountName) {
			pd.Labels = withLabel(pd.Labels, azureUseLabel, "true")
		}
		out.Workloads = append(out.Workloads, podDefault(p, t, name, pd))
	}
	for _, name := range slices.Sorted(maps.Keys(d.Notebooks)) {
		nb := ownSelectors(d.Notebooks[name], d.PodDefaults)
		if d.UsesAzureIdentity(nb.ServiceAccount) {
			// The notebook controller gives the server's pod the Notebook's labels.
			nb.Labels = withLabel(nb.Labels, azureUseLabel, "true")
		}
		out.Workloads = append(out.Workloads, notebook(p, t, name, nb)...)
	}
	for _, name := range sortedKeys(d.Runtimes) {
		out.Workloads = append(out.Workloads, servingRuntime(t.Name, name, d.Runtimes[name]))
	}
	for _, name := range sortedKeys(d.Serving) {
		ep := d.Serving[name]
		if d.UsesAzureIdentity(ep.ServiceAccount) {
			ep.PodLabels = map[string]string{azureUseLabel: "true"}
		}
		out.Workloads = append(out.Workloads, inferenceService(p, t.Name, name, ep))
		out.Notes = append(out.Notes, TrafficNote(p, t.Name, name, ep))
	}
	for _, name := range sortedKeys(d.Training) {
		job := d.Training[name]
		if d.UsesAzureIdentity(job.ServiceAccount) {
			job.PodLabels = map[string]string{azureUseLabel: "true"}
		}
		out.Workloads = append(out.Workloads, trainingJobObject(p, target.Training, t.Name, name, job))
	}
	for _, name := range sortedKeys(d.Experiments) {
		exp := d.Experiments[name]
		if d.UsesAzureIdentity(exp.Trial.ServiceAccount) {
			exp.Trial.PodLabels = map[string]string{azureUseLabel: "true"}
		}
		out.Workloads = append(out.Workloads, experiment(p, target.Training, t.Name, name, exp))
	}
	for _, name := range sortedKeys(d.Pipelines) {
		tree := d.PipelineTree(name)
		if s := tree.Pipeline.Schedule; s != nil && d.UsesAzureIdentity(s.ServiceAccount) {
			tree = withPodLabels(tree, map[string]string{azureUseLabel: "true"})
		}
		out.Workloads = append(out.Workloads, pipelineObjects(p, t.Name, name, tree)...)
	}
	for _, name := range sortedKeys(d.Secrets) {
		out.Workloads = append(out.Workloads, secret(t.Name, name, d.Secrets[name]))
	}
	if target.Training.Scheduler == model.SchedulerKueue {
		for _, name := range sortedKeys(d.Queues) {
			out.Workloads = append(out.Workloads, localQueue(t.Name, name, d.Queues[name]))
		}
	}
	manifest.Sort(out.Platform)
	manifest.Sort(out.Workloads)
	return out
}

// metadata builds object metadata; empty maps are left out.
func metadata(name, namespace string, labels, annotations map[string]string) map[string]any {
	m := map[string]any{"name": name}
	if namespace != "" {
		m["namespace"] = namespace
	}
	if len(labels) > 0 {
		m["labels"] = stringMap(labels)
	}
	if len(annotations) > 0 {
		m["annotations"] = stringMap(annotations)
	}
	return m
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func strings2any(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
