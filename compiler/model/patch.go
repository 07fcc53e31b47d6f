package model

import "slices"

// Patch is a kustomize patch, and the objects it applies to: the platform's Kubeflow
// settings and tenants' patches share the shape (#Patch).
type Patch struct {
	Patch  string       `json:"patch"`
	Target *PatchTarget `json:"target,omitempty"`
}

// PatchTarget selects the objects a patch applies to (kustomize's selector).
type PatchTarget struct {
	Group              string `json:"group,omitempty"`
	Version            string `json:"version,omitempty"`
	Kind               string `json:"kind,omitempty"`
	Name               string `json:"name,omitempty"`
	Namespace          string `json:"namespace,omitempty"`
	LabelSelector      string `json:"labelSelector,omitempty"`
	AnnotationSelector string `json:"annotationSelector,omitempty"`
}

// TenantPatch is a kustomize patch over a tenant's compiled workloads.
type TenantPatch struct {
	Patch  string       `json:"patch"`
	Target *PatchTarget `json:"target,omitempty"`
	// Clusters limits the patch to these clusters; every cluster when empty.
	Clusters []string `json:"clusters"`
}

// Kustomize returns the patch without its clusters.
func (p TenantPatch) Kustomize() Patch { return Patch{Patch: p.Patch, Target: p.Target} }

// AppliesTo reports whether the patch applies to the tenant's output for the cluster.
func (p TenantPatch) AppliesTo(cluster string) bool {
	return len(p.Clusters) == 0 || slices.Contains(p.Clusters, cluster)
}
