package lower

import (
	"strings"

	"github.com/mlc-gitops/mlc/compiler/manifest"
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
)

// PlatformArtifact and TenantArtifact are where a cluster's artifacts are pushed, below the
// Flux repository.
func PlatformArtifact(f *model.Flux, cluster string) string {
	return strings.TrimSuffix(f.Repository, "/") + "/" + cluster + "/platform"
}

// TenantArtifact is the OCI repository of a tenant's artifact for a cluster.
func TenantArtifact(f *model.Flux, cluster, tenant string) string {
	return strings.TrimSuffix(f.Repository, "/") + "/" + cluster + "/tenants/" + tenant
}

// FluxControllerAccount is the service account Flux installs kustomize-controller with,
// bound to cluster-admin.
const FluxControllerAccount = "kustomize-controller"

// FluxBootstrap is what a cluster needs once, to follow the platform artifact: its
// OCIRepository and Kustomization in flux-system, applied with Flux's own rights. The
// Kustomization names the controller's account: under Flux's multi-tenancy lockdown
// (--default-service-account) one that names none is applied as flux-system's default
// account, which may not create namespaces or profiles.
func FluxBootstrap(f *model.Flux, cluster string) []manifest.Object {
	return []manifest.Object{
		ociRepository(f, PlatformFluxName, FluxNamespace, PlatformArtifact(f, cluster), f.TagFor(cluster)),
		fluxKustomization(f, PlatformFluxName, FluxNamespace, map[string]any{"serviceAccountName": FluxControllerAccount}),
	}
}

// FluxTenant is the wiring the platform artifact carries for one tenant: its namespace,
// the service account Flux impersonates, bound to the tenant role in that namespace only,
// and the tenant's own OCIRepository and Kustomization. Flux applies a tenant's artifact
// as that service account into that namespace, so the artifact cannot touch another
// namespace or a cluster-scoped object. healthChecks name the workloads whose readiness
// the Kustomization reports.
func FluxTenant(f *model.Flux, cluster string, t *model.Tenant, workloads []manifest.Object) []manifest.Object {
	ns := t.Name
	spec := map[string]any{
		"serviceAccountName": ReconcilerName,
		"targetNamespace":    ns,
		"dependsOn":          []any{map[string]any{"name": PlatformFluxName, "namespace": FluxNamespace}},
		"healthCheckExprs":   healthCheckExprs(),
	}
	var checks []any
	for _, o := range workloads {
		if _, ok := healthChecked[o.Kind()]; !ok {
			continue
		}
		if m, _ := o.Content["metadata"].(map[string]any); m != nil {
			if a, _ := m["annotations"].(map[string]any); a[stoppedAnnotation] != nil {
				continue // a stopped notebook is never ready
			}
		}
		checks = append(checks, map[string]any{"apiVersion": o.APIVersion(), "kind": o.Kind(), "name": o.Name(), "namespace": ns})
	}
	if len(checks) > 0 {
		spec["healthChecks"] = checks
	}
	return []manifest.Object{
		{
			Source: "tenant",
			Content: map[string]any{
				"apiVersion": "v1",
				"kind":       "Namespace",
				// The Kubeflow profile controller adopts a namespace whose owner annotation
				// names the profile's owner, and refuses any other.
				"metadata": map[string]any{
					"name":        ns,
					"annotations": map[string]any{"owner": t.Owner},
					"labels":      map[string]any{"app.kubernetes.io/part-of": "kubeflow-profile", "istio-injection": "enabled"},
				},
			},
		},
		{
			Source: "tenant",
			Content: map[string]any{
				"apiVersion": "v1",
				"kind":       "ServiceAccount",
				"metadata":   map[string]any{"name": ReconcilerName, "namespace": ns},
			},
		},
		{
			Source: "tenant",
			Content: map[string]any{
				"apiVersion": "rbac.authorization.k8s.io/v1",
				"kind":       "RoleBinding",
				"metadata":   map[string]any{"name": ReconcilerName, "namespace": ns},
				"roleRef":    map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f.TenantRole},
				"subjects":   []any{map[string]any{"kind": "ServiceAccount", "name": ReconcilerName, "namespace": ns}},
			},
		},
		ociRepository(f, TenantFluxName, ns, TenantArtifact(f, cluster, ns), f.TagFor(cluster)),
		fluxKustomization(f, TenantFluxName, ns, spec),
	}
}

// healthChecked are the workload kinds a tenant's Kustomization waits for, with the CEL
// expressions for those whose status kstatus cannot read.
var healthChecked = map[string]map[string]any{
	"Notebook": {
		"apiVersion": "kubeflow.org/v1",
		"kind":       "Notebook",
		"current":    "has(status.readyReplicas) && status.readyReplicas >= 1",
		"failed":     "has(status.containerState) && has(status.containerState.waiting) && status.containerState.waiting.reason in ['ImagePullBackOff', 'ErrImagePull', 'CrashLoopBackOff', 'InvalidImageName']",
	},
	"InferenceService": nil, // its Ready condition is standard
}

func healthCheckExprs() []any {
	var out []any
	for _, kind := range []string{"Notebook"} {
		out = append(out, healthChecked[kind])
	}
	return out
}

func ociRepository(f *model.Flux, name, ns, url, tag string) manifest.Object {
	spec := map[string]any{
		"interval": f.Interval,
		"url":      url,
		"ref":      map[string]any{"tag": tag},
	}
	if f.PullSecret != "" {
		spec["secretRef"] = map[string]any{"name": f.PullSecret}
	}
	if f.Insecure {
		spec["insecure"] = true
	}
	return manifest.Object{
		Source: "flux",
		Content: map[string]any{
			"apiVersion": "source.toolkit.fluxcd.io/v1",
			"kind":       "OCIRepository",
			"metadata":   map[string]any{"name": name, "namespace": ns},
			"spec":       spec,
		},
	}
}

func fluxKustomization(f *model.Flux, name, ns string, spec map[string]any) manifest.Object {
	spec["interval"] = f.Interval
	spec["timeout"] = f.Timeout
	spec["path"] = "./"
	spec["prune"] = true
	spec["sourceRef"] = map[string]any{"kind": "OCIRepository", "name": name}
	return manifest.Object{
		Source: "flux",
		Content: map[string]any{
			"apiVersion": "kustomize.toolkit.fluxcd.io/v1",
			"kind":       "Kustomization",
			"metadata":   map[string]any{"name": name, "namespace": ns},
			"spec":       spec,
		},
	}
}
