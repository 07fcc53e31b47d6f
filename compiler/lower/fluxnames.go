package lower

import (
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// The Flux names below live in package names; livediff still reads them here. Remove
// this file once livediff imports names.
const (
	// Deprecated: use names.FluxNamespace.
	FluxNamespace = names.FluxNamespace
	// Deprecated: use names.PlatformFluxName.
	PlatformFluxName = names.PlatformFluxName
	// Deprecated: use names.TenantFluxName.
	TenantFluxName = names.TenantFluxName
)

// PlatformArtifact is the OCI repository of a cluster's platform artifact.
//
// Deprecated: use names.PlatformArtifact.
func PlatformArtifact(f *model.Flux, cluster string) string {
	return names.PlatformArtifact(f, cluster)
}
