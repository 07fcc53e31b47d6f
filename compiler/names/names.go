// Package names says what mlc and the upstream controllers name things, and how long
// those names may be: the objects mlc writes (the Flux wiring, a notebook's claims, a
// training job's kind), the objects the controllers make of them (Derived), and the
// limits that keep those derived names valid Kubernetes names. The checks, lowering and
// the commands that read Flux's objects share it, so that they agree.
package names

import (
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// Names of the Flux wiring mlc renders.
const (
	// FluxNamespace is where Flux runs and the platform's own source and Kustomization live.
	FluxNamespace = "flux-system"
	// PlatformFluxName names the platform's OCIRepository and Kustomization.
	PlatformFluxName = "mlc-platform"
	// TenantFluxName names each tenant's OCIRepository and Kustomization, in its namespace.
	TenantFluxName = "mlc-tenant"
	// ReconcilerName is the service account Flux impersonates to apply a tenant's objects.
	ReconcilerName = "mlc-reconciler"
	// FluxControllerAccount is the service account Flux installs kustomize-controller
	// with, bound to cluster-admin.
	FluxControllerAccount = "kustomize-controller"
	// ReconcilerRoleName names the Role, in each tenant's namespace, with the verbs Flux
	// needs on the kinds a tenant's artifact holds, and the RoleBinding that grants it to
	// the reconciler.
	ReconcilerRoleName = "mlc-reconciler-apply"
	// TenantPipelinesFluxName names the Kustomization, in a tenant's namespace, that
	// applies the tenant's Pipelines before TenantFluxName applies the rest.
	TenantPipelinesFluxName = "mlc-tenant-pipelines"
	// PipelinesDir is the folder of a tenant's artifact that holds its Pipelines.
	PipelinesDir = "pipelines"
)

// Objects mlc writes in every tenant namespace that needs them.
const (
	// KFPPodDefault is the PodDefault that gives a pod a token for Kubeflow Pipelines'
	// API, under the name Kubeflow's documentation and spawner use.
	KFPPodDefault = "access-ml-pipeline"
	// LimitRangeName names the LimitRange that gives containers default requests.
	LimitRangeName = "mlc-container-defaults"
)

// PlatformArtifact is the OCI repository of a cluster's platform artifact, below the
// Flux repository.
func PlatformArtifact(f *model.Flux, cluster string) string {
	return strings.TrimSuffix(f.Repository, "/") + "/" + cluster + "/platform"
}

// TenantArtifact is the OCI repository of a tenant's artifact for a cluster.
func TenantArtifact(f *model.Flux, cluster, tenant string) string {
	return strings.TrimSuffix(f.Repository, "/") + "/" + cluster + "/tenants/" + tenant
}

// Where a notebook's volumes are mounted.
const (
	// WorkspaceMountPath is where a notebook's workspace is mounted, as the spawner does.
	WorkspaceMountPath = "/home/jovyan"
	// SHMMountPath is where a notebook's memory-backed shared memory is mounted.
	SHMMountPath = "/dev/shm"
)

// WorkspaceClaimName is the name of a notebook's workspace claim, as the spawner names it.
func WorkspaceClaimName(notebook string) string { return notebook + "-workspace" }

// DataVolumeClaimName is the name of a new claim for a notebook's data volume.
func DataVolumeClaimName(notebook, volume string) string {
	return notebook + "-datavol-" + model.NormalizeName(volume)
}

// MaxScheduleName is the longest CronJob name Kubernetes accepts: the 63 characters of a
// label value, less the 11 of the suffix its jobs get. A pipeline's schedule is a
// CronJob named after the pipeline.
const MaxScheduleName = 52
