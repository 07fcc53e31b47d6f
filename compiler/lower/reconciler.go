package lower

import (
	"slices"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// AppliedKind is a kind mlc writes into tenants' artifacts, as RBAC names it: its API
// group and resource.
type AppliedKind struct {
	Group, Kind, Resource string
}

// tenantKinds are every kind lowering puts in Output.Workloads: what Flux applies, as
// the tenant's reconciler, from a tenant's artifact. A kind lowering writes that is not
// here cannot be applied; TestTenantKinds lowers every declaration for every target and
// fails on one.
var tenantKinds = []AppliedKind{
	{"", "ConfigMap", "configmaps"},
	{"", "PersistentVolumeClaim", "persistentvolumeclaims"},
	{"", "Secret", "secrets"},
	{"", "ServiceAccount", "serviceaccounts"},
	{"batch", "CronJob", "cronjobs"},
	{"external-secrets.io", "ExternalSecret", "externalsecrets"},
	{"kubeflow.org", "Experiment", "experiments"},
	{"kubeflow.org", "JAXJob", "jaxjobs"},
	{"kubeflow.org", "MPIJob", "mpijobs"},
	{"kubeflow.org", "Notebook", "notebooks"},
	{"kubeflow.org", "PaddleJob", "paddlejobs"},
	{"kubeflow.org", "PodDefault", "poddefaults"},
	{"kubeflow.org", "PyTorchJob", "pytorchjobs"},
	{"kubeflow.org", "TFJob", "tfjobs"},
	{"kubeflow.org", "XGBoostJob", "xgboostjobs"},
	{"kueue.x-k8s.io", "LocalQueue", "localqueues"},
	{"pipelines.kubeflow.org", "Pipeline", "pipelines"},
	{"pipelines.kubeflow.org", "PipelineVersion", "pipelineversions"},
	{"serving.kserve.io", "InferenceService", "inferenceservices"},
	{"serving.kserve.io", "ServingRuntime", "servingruntimes"},
	{"trainer.kubeflow.org", "TrainJob", "trainjobs"},
}

// TenantKinds returns the kinds a tenant's artifact may hold, which the reconciler's
// Role grants FluxVerbs on.
func TenantKinds() []AppliedKind { return slices.Clone(tenantKinds) }

// FluxVerbs are the verbs Flux's kustomize-controller uses on the objects it applies
// (github.com/fluxcd/pkg/ssa): get, to read the live object before its dry run and
// before pruning it; list, for the health checks' status reader, which lists a kind in
// the namespace; patch, for server-side apply and its dry run; create, which the API
// server also asks of an apply that creates the object; delete, to prune, and to
// recreate an object whose immutable field changed. Flux watches none of them.
var FluxVerbs = []string{"create", "delete", "get", "list", "patch"}

// reconcilerRole is the Role that lets the tenant's reconciler apply its artifact: the
// FluxVerbs on every kind a tenant's artifact may hold, whatever the tenant declares
// today (a kind the tenant stops declaring must still be pruned). Kubeflow's edit role,
// to which flux.tenantRole binds the reconciler too, lacks some of them: patch on
// PodDefaults (their edit role aggregates get, list and watch), on Pipelines and
// PipelineVersions (KFP's gives create, delete, update, get, list), every verb on
// ExternalSecrets (External Secrets is not Kubeflow's), and everything on Kueue's
// LocalQueues (Kueue's own batch-admin and batch-user roles are not aggregated into
// Kubeflow's, and Kubeflow does not install Kueue). A Role rather than
// a ClusterRole: it grants nothing outside the tenant's namespace and needs no object
// outside the tenant's folder.
func reconcilerRole(ns string) []manifest.Object {
	var rules []any
	for i := 0; i < len(tenantKinds); {
		group := tenantKinds[i].Group
		var resources []any
		for ; i < len(tenantKinds) && tenantKinds[i].Group == group; i++ {
			resources = append(resources, tenantKinds[i].Resource)
		}
		rules = append(rules, map[string]any{
			"apiGroups": []any{group},
			"resources": resources,
			"verbs":     strings2any(FluxVerbs),
		})
	}
	return []manifest.Object{
		{
			Source: "tenant",
			Content: map[string]any{
				"apiVersion": "rbac.authorization.k8s.io/v1",
				"kind":       "Role",
				"metadata":   map[string]any{"name": names.ReconcilerRoleName, "namespace": ns},
				"rules":      rules,
			},
		},
		reconcilerBinding(ns, names.ReconcilerRoleName, "Role", names.ReconcilerRoleName),
	}
}

// reconcilerBinding binds the tenant's reconciler to a role in its namespace.
func reconcilerBinding(ns, name, roleKind, role string) manifest.Object {
	return manifest.Object{
		Source: "tenant",
		Content: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1",
			"kind":       "RoleBinding",
			"metadata":   map[string]any{"name": name, "namespace": ns},
			"roleRef":    map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": roleKind, "name": role},
			"subjects":   []any{map[string]any{"kind": "ServiceAccount", "name": names.ReconcilerName, "namespace": ns}},
		},
	}
}

// AppliedFirst reports whether an object of a tenant's artifact is applied before the
// rest, by the Kustomization TenantPipelinesFluxName from the artifact's PipelinesDir:
// a Pipeline. KFP's webhook refuses a PipelineVersion, even in a dry run, while its
// Pipeline does not exist, and Flux dry-runs every object of a stage before applying
// any, so that the two cannot be applied together.
func AppliedFirst(o manifest.Object) bool {
	return o.Kind() == "Pipeline" && o.APIVersion() == pipelinesAPI
}
