package lower

import (
	"slices"

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
		OCIRepository(f, names.PlatformFluxName, names.FluxNamespace, names.PlatformArtifact(f, cluster), f.TagFor(cluster), f.PullSecret),
		FluxKustomization(f, names.PlatformFluxName, names.FluxNamespace, names.PlatformFluxName, "./", map[string]any{"serviceAccountName": names.FluxControllerAccount}),
	}
}

// FluxTenant is the wiring the platform artifact carries for one tenant: its namespace,
// the service account Flux impersonates, bound in that namespace only to the tenant
// role and to the Role with the verbs Flux needs on what a tenant's artifact holds, and
// the tenant's own OCIRepository and Kustomization. Flux applies a tenant's artifact as
// that service account into that namespace, so the artifact cannot touch another
// namespace or a cluster-scoped object. healthChecks name the workloads whose readiness
// the Kustomization reports. A tenant with pipelines has a second Kustomization, which
// applies its Pipelines from the same artifact first (AppliedFirst); so has every
// tenant when pipelinesFirst is set (the cluster runs KFP's Kubernetes-native mode),
// so that its first pipeline, applied by the Kustomization its platform artifact made
// before, is applied first too. A tenant with SOPS-encrypted Secrets has its own
// Kustomization decrypt them with the key of f.DecryptionSecret in its namespace.
func FluxTenant(f *model.Flux, cluster string, t *model.Tenant, workloads []manifest.Object, pipelinesFirst bool) []manifest.Object {
	ns := t.Name
	platform := map[string]any{"name": names.PlatformFluxName, "namespace": names.FluxNamespace}
	spec := map[string]any{
		"serviceAccountName": names.ReconcilerName,
		"targetNamespace":    ns,
		"dependsOn":          []any{platform},
		"healthCheckExprs":   healthCheckExprs(),
	}
	var checks []any
	first := false
	for _, o := range workloads {
		first = first || AppliedFirst(o)
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
	if slices.ContainsFunc(workloads, encryptedSecret) {
		spec["decryption"] = map[string]any{"provider": "sops", "secretRef": map[string]any{"name": f.DecryptionSecret()}}
	}
	objs := []manifest.Object{
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
		reconcilerBinding(ns, names.ReconcilerName, "ClusterRole", f.TenantRole),
	}
	objs = append(objs, reconcilerRole(ns)...)
	objs = append(objs, OCIRepository(f, names.TenantFluxName, ns, names.TenantArtifact(f, cluster, ns), f.TagFor(cluster), f.TenantPullSecret))
	if first || pipelinesFirst {
		// Both follow one OCIRepository: Flux applies this tenant's Kustomization only once
		// the pipelines' has applied the same revision.
		spec["dependsOn"] = []any{platform, map[string]any{"name": names.TenantPipelinesFluxName}}
		objs = append(objs, FluxKustomization(f, names.TenantPipelinesFluxName, ns, names.TenantFluxName, "./"+names.PipelinesDir, map[string]any{
			"serviceAccountName": names.ReconcilerName,
			"targetNamespace":    ns,
			"dependsOn":          []any{platform},
		}))
	}
	return append(objs, FluxKustomization(f, names.TenantFluxName, ns, names.TenantFluxName, "./", spec))
}

// encryptedSecret reports a Secret of a tenant's artifact: one encrypted with SOPS, as
// its file is in the repository, since mlc writes no other. Pipelines are applied
// first by their own Kustomization, which has none and needs no key.
func encryptedSecret(o manifest.Object) bool {
	return o.Kind() == "Secret" && o.APIVersion() == "v1"
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

// OCIRepository is an OCIRepository that follows tag of url, signing in with the
// cloud provider's identity or the secret (in its namespace), or neither.
func OCIRepository(f *model.Flux, name, ns, url, tag, secret string) manifest.Object {
	spec := map[string]any{
		"interval": f.Interval,
		"url":      url,
		"ref":      map[string]any{"tag": tag},
	}
	switch {
	case f.Provider != "":
		spec["provider"] = f.Provider
	case secret != "":
		spec["secretRef"] = map[string]any{"name": secret}
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

// FluxKustomization is a Kustomization that applies, and prunes, what path holds in the
// artifact of the OCIRepository source of its namespace.
func FluxKustomization(f *model.Flux, name, ns, source, path string, spec map[string]any) manifest.Object {
	spec["interval"] = f.Interval
	spec["timeout"] = f.Timeout
	spec["path"] = path
	spec["prune"] = true
	spec["sourceRef"] = map[string]any{"kind": "OCIRepository", "name": source}
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
