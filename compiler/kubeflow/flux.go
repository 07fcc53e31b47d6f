package kubeflow

import (
	"strings"

	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// Where a cluster's install lives: the folder of the cluster's tree (and the artifact
// mlc push publishes from it, <repository>/<cluster>/components), the folder in it that
// holds a Flux Kustomization per unit, and the Flux name of the artifact's source and of
// the Kustomization that applies that folder.
const (
	Dir         = "components"
	FluxDir     = "flux"
	FluxName    = "mlc-components"
	sourceLabel = "kubeflow"
)

// UnitFluxName is the name of a unit's Flux Kustomization.
func UnitFluxName(unit string) string { return unitID(unit) }

// Artifact is the OCI repository mlc push publishes a cluster's install to.
func Artifact(f *model.Flux, cluster string) string {
	return strings.TrimSuffix(f.Repository, "/") + "/" + cluster + "/" + Dir
}

// Bootstrap are the objects that make a cluster's Flux follow its install: the source
// of the components artifact, and the Kustomization that applies its flux folder,
// which holds the units' own Kustomizations.
func Bootstrap(f *model.Flux, cluster string) []manifest.Object {
	return []manifest.Object{
		lower.OCIRepository(f, FluxName, names.FluxNamespace, Artifact(f, cluster), f.TagFor(cluster), f.PullSecret),
		kustomization(f, FluxName, "./"+FluxDir, nil, map[string]any{"serviceAccountName": names.FluxControllerAccount}),
	}
}

// FluxUnits are the Kustomizations of the install's units, each applied once the units
// it needs are ready (wait: every object it applies must become ready).
func (in *Installed) FluxUnits(f *model.Flux) []manifest.Object {
	out := make([]manifest.Object, 0, len(in.Units))
	for _, u := range in.Units {
		spec := map[string]any{"serviceAccountName": names.FluxControllerAccount, "wait": true}
		if len(u.Passthrough) > 0 {
			spec["decryption"] = map[string]any{"provider": "sops", "secretRef": map[string]any{"name": in.DecryptionSecret}}
		}
		out = append(out, kustomization(f, UnitFluxName(u.Name), "./"+u.Name, u.Needs, spec))
	}
	return out
}

// DependsOn is a Kustomization's dependsOn on units of the install.
func DependsOn(units []string) []any {
	out := make([]any, len(units))
	for i, u := range units {
		out[i] = map[string]any{"name": UnitFluxName(u), "namespace": names.FluxNamespace}
	}
	return out
}

// kustomization is a Kustomization in flux-system that applies path of the components
// artifact once the units it needs are ready.
func kustomization(f *model.Flux, name, path string, needs []string, spec map[string]any) manifest.Object {
	if len(needs) > 0 {
		spec["dependsOn"] = DependsOn(needs)
	}
	o := lower.FluxKustomization(f, name, names.FluxNamespace, FluxName, path, spec)
	o.Source = sourceLabel
	return o
}
