package check

import (
	"slices"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// kubeflowPodDefaults are the PodDefaults Kubeflow itself keeps in every profile
// namespace: Kubeflow Pipelines' profile controller writes access-ml-pipeline there.
var kubeflowPodDefaults = []string{"access-ml-pipeline"}

// providedPodDefault reports a tenant PodDefault named as one the platform provides in
// every tenant namespace: applied over it, the tenant's would change what that name
// gives every notebook selecting it, and the platform's controller would write it back.
func (r *reporter) providedPodDefault(p *model.Platform, path, name string) {
	switch {
	case slices.Contains(p.Defaults.SharedPodDefaults, name):
		r.errorf(path, "the platform provides PodDefault %s in every tenant namespace (defaults.sharedPodDefaults), and this one would replace it: choose another name", name)
	case slices.Contains(kubeflowPodDefaults, name):
		r.errorf(path, "Kubeflow Pipelines keeps PodDefault %s in every profile namespace, and this one would replace it: choose another name (to select Kubeflow's, the platform lists it in defaults.sharedPodDefaults)", name)
	}
}
