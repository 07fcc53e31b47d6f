package check

import (
	"fmt"
	"slices"

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
