package lower

import (
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// FluxBootstrap is what a cluster needs once, to follow the platform artifact: its
// OCIRepository and Kustomization in flux-system, applied with Flux's own rights. The
// Kustomization names the controller's account: under Flux's multi-tenancy lockdown
// (--default-service-account) one that names none is applied as flux-system's default
// account, which may not create namespaces or profiles.
func FluxBootstrap(f *model.Flux, cluster string) []manifest.Object {
	return []manifest.Object{
		ociRepository(f, names.PlatformFluxName, names.FluxNamespace, names.PlatformArtifact(f, cluster), f.TagFor(cluster)),
		fluxKustomization(f, names.PlatformFluxName, names.FluxNamespace, map[string]any{"serviceAccountName": names.FluxControllerAccount}),
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
		"serviceAccountName": names.ReconcilerName,
		"targetNamespace":    ns,
		"dependsOn":          []any{map[string]any{"name": names.PlatformFluxName, "namespace": names.FluxNamespace}},
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
				"metadata":   map[string]any{"name": names.ReconcilerName, "namespace": ns},
			},
		},
		{
			Source: "tenant",
			Content: map[string]any{
				"apiVersion": "rbac.authorization.k8s.io/v1",
				"kind":       "RoleBinding",
				"metadata":   map[string]any{"name": names.ReconcilerName, "namespace": ns},
				"roleRef":    map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f.TenantRole},
				"subjects":   []any{map[string]any{"kind": "ServiceAccount", "name": names.ReconcilerName, "namespace": ns}},
			},
		},
		ociRepository(f, names.TenantFluxName, ns, names.TenantArtifact(f, cluster, ns), f.TagFor(cluster)),
		fluxKustomization(f, names.TenantFluxName, ns, spec),
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
