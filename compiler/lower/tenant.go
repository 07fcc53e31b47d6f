// Package lower compiles declarations into the Kubernetes objects the upstream controllers
// accept: one file per upstream API. Declarations have passed the CUE schemas and the
// semantic checks; lowering does not fail.
package lower

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// Output is what one tenant compiles to.
type Output struct {
	// Platform are the objects that shape the tenant's namespace and who may use it
	// (the Profile, contributors' bindings and policies); the platform applies them.
	Platform []manifest.Object
	// Workloads are the objects that live in the tenant's namespace; the tenant applies them.
	Workloads []manifest.Object
}

// Tenant compiles a tenant's declarations.
func Tenant(p *model.Platform, d *model.Declarations) Output {
	var out Output
	t := d.Tenant
	out.Platform = append(out.Platform, profile(p, t))
	for _, email := range slices.Sorted(maps.Keys(t.Contributors)) {
		role := t.Contributors[email]
		out.Platform = append(out.Platform, contributorRoleBinding(t.Name, email, role), contributorAuthorizationPolicy(p, t.Name, email, role))
	}
	for _, name := range slices.Sorted(maps.Keys(d.PodDefaults)) {
		out.Workloads = append(out.Workloads, podDefault(t.Name, name, d.PodDefaults[name]))
	}
	for _, name := range slices.Sorted(maps.Keys(d.Notebooks)) {
		out.Workloads = append(out.Workloads, notebook(p, t, name, d.Notebooks[name])...)
	}
	slices.SortFunc(out.Platform, manifest.Compare)
	slices.SortFunc(out.Workloads, manifest.Compare)
	return out
}

// profile is the tenant's Profile (kubeflow.org/v1): its namespace, owner and quota.
func profile(p *model.Platform, t *model.Tenant) manifest.Object {
	spec := map[string]any{
		"owner": map[string]any{"kind": "User", "name": t.Owner},
	}
	if hard := quotaHard(p, t.Quota); len(hard) > 0 {
		spec["resourceQuotaSpec"] = map[string]any{"hard": hard}
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

var nonAlphanumeric = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// ContributorBindingName is the name Kubeflow's access management (KFAM) gives a
// contributor's RoleBinding and AuthorizationPolicy: "user-<email>-clusterrole-<role>",
// lower case, every run of other characters than letters and digits made one '-'.
func ContributorBindingName(email, role string) string {
	raw := strings.Join([]string{"User", nonAlphanumeric.ReplaceAllString(email, "-"), "ClusterRole", role}, "-")
	return nonAlphanumeric.ReplaceAllString(strings.ToLower(raw), "-")
}

func contributorAnnotations(email, role string) map[string]any {
	return map[string]any{"user": email, "role": role}
}

// contributorRoleBinding binds a contributor to kubeflow-<role> in the tenant's namespace.
func contributorRoleBinding(ns, email, role string) manifest.Object {
	meta := metadata(ContributorBindingName(email, role), ns, nil, nil)
	meta["annotations"] = contributorAnnotations(email, role)
	return manifest.Object{
		Source: model.Path("tenant", "contributors", email),
		Content: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1",
			"kind":       "RoleBinding",
			"metadata":   meta,
			"roleRef": map[string]any{
				"apiGroup": "rbac.authorization.k8s.io",
				"kind":     "ClusterRole",
				"name":     "kubeflow-" + role,
			},
			"subjects": []any{map[string]any{
				"apiGroup": "rbac.authorization.k8s.io",
				"kind":     "User",
				"name":     email,
			}},
		},
	}
}

// contributorAuthorizationPolicy lets the contributor's requests, forwarded by the
// ingress gateway or the pipelines UI, reach the tenant's namespace.
func contributorAuthorizationPolicy(p *model.Platform, ns, email, role string) manifest.Object {
	meta := metadata(ContributorBindingName(email, role), ns, nil, nil)
	meta["annotations"] = contributorAnnotations(email, role)
	access := p.Defaults.Access
	return manifest.Object{
		Source: model.Path("tenant", "contributors", email),
		Content: map[string]any{
			"apiVersion": "security.istio.io/v1beta1",
			"kind":       "AuthorizationPolicy",
			"metadata":   meta,
			"spec": map[string]any{
				"rules": []any{map[string]any{
					"from": []any{map[string]any{
						"source": map[string]any{"principals": strings2any(access.Principals)},
					}},
					"when": []any{map[string]any{
						"key":    "request.headers[" + access.UserIDHeader + "]",
						"values": []any{access.UserIDPrefix + email},
					}},
				}},
			},
		},
	}
}

// metadata builds object metadata; empty maps are left out.
func metadata(name, namespace string, labels, annotations map[string]string) map[string]any {
	m := map[string]any{"name": name}
	if namespace != "" {
		m["namespace"] = namespace
	}
	if len(labels) > 0 {
		m["labels"] = stringMap(labels)
	}
	if len(annotations) > 0 {
		m["annotations"] = stringMap(annotations)
	}
	return m
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func strings2any(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// envList turns a map of variables into a container env list sorted by name.
func envList(env map[string]string) []any {
	var out []any
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, map[string]any{"name": k, "value": env[k]})
	}
	return out
}
