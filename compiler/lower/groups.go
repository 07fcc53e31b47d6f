package lower

import (
	"strings"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// GroupBindingName is the name of a contributor group's RoleBinding and
// AuthorizationPolicy, as KFAM names a binding by its subject's kind:
// "group-<group>-clusterrole-<role>".
func GroupBindingName(group, role string) string {
	raw := strings.Join([]string{"Group", nonAlphanumeric.ReplaceAllString(group, "-"), "ClusterRole", role}, "-")
	return nonAlphanumeric.ReplaceAllString(strings.ToLower(raw), "-")
}

// groupContributor is a contributor group's RoleBinding, with a Group subject, and its
// AuthorizationPolicy on the groups header. Both carry KFAM's user and role annotations,
// so KFAM lists the binding and the dashboard shows the group among the contributors.
func groupContributor(p *model.Platform, ns, group, role string) []manifest.Object {
	source := model.Path("tenant", "contributorGroups", group)
	meta := func() map[string]any {
		m := metadata(GroupBindingName(group, role), ns, nil, nil)
		m["annotations"] = map[string]any{"user": group, "role": role}
		return m
	}
	access := p.Defaults.Access
	binding := manifest.Object{
		Source: source,
		Content: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1",
			"kind":       "RoleBinding",
			"metadata":   meta(),
			"roleRef":    map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-" + role},
			"subjects":   []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}},
		},
	}
	policy := manifest.Object{
		Source: source,
		Content: map[string]any{
			"apiVersion": "security.istio.io/v1beta1",
			"kind":       "AuthorizationPolicy",
			"metadata":   meta(),
			"spec": map[string]any{
				"rules": []any{map[string]any{
					"from": []any{map[string]any{
						"source": map[string]any{"principals": strings2any(access.Principals)},
					}},
					"when": []any{map[string]any{
						"key":    "request.headers[" + access.GroupsHeader + "]",
						"values": strings2any(GroupHeaderValues(group)),
					}},
				}},
			},
		},
	}
	return []manifest.Object{binding, policy}
}

// GroupHeaderValues are the values of the groups header that name the group: Istio
// copies a list claim to a header comma-separated, and its conditions match a whole
// value, a prefix or a suffix, so the group alone, first or last. A user whose groups
// list it between others is not matched.
func GroupHeaderValues(group string) []string {
	return []string{group, group + ",*", "*," + group}
}
