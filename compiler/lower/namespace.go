package lower

import (
	"slices"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// Where a pod selecting KFPPodDefault finds its token for Kubeflow Pipelines' API.
const (
	// KFPTokenEnv is the variable the KFP SDK (kfp.Client) reads the token's path from.
	KFPTokenEnv = "KF_PIPELINES_SA_TOKEN_PATH"
	// KFPTokenPath is the token's file: in kfpTokenDir, where the SDK looks by default.
	KFPTokenPath = kfpTokenDir + "/token"
)

// UsesKFPPodDefault reports whether a tenant needs names.KFPPodDefault in its namespace:
// it has pipelines, or a notebook selects it.
func UsesKFPPodDefault(d *model.Declarations) bool {
	if len(d.Pipelines) > 0 {
		return true
	}
	for _, nb := range d.Notebooks {
		if slices.Contains(nb.PodDefaults, names.KFPPodDefault) {
			return true
		}
	}
	return false
}

// kfpPodDefault is the PodDefault that Kubeflow's documentation has every profile
// namespace keep, and Kubeflow does not create: a pod that selects it gets a projected
// service account token for KFP's API server (audience KFPTokenAudience) where the SDK
// reads it, so that kfp.Client() in a notebook signs in as the pod's service account.
func kfpPodDefault(ns string) manifest.Object {
	const volume = "kfp-token"
	return manifest.Object{
		Source: "tenant",
		Content: map[string]any{
			"apiVersion": "kubeflow.org/v1alpha1",
			"kind":       "PodDefault",
			"metadata":   metadata(names.KFPPodDefault, ns, nil, nil),
			"spec": map[string]any{
				"desc":     "Access Kubeflow Pipelines",
				"selector": map[string]any{"matchLabels": map[string]any{names.KFPPodDefault: "true"}},
				"env":      []any{envVar(KFPTokenEnv, KFPTokenPath)},
				"volumes": []any{map[string]any{
					"name": volume,
					"projected": map[string]any{"sources": []any{map[string]any{
						"serviceAccountToken": map[string]any{"path": "token", "audience": KFPTokenAudience, "expirationSeconds": 7200},
					}}},
				}},
				"volumeMounts": []any{map[string]any{"name": volume, "mountPath": kfpTokenDir, "readOnly": true}},
			},
		},
	}
}

// NeedsLimitRange reports whether a tenant's namespace gets the LimitRange
// names.LimitRangeName: its quota limits CPU or memory requests, so the API server
// refuses a pod with a container that requests neither.
func NeedsLimitRange(q *model.Quota) bool {
	return q != nil && (q.CPU != "" || q.Memory != "")
}

// limitRange gives every container in the namespace that requests nothing the
// platform's defaults.containerDefaults: Argo's init and wait containers and KFP's steps
// (KFP writes no requests on them), Kubeflow Trainer's initializers.
func limitRange(p *model.Platform, ns string) manifest.Object {
	d := p.Defaults.ContainerDefaults
	limit := map[string]any{
		"type":           "Container",
		"defaultRequest": map[string]any{"cpu": string(d.CPU), "memory": d.Memory},
	}
	def := map[string]any{}
	if d.Limits.CPU != "" {
		def["cpu"] = string(d.Limits.CPU)
	}
	if d.Limits.Memory != "" {
		def["memory"] = d.Limits.Memory
	}
	if len(def) > 0 {
		limit["default"] = def
	}
	return manifest.Object{
		Source: "tenant.quota",
		Content: map[string]any{
			"apiVersion": "v1",
			"kind":       "LimitRange",
			"metadata":   metadata(names.LimitRangeName, ns, nil, nil),
			"spec":       map[string]any{"limits": []any{limit}},
		},
	}
}
