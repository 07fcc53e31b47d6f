package lower

import (
	"maps"
	"slices"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// podDefault compiles a PodDefault (kubeflow.org/v1alpha1). Its selector is the label
// "<name>: true", which the spawner sets on notebooks that select it.
func podDefault(ns, declared string, pd model.PodDefault) manifest.Object {
	name := model.NormalizeName(declared)
	desc := pd.Description
	if desc == "" {
		desc = name
	}
	spec := map[string]any{
		"desc":     desc,
		"selector": map[string]any{"matchLabels": map[string]any{name: "true"}},
	}
	if env := envVars(pd.Env); len(env) > 0 {
		spec["env"] = env
	}
	var volumes, mounts []any
	for _, secret := range slices.Sorted(maps.Keys(pd.SecretVolumes)) {
		volumes = append(volumes, map[string]any{"name": secret, "secret": map[string]any{"secretName": secret}})
		mounts = append(mounts, map[string]any{"name": secret, "mountPath": pd.SecretVolumes[secret].MountPath, "readOnly": true})
	}
	if len(volumes) > 0 {
		spec["volumes"] = volumes
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
	return manifest.Object{
		Source: model.Path("podDefaults", declared),
		Content: map[string]any{
			"apiVersion": "kubeflow.org/v1alpha1",
			"kind":       "PodDefault",
			"metadata":   metadata(name, ns, nil, nil),
			"spec":       spec,
		},
	}
}
