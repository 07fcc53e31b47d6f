package e2etest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// kubeflowAggregationLabel is the prefix of the labels that aggregate a ClusterRole
// into kubeflow-admin, kubeflow-edit or kubeflow-view.
const kubeflowAggregationLabel = "rbac.authorization.kubeflow.org/aggregate-to-kubeflow-"

// KubeflowRoles returns upstream's user-facing ClusterRoles, as the example install has
// them: common/kubeflow-roles (kubeflow-admin, kubeflow-edit, kubeflow-view and the
// Kubernetes roles they aggregate) and every ClusterRole of the install's applications
// that aggregates into one of them.
func KubeflowRoles() ([]*unstructured.Unstructured, error) {
	dir, err := KubeflowManifests()
	if err != nil {
		return nil, err
	}
	base, err := BuildKubeflow(dir, "common/kubeflow-roles/base")
	if err != nil {
		return nil, err
	}
	install, err := KubeflowExampleInstall()
	if err != nil {
		return nil, err
	}
	var roles []*unstructured.Unstructured
	seen := map[string]bool{}
	for _, o := range slices.Concat(install, base) {
		if o.GetKind() != "ClusterRole" || seen[o.GetName()] {
			continue
		}
		aggregated := slices.ContainsFunc(base, func(b *unstructured.Unstructured) bool { return b.GetName() == o.GetName() })
		for k, v := range o.GetLabels() {
			aggregated = aggregated || strings.HasPrefix(k, kubeflowAggregationLabel) && v == "true"
		}
		if aggregated {
			seen[o.GetName()] = true
			roles = append(roles, o.DeepCopy())
		}
	}
	for _, want := range []string{"kubeflow-admin", "kubeflow-edit", "kubeflow-view"} {
		if !seen[want] {
			return nil, fmt.Errorf("kubeflow/manifests %s: no ClusterRole %s in common/kubeflow-roles", KubeflowRelease, want)
		}
	}
	return roles, nil
}

// InstallKubeflowRoles installs upstream's user-facing ClusterRoles (KubeflowRoles) and
// waits until kube-controller-manager has aggregated them.
func (c *Cluster) InstallKubeflowRoles(ctx context.Context) error {
	roles, err := KubeflowRoles()
	if err != nil {
		return err
	}
	for _, r := range roles {
		if err := c.Apply(ctx, r); err != nil {
			return err
		}
	}
	return c.WaitClusterRolesAggregated(ctx, time.Minute)
}

// WaitClusterRolesAggregated waits until kube-controller-manager's clusterrole-aggregation
// controller has caught up: every ClusterRole with an aggregationRule holds the rules of
// the ClusterRoles its selectors match, and nothing else.
func (c *Cluster) WaitClusterRolesAggregated(ctx context.Context, timeout time.Duration) error {
	return c.Eventually(ctx, timeout, "ClusterRoles aggregated", func() (bool, error) {
		list, err := c.Client.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, role := range list.Items {
			if role.AggregationRule == nil {
				continue
			}
			want, err := aggregatedRules(role, list.Items)
			if err != nil {
				return false, err
			}
			if !sameRules(want, role.Rules) {
				return false, fmt.Errorf("ClusterRole %s has %d rules, its selectors match %d", role.Name, len(role.Rules), len(want))
			}
		}
		return true, nil
	})
}

// aggregatedRules returns the rules of the roles that role's selectors match.
func aggregatedRules(role rbacv1.ClusterRole, all []rbacv1.ClusterRole) ([]rbacv1.PolicyRule, error) {
	var rules []rbacv1.PolicyRule
	for _, sel := range role.AggregationRule.ClusterRoleSelectors {
		s, err := metav1.LabelSelectorAsSelector(&sel)
		if err != nil {
			return nil, fmt.Errorf("ClusterRole %s: %w", role.Name, err)
		}
		for _, other := range all {
			if other.Name != role.Name && s.Matches(labels.Set(other.Labels)) {
				rules = append(rules, other.Rules...)
			}
		}
	}
	return rules, nil
}

// sameRules reports whether a and b hold the same rules, in any order and number.
func sameRules(a, b []rbacv1.PolicyRule) bool {
	in := func(r rbacv1.PolicyRule, set []rbacv1.PolicyRule) bool {
		return slices.ContainsFunc(set, func(x rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(x, r) })
	}
	for _, r := range a {
		if !in(r, b) {
			return false
		}
	}
	for _, r := range b {
		if !in(r, a) {
			return false
		}
	}
	return true
}
