package lower

import "github.com/mlc-gitops/mlc/compiler/model"

// envVars turns declared variables into a container's env list (corev1.EnvVar), sorted
// by name: a plain value as value, a Secret's or ConfigMap's key as valueFrom. Every
// kind of container mlc writes takes its env from here.
func envVars(env map[string]model.EnvValue) []any {
	var out []any
	for _, k := range sortedKeys(env) {
		out = append(out, declaredEnvVar(k, env[k]))
	}
	return out
}

func declaredEnvVar(name string, v model.EnvValue) map[string]any {
	switch {
	case v.Secret != nil:
		return map[string]any{"name": name, "valueFrom": map[string]any{
			"secretKeyRef": map[string]any{"name": v.Secret.Name, "key": v.Secret.Key}}}
	case v.ConfigMap != nil:
		return map[string]any{"name": name, "valueFrom": map[string]any{
			"configMapKeyRef": map[string]any{"name": v.ConfigMap.Name, "key": v.ConfigMap.Key}}}
	case v.Field != "":
		return map[string]any{"name": name, "valueFrom": map[string]any{
			"fieldRef": map[string]any{"apiVersion": "v1", "fieldPath": v.Field}}}
	}
	return map[string]any{"name": name, "value": v.Value}
}
