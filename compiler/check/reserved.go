package check

import (
	"slices"
	"strings"
)

// reservedNamespaces are the namespaces of Kubernetes, Flux, and Kubeflow v1.11 with
// what it runs on (kubeflow/manifests' namespaces): a tenant of one of these names would
// have mlc relabel the namespace, bind its contributors there and, once the tenant is
// removed, have Flux prune it. A name ending in "*" covers every name it starts.
var reservedNamespaces = []string{
	"default", "kube-*", "flux-system",
	"kubeflow", "kubeflow-system", "istio-system", "istio-ingress", "cert-manager", "auth", "oauth2-proxy",
	"knative-serving", "knative-eventing", "kserve", "argo", "dex", "jobset-system", "lws-system",
	"kubeflow-user-example-com",
	"notebook-controller-system", "tensorboard-controller-system", "profiles-system",
	"feast-operator-system", "spark-operator", "kueue-system", "volcano-system", "local-path-storage",
}

// reservedBy returns the entry of reserved that name matches, or "".
func reservedBy(name string, reserved []string) string {
	i := slices.IndexFunc(reserved, func(r string) bool {
		if prefix, ok := strings.CutSuffix(r, "*"); ok {
			return strings.HasPrefix(name, prefix)
		}
		return name == r
	})
	if i < 0 {
		return ""
	}
	return reserved[i]
}

// reservedName reports a tenant named after a namespace the cluster or the platform
// keeps for itself.
func (r *reporter) reservedName(name string, policy []string) {
	if by := reservedBy(name, reservedNamespaces); by != "" {
		r.errorf("tenant", "%q is a namespace the cluster, Flux or Kubeflow keeps for itself (%s): a tenant cannot be named so; rename the folder tenants/%s", name, by, name)
	} else if by := reservedBy(name, policy); by != "" {
		r.errorf("tenant", "%q is reserved by the platform's policy.reservedNamespaces (%s): a tenant cannot be named so; rename the folder tenants/%s", name, by, name)
	}
}
