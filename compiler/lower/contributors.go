package lower

import (
	"regexp"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

var nonAlphanumeric = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// ContributorBindingName is the name Kubeflow's access management (KFAM) gives a
// contributor's RoleBinding and AuthorizationPolicy: "user-<email>-clusterrole-<role>",
// lower case, every run of other characters than letters and digits made one '-'.
func ContributorBindingName(email, role string) string {
	raw := strings.Join([]string{"User", nonAlphanumeric.ReplaceAllString(email, "-"), "ClusterRole", role}, "-")
	return nonAlphanumeric.ReplaceAllString(strings.ToLower(raw), "-")
}

// contributorMetadata is what KFAM writes on both of a contributor's objects: the same
// name, and the user and role annotations the dashboard reads back.
func contributorMetadata(ns, email, role string) map[string]any {
	meta := metadata(ContributorBindingName(email, role), ns, nil, nil)
	meta["annotations"] = map[string]any{"user": email, "role": role}
	return meta
}

// contributorRoleBinding binds a contributor to kubeflow-<role> in the tenant's namespace.
func contributorRoleBinding(ns, email, role string) manifest.Object {
	return manifest.Object{
		Source: model.Path("tenant", "contributors", email),
		Content: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1",
			"kind":       "RoleBinding",
			"metadata":   contributorMetadata(ns, email, role),
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
	access := p.Defaults.Access
	return manifest.Object{
		Source: model.Path("tenant", "contributors", email),
		Content: map[string]any{
			"apiVersion": "security.istio.io/v1beta1",
			"kind":       "AuthorizationPolicy",
			"metadata":   contributorMetadata(ns, email, role),
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
