// Package lower compiles declarations into the Kubernetes objects the upstream controllers
// accept: one file per upstream API. Declarations have passed the CUE schemas and the
// semantic checks; lowering does not fail.
package lower

import (
	"maps"
	"slices"

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
}

// TargetOf returns the lowering target of a cluster.
func TargetOf(p *model.Platform, c model.Cluster) Target {
	return Target{Training: p.TrainingTarget(c)}
}

// Tenant compiles a tenant's declarations for clusters of one target.
func Tenant(p *model.Platform, target Target, d *model.Declarations) Output {
	var out Output
	t := d.Tenant
	out.Platform = append(out.Platform, profile(p, t))
	for _, email := range slices.Sorted(maps.Keys(t.Contributors)) {
		role := t.Contributors[email]
		out.Platform = append(out.Platform, contributorRoleBinding(t.Name, email, role), contributorAuthorizationPolicy(p, t.Name, email, role))
	}
	if UsesKFPPodDefault(d) {
		out.Platform = append(out.Platform, kfpPodDefault(t.Name))
	}
	if NeedsLimitRange(t.Quota) {
		out.Platform = append(out.Platform, limitRange(p, t.Name))
	}
	for _, name := range slices.Sorted(maps.Keys(d.PodDefaults)) {
		out.Workloads = append(out.Workloads, podDefault(t.Name, name, d.PodDefaults[name]))
	}
	for _, name := range slices.Sorted(maps.Keys(d.Notebooks)) {
		out.Workloads = append(out.Workloads, notebook(p, t, name, d.Notebooks[name])...)
	}
	for _, name := range sortedKeys(d.Runtimes) {
		out.Workloads = append(out.Workloads, servingRuntime(t.Name, name, d.Runtimes[name]))
	}
	for _, name := range sortedKeys(d.Serving) {
		ep := d.Serving[name]
		out.Workloads = append(out.Workloads, inferenceService(p, t.Name, name, ep))
		out.Notes = append(out.Notes, TrafficNote(p, t.Name, name, ep))
	}
	for _, name := range sortedKeys(d.Training) {
		out.Workloads = append(out.Workloads, trainingJobObject(p, target.Training, t.Name, name, d.Training[name]))
	}
	for _, name := range sortedKeys(d.Experiments) {
		out.Workloads = append(out.Workloads, experiment(p, target.Training, t.Name, name, d.Experiments[name]))
	}
	for _, name := range sortedKeys(d.Pipelines) {
		out.Workloads = append(out.Workloads, pipelineObjects(p, t.Name, name, d.PipelineTree(name))...)
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
