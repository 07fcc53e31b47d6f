package e2etest

import (
	"context"
	_ "embed"
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

//go:embed kubeflow-roles.yaml
var kubeflowRoles []byte

// InstallKubeflowRoles installs kubeflow-admin, kubeflow-edit and kubeflow-view, built
// by aggregation from per-component roles as Kubeflow's manifests do, then aggregates
// them.
func (c *Cluster) InstallKubeflowRoles(ctx context.Context) error {
	if err := c.ApplyYAML(ctx, kubeflowRoles); err != nil {
		return err
	}
	return c.AggregateClusterRoles(ctx)
}

// AggregateClusterRoles fills every ClusterRole that has an aggregationRule with the rules
// of the ClusterRoles its selectors match, until nothing changes: what kube-controller-
// manager's clusterrole-aggregation controller does, which this cluster does not run.
// Call it again after adding roles.
func (c *Cluster) AggregateClusterRoles(ctx context.Context) error {
	api := c.Client.RbacV1().ClusterRoles()
	for range 10 {
		list, err := api.List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		changed := false
		for _, role := range list.Items {
			if role.AggregationRule == nil {
				continue
			}
			var rules []rbacv1.PolicyRule
			for _, sel := range role.AggregationRule.ClusterRoleSelectors {
				s, err := metav1.LabelSelectorAsSelector(&sel)
				if err != nil {
					return err
				}
				for _, other := range list.Items {
					if other.Name == role.Name || !s.Matches(labels.Set(other.Labels)) {
						continue
					}
					for _, r := range other.Rules {
						if !slices.ContainsFunc(rules, func(x rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(x, r) }) {
							rules = append(rules, r)
						}
					}
				}
			}
			if equality.Semantic.DeepEqual(rules, role.Rules) {
				continue
			}
			role.Rules = rules
			if _, err := api.Update(ctx, &role, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("aggregating ClusterRole %s: %w", role.Name, err)
			}
			changed = true
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("ClusterRole aggregation does not settle")
}
