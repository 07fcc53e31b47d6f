package diff

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// TestCalloutsOfRawAccess: a tenant's raw Roles and NetworkPolicies change who may do
// what, so their changes are called out as access.
func TestCalloutsOfRawAccess(t *testing.T) {
	role := func(name, verb string) manifest.Object {
		return object(t, fmt.Sprintf(`{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": %q, "namespace": "vision"},
			"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": [%q]}]}`, name, verb))
	}
	policy := func(name, from string) manifest.Object {
		return object(t, fmt.Sprintf(`{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": %q, "namespace": "vision"},
			"spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": %q}}}]}]}}`, name, from))
	}
	base := snapshot("prod", "vision", role("reader", "get"), role("gone", "get"), policy("gateway", "istio-system"), policy("old", "istio-system"))
	head := snapshot("prod", "vision", role("reader", "update"), role("new", "get"), policy("gateway", "kubeflow"), policy("new", "istio-system"))
	want := []string{
		"access removed Role gone",
		"access added Role new",
		"access changed Role reader rules[0].verbs",
		"access added NetworkPolicy new",
		"access removed NetworkPolicy old",
		`access changed NetworkPolicy gateway spec.ingress[0].from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"]`,
	}
	if got := calloutsOf(compare(t, base, head)); !slices.Equal(got, want) {
		t.Errorf("callouts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
