package lower

import (
	"maps"
	"slices"
	"strconv"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// profile is the tenant's Profile (kubeflow.org/v1): its namespace, owner and quota.
func profile(p *model.Platform, t *model.Tenant) manifest.Object {
	spec := map[string]any{
		"owner": map[string]any{"kind": "User", "name": t.Owner},
	}
	if hard := quotaHard(p, t.Quota); len(hard) > 0 {
		spec["resourceQuotaSpec"] = map[string]any{"hard": hard}
	}
	if plugins := profilePlugins(t.Plugins); len(plugins) > 0 {
		spec["plugins"] = plugins
	}
	return manifest.Object{
		Source: "tenant",
		Content: map[string]any{
			"apiVersion": "kubeflow.org/v1",
			"kind":       "Profile",
			"metadata":   metadata(t.Name, "", t.Labels, t.Annotations),
			"spec":       spec,
		},
	}
}

// quotaHard maps a quota to ResourceQuota keys, as Kubeflow's profile samples write them.
func quotaHard(p *model.Platform, q *model.Quota) map[string]any {
	if q == nil {
		return nil
	}
	hard := map[string]any{}
	set := func(key, value string) {
		if value != "" {
			hard[key] = value
		}
	}
	count := func(key string, n *int64) {
		if n != nil {
			hard[key] = strconv.FormatInt(*n, 10)
		}
	}
	set("cpu", string(q.CPU))
	set("memory", q.Memory)
	set("requests.storage", q.Storage)
	if q.GPU != nil {
		for _, res := range GPUResources(p) {
			hard["requests."+res] = strconv.FormatInt(*q.GPU, 10)
		}
	}
	count("pods", q.Pods)
	count("persistentvolumeclaims", q.PersistentVolumeClaims)
	count("services", q.Services)
	count("secrets", q.Secrets)
	count("configmaps", q.ConfigMaps)
	count("count/notebooks.kubeflow.org", q.Notebooks)
	return hard
}

// GPUResources lists the extended resource names of the platform's GPU types, sorted;
// nvidia.com/gpu when it declares none.
func GPUResources(p *model.Platform) []string {
	if len(p.Defaults.GPUTypes) == 0 {
		return []string{"nvidia.com/gpu"}
	}
	set := map[string]bool{}
	for _, g := range p.Defaults.GPUTypes {
		set[g.ResourceName()] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// profilePlugins are the Profile's plugins as the profile controller reads them (kind
// and spec), in the order of their kinds.
func profilePlugins(pl *model.ProfilePlugins) []any {
	if pl == nil {
		return nil
	}
	var out []any
	if aws := pl.AwsIamForServiceAccount; aws != nil {
		spec := map[string]any{"awsIamRole": aws.AwsIamRole}
		if aws.AnnotateOnly {
			spec["annotateOnly"] = true
		}
		out = append(out, map[string]any{"kind": "AwsIamForServiceAccount", "spec": spec})
	}
	if gcp := pl.WorkloadIdentity; gcp != nil {
		out = append(out, map[string]any{"kind": "WorkloadIdentity", "spec": map[string]any{"gcpServiceAccount": gcp.GcpServiceAccount}})
	}
	return out
}
