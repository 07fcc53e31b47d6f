package lower

import (
	"maps"
	"slices"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// podDefault compiles a PodDefault (kubeflow.org/v1alpha1). Its selector is the label
// "<name>: true", which the spawner sets on notebooks that select it, unless it declares
// its own. Injected containers that request nothing get defaults, the namespace's
// LimitRange's, where the quota needs them (see podDefaultContainer).
func podDefault(p *model.Platform, t *model.Tenant, declared string, pd model.PodDefault) manifest.Object {
	name := model.NormalizeName(declared)
	desc := pd.Description
	if desc == "" {
		desc = name
	}
	spec := map[string]any{
		"desc":     desc,
		"selector": map[string]any{"matchLabels": stringMap(pd.SelectorLabels(declared))},
	}
	if env := envVars(pd.Env); len(env) > 0 {
		spec["env"] = env
	}
	var volumes, mounts []any
	for _, secret := range slices.Sorted(maps.Keys(pd.SecretVolumes)) {
		volumes = append(volumes, map[string]any{"name": secret, "secret": map[string]any{"secretName": secret}})
		mounts = append(mounts, map[string]any{"name": secret, "mountPath": pd.SecretVolumes[secret].MountPath, "readOnly": true})
	}
	vols, volMounts := trainingVolumes(pd.Volumes)
	volumes = append(volumes, vols...)
	for _, m := range volMounts {
		if m.(map[string]any)["mountPath"] != "" {
			mounts = append(mounts, m)
		}
	}
	if len(volumes) > 0 {
		spec["volumes"] = volumes
	}
	if len(mounts) > 0 {
		spec["volumeMounts"] = mounts
	}
	if pd.ServiceAccountName != "" {
		spec["serviceAccountName"] = pd.ServiceAccountName
	}
	if len(pd.Labels) > 0 {
		spec["labels"] = stringMap(pd.Labels)
	}
	if len(pd.Annotations) > 0 {
		spec["annotations"] = stringMap(pd.Annotations)
	}
	for key, cs := range map[string][]model.PodDefaultContainer{"initContainers": pd.InitContainers, "sidecars": pd.Sidecars} {
		var out []any
		for _, c := range cs {
			out = append(out, podDefaultContainer(p, t, c))
		}
		if len(out) > 0 {
			spec[key] = out
		}
	}
	if len(pd.Tolerations) > 0 {
		spec["tolerations"] = tolerations(pd.Tolerations)
	}
	return manifest.Object{
		Source: model.Path("podDefaults", declared),
		Content: map[string]any{
			"apiVersion": "kubeflow.org/v1alpha1",
			"kind":       "PodDefault",
			"metadata":   metadata(name, t.Name, nil, nil),
			"spec":       spec,
		},
	}
}

// podDefaultContainer is an injected container (corev1.Container). It requests what it
// declares, as requests and limits alike; in a namespace with a LimitRange, what it
// leaves unset is the LimitRange's defaults, written out so that the pod is accepted
// under the quota whatever order the API server's admission runs in.
func podDefaultContainer(p *model.Platform, t *model.Tenant, c model.PodDefaultContainer) map[string]any {
	out := map[string]any{"name": c.Name, "image": p.ResolveImage(c.Image)}
	if len(c.Command) > 0 {
		out["command"] = strings2any(c.Command)
	}
	if len(c.Args) > 0 {
		out["args"] = strings2any(c.Args)
	}
	if env := envVars(c.Env); len(env) > 0 {
		out["env"] = env
	}
	if c.ImagePullPolicy != "" {
		out["imagePullPolicy"] = c.ImagePullPolicy
	}
	if res := podDefaultResources(p, t, c); res != nil {
		out["resources"] = res
	}
	var mounts []any
	for _, v := range slices.Sorted(maps.Keys(c.VolumeMounts)) {
		m := map[string]any{"name": v, "mountPath": c.VolumeMounts[v].MountPath}
		if c.VolumeMounts[v].ReadOnly {
			m["readOnly"] = true
		}
		mounts = append(mounts, m)
	}
	if len(mounts) > 0 {
		out["volumeMounts"] = mounts
	}
	return out
}

// podDefaultResources are an injected container's requests and limits: what it
// declares as both, and what the namespace's LimitRange would give it for the rest.
func podDefaultResources(p *model.Platform, t *model.Tenant, c model.PodDefaultContainer) map[string]any {
	requests, limits := map[string]any{}, map[string]any{}
	for k, v := range PodDefaultRequests(p, t, c) {
		requests[k] = v
	}
	declared := map[string]string{"cpu": string(c.Resources.CPU), "memory": c.Resources.Memory}
	defaults := map[string]string{"cpu": string(p.Defaults.ContainerDefaults.Limits.CPU), "memory": p.Defaults.ContainerDefaults.Limits.Memory}
	for k := range requests {
		switch {
		case declared[k] != "":
			limits[k] = declared[k]
		case defaults[k] != "":
			limits[k] = defaults[k]
		}
	}
	if len(requests) == 0 {
		return nil
	}
	res := map[string]any{"requests": requests}
	if len(limits) > 0 {
		res["limits"] = limits
	}
	return res
}

// PodDefaultRequests returns what an injected container requests, by resource name:
// what it declares and, in a namespace with a LimitRange (NeedsLimitRange), the
// platform's defaults.containerDefaults for what it does not.
func PodDefaultRequests(p *model.Platform, t *model.Tenant, c model.PodDefaultContainer) map[string]string {
	res := map[string]string{}
	cpu, memory := string(c.Resources.CPU), c.Resources.Memory
	if NeedsLimitRange(t.Quota) {
		if cpu == "" {
			cpu = string(p.Defaults.ContainerDefaults.CPU)
		}
		if memory == "" {
			memory = p.Defaults.ContainerDefaults.Memory
		}
	}
	if cpu != "" {
		res["cpu"] = cpu
	}
	if memory != "" {
		res["memory"] = memory
	}
	return res
}

// ownSelectors returns the notebook with the labels of the PodDefaults it selects that
// declare their own selector among its labels, and only the others in its podDefaults
// (each of which it selects by the label "<name>: true").
func ownSelectors(nb model.Notebook, pds map[string]model.PodDefault) model.Notebook {
	var byName []string
	declared := map[string]string{}
	for name := range pds {
		declared[model.NormalizeName(name)] = name
	}
	for _, name := range nb.PodDefaults {
		pd, ok := pds[declared[model.NormalizeName(name)]]
		if !ok || pd.Selector == nil {
			byName = append(byName, name)
			continue
		}
		nb.Labels = maps.Clone(nb.Labels)
		if nb.Labels == nil {
			nb.Labels = map[string]string{}
		}
		maps.Copy(nb.Labels, pd.Selector)
	}
	nb.PodDefaults = byName
	return nb
}
