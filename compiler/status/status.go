// Package status reads, from a cluster, how far Flux has rolled out what `mlc push`
// published: per tenant (and for the platform) the revision fetched and applied, the
// Kustomization's Ready condition and last error, and the health of the tenant's
// workloads, judged as Flux judges them (kstatus, and the Kustomization's own CEL
// health-check expressions).
package status

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/fluxcd/cli-utils/pkg/object"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/apis/meta"
	"github.com/fluxcd/pkg/runtime/cel"
	"github.com/fluxcd/pkg/runtime/conditions"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/mlc-gitops/mlc/compiler/kubeflow"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// Platform is the name shown for the platform's artifact, beside the tenants' names.
const Platform = "(platform)"

// PipelinesSuffix follows a tenant's name for the Kustomization that applies its
// pipelines: "vision (pipelines)".
const PipelinesSuffix = " (pipelines)"

// Components prefixes the name of a unit of the Kubeflow a cluster installs, in place of
// a tenant's: "(kubeflow)/kubeflow-katib".
const Components = "(kubeflow)/"

// Condition is one condition of a Flux object, as Flux reports it.
type Condition struct {
	Status  metav1.ConditionStatus `json:"status"`
	Reason  string                 `json:"reason,omitempty"`
	Message string                 `json:"message,omitempty"`
}

// Workload is the health of one of a tenant's workloads.
type Workload struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Health is kstatus's verdict (Current, InProgress, Failed, Terminating, NotFound,
	// Unknown), or Stopped for a notebook its owner stopped.
	Health  string `json:"health"`
	Message string `json:"message,omitempty"`
	// Job is set for kinds that run to completion (training jobs, experiments).
	Job bool `json:"job,omitempty"`
}

// Healthy reports whether the workload is as it should be: serving (or stopped on
// purpose); for a job or experiment, not failed.
func (w Workload) Healthy() bool {
	if w.Job {
		return w.Health != string(status.FailedStatus)
	}
	return w.Health == string(status.CurrentStatus) || w.Health == Stopped
}

// Stopped is the health of a notebook stopped on purpose.
const Stopped = "Stopped"

// stoppedAnnotation is how Kubeflow marks a notebook its owner stopped.
const stoppedAnnotation = "kubeflow-resource-stopped"

// Unit is one artifact's rollout: the platform's (in flux-system) or a tenant's (in its
// namespace).
type Unit struct {
	// Tenant is the tenant's name, or Platform.
	Tenant    string `json:"tenant"`
	Namespace string `json:"namespace"`
	// Found is false when the cluster has no Kustomization for it (yet).
	Found bool `json:"found"`
	// URL and Tag are what the OCIRepository follows.
	URL string `json:"url,omitempty"`
	Tag string `json:"tag,omitempty"`
	// Fetched is the revision source-controller holds, "<tag>@sha256:<digest>".
	Fetched string `json:"fetched,omitempty"`
	// Source is the OCIRepository's Ready condition.
	Source *Condition `json:"source,omitempty"`
	// Applied is the revision last applied and healthy; Attempted the last one tried.
	Applied   string `json:"applied,omitempty"`
	Attempted string `json:"attempted,omitempty"`
	// Ready is the Kustomization's Ready condition.
	Ready   *Condition `json:"ready,omitempty"`
	Stalled bool       `json:"stalled,omitempty"`
	// Reconciling is true while kustomize-controller works on it (not while a failure
	// waits for its retry).
	Reconciling bool `json:"reconciling,omitempty"`
	Suspended   bool `json:"suspended,omitempty"`
	// Current is false while the controller has not yet seen the latest spec.
	Current bool `json:"current"`
	// Inventory counts the objects Flux applied and tracks.
	Inventory int        `json:"inventory"`
	Workloads []Workload `json:"workloads,omitempty"`

	insecure bool // the OCIRepository pulls over plain HTTP
}

// Digest returns the digest part of a Flux revision ("prod@sha256:abc" → "sha256:abc").
func Digest(revision string) string {
	if i := strings.LastIndex(revision, "@"); i >= 0 {
		return revision[i+1:]
	}
	return revision
}

// LastError is what failed last, from the Kustomization or its source; empty when
// nothing did.
func (u Unit) LastError() string {
	if u.Source != nil && u.Source.Status == metav1.ConditionFalse {
		return "source: " + u.Source.Reason + ": " + u.Source.Message
	}
	if u.Ready != nil && u.Ready.Status == metav1.ConditionFalse {
		return u.Ready.Reason + ": " + u.Ready.Message
	}
	return ""
}

// Report is the rollout of every artifact of a cluster: the platform first, then the
// tenants by name.
type Report struct {
	Units []Unit `json:"units"`
}

// Reader reads Flux's objects and the tenants' workloads from a cluster.
type Reader struct {
	dyn  dynamic.Interface
	disc discovery.DiscoveryInterface
}

// NewReader makes a Reader for the cluster cfg points at.
func NewReader(cfg *rest.Config) (*Reader, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Reader{dyn: dyn, disc: disc}, nil
}

var (
	kustomizations = kustomizev1.GroupVersion.WithResource("kustomizations")
	ociRepos       = sourcev1.GroupVersion.WithResource("ocirepositories")
)

// workloadKinds are the kinds whose health is a tenant's health, with their resources.
var workloadKinds = map[schema.GroupKind]schema.GroupVersionResource{
	{Group: "kubeflow.org", Kind: "Notebook"}:              {Group: "kubeflow.org", Version: "v1", Resource: "notebooks"},
	{Group: "serving.kserve.io", Kind: "InferenceService"}: {Group: "serving.kserve.io", Version: "v1beta1", Resource: "inferenceservices"},
}

// jobKinds run to completion: running is as healthy as done, only a failure is not.
var jobKinds = map[schema.GroupKind]schema.GroupVersionResource{
	{Group: "trainer.kubeflow.org", Kind: "TrainJob"}: {Group: "trainer.kubeflow.org", Version: "v1alpha1", Resource: "trainjobs"},
	{Group: "kubeflow.org", Kind: "PyTorchJob"}:       {Group: "kubeflow.org", Version: "v1", Resource: "pytorchjobs"},
	{Group: "kubeflow.org", Kind: "TFJob"}:            {Group: "kubeflow.org", Version: "v1", Resource: "tfjobs"},
	{Group: "kubeflow.org", Kind: "XGBoostJob"}:       {Group: "kubeflow.org", Version: "v1", Resource: "xgboostjobs"},
	{Group: "kubeflow.org", Kind: "MPIJob"}:           {Group: "kubeflow.org", Version: "v1", Resource: "mpijobs"},
	{Group: "kubeflow.org", Kind: "JAXJob"}:           {Group: "kubeflow.org", Version: "v1", Resource: "jaxjobs"},
	{Group: "kubeflow.org", Kind: "PaddleJob"}:        {Group: "kubeflow.org", Version: "v1", Resource: "paddlejobs"},
	{Group: "kubeflow.org", Kind: "Experiment"}:       {Group: "kubeflow.org", Version: "v1beta1", Resource: "experiments"},
}

func init() {
	for gk, res := range jobKinds {
		workloadKinds[gk] = res
	}
}

// ErrNoFlux is returned when the cluster does not serve Flux's APIs.
var ErrNoFlux = errors.New("the cluster does not serve Flux's Kustomization and OCIRepository APIs (kustomize.toolkit.fluxcd.io/v1, source.toolkit.fluxcd.io/v1): install Flux first")

// Read reads the rollout of the platform and of every tenant: those the platform's
// Kustomization applied, those with a Kustomization in the cluster, and those named in
// also. With only, it reads just those tenants (and the platform).
func (r *Reader) Read(ctx context.Context, also, only []string) (*Report, error) {
	if err := r.checkFlux(); err != nil {
		return nil, err
	}
	// Two lists, however many tenants: every Kustomization and OCIRepository.
	snap := snapshot{}
	for _, res := range []schema.GroupVersionResource{kustomizations, ociRepos} {
		list, err := r.dyn.Resource(res).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", res.Resource, err)
		}
		for i := range list.Items {
			o := &list.Items[i]
			snap[res.Resource+"/"+o.GetNamespace()+"/"+o.GetName()] = o
		}
	}
	platform, err := snap.unit(Platform, names.FluxNamespace, names.PlatformFluxName)
	if err != nil {
		return nil, err
	}
	tenants := map[string]bool{}
	for _, t := range also {
		tenants[t] = true
	}
	// The tenants the platform's last apply created...
	if platform.Found {
		for _, id := range platform.inventory {
			if id.GroupKind.Group == kustomizev1.GroupVersion.Group && id.GroupKind.Kind == kustomizev1.KustomizationKind && id.Name == names.TenantFluxName {
				tenants[id.Namespace] = true
			}
		}
	}
	// ... and any left in the cluster, such as one the platform failed to prune.
	for key := range snap {
		if p := strings.Split(key, "/"); p[0] == kustomizations.Resource && p[2] == names.TenantFluxName {
			tenants[p[1]] = true
		}
	}
	if len(only) > 0 {
		for t := range tenants {
			if !slices.Contains(only, t) {
				delete(tenants, t)
			}
		}
		for _, t := range only {
			tenants[t] = true
		}
	}
	workloads, err := r.listWorkloads(ctx, slices.Collect(maps.Keys(tenants)))
	if err != nil {
		return nil, err
	}
	rep := &Report{Units: []Unit{platform.Unit}}
	// The Kubeflow the cluster installs: the components Kustomization and one per unit.
	var installs []string
	for key := range snap {
		p := strings.Split(key, "/")
		if p[0] == kustomizations.Resource && p[1] == names.FluxNamespace && (p[2] == kubeflow.FluxName || strings.HasPrefix(p[2], "kubeflow-")) {
			installs = append(installs, p[2])
		}
	}
	for _, name := range slices.Sorted(slices.Values(installs)) {
		u, err := snap.unit(Components+name, names.FluxNamespace, name)
		if err != nil {
			return nil, err
		}
		rep.Units = append(rep.Units, u.Unit)
	}
	for _, t := range slices.Sorted(maps.Keys(tenants)) {
		u, err := snap.unit(t, t, names.TenantFluxName)
		if err != nil {
			return nil, err
		}
		if u.Found {
			if u.Workloads, err = health(ctx, u.kustomization, u.inventory, workloads); err != nil {
				return nil, fmt.Errorf("%s: %w", t, err)
			}
		}
		rep.Units = append(rep.Units, u.Unit)
		// Its pipelines, applied first by a Kustomization of their own.
		if _, ok := snap[kustomizations.Resource+"/"+t+"/"+names.TenantPipelinesFluxName]; ok {
			p, err := snap.unit(t+PipelinesSuffix, t, names.TenantPipelinesFluxName)
			if err != nil {
				return nil, err
			}
			rep.Units = append(rep.Units, p.Unit)
		}
	}
	return rep, nil
}

func (r *Reader) checkFlux() error {
	for _, gv := range []schema.GroupVersion{kustomizev1.GroupVersion, sourcev1.GroupVersion} {
		res, err := r.disc.ServerResourcesForGroupVersion(gv.String())
		if apierrors.IsNotFound(err) {
			return ErrNoFlux
		}
		if err != nil {
			return fmt.Errorf("reaching the cluster: %w", err)
		}
		found := false
		for _, a := range res.APIResources {
			found = found || a.Name == kustomizations.Resource || a.Name == ociRepos.Resource
		}
		if !found {
			return ErrNoFlux
		}
	}
	return nil
}

// unit is a Unit with what the Reader needs to go on.
type unit struct {
	Unit
	kustomization *kustomizev1.Kustomization
	inventory     []object.ObjMetadata
}

// snapshot holds the Flux objects read, by "<resource>/<namespace>/<name>".
type snapshot map[string]*unstructured.Unstructured

func (s snapshot) unit(tenant, ns, name string) (*unit, error) {
	u := &unit{Unit: Unit{Tenant: tenant, Namespace: ns}}
	var k kustomizev1.Kustomization
	if found, err := s.get(kustomizations, ns, name, &k); err != nil || !found {
		return u, err
	}
	u.Found = true
	u.kustomization = &k
	u.Applied = k.Status.LastAppliedRevision
	u.Attempted = k.Status.LastAttemptedRevision
	u.Ready = condition(&k, meta.ReadyCondition)
	u.Stalled = conditions.IsStalled(&k)
	// A failure waiting for its retry stays Reconciling, with reason ProgressingWithRetry.
	u.Reconciling = conditions.IsReconciling(&k) && conditions.GetReason(&k, meta.ReconcilingCondition) != meta.ProgressingWithRetryReason
	u.Suspended = k.Spec.Suspend
	u.Current = k.Status.ObservedGeneration == k.Generation
	if k.Status.Inventory != nil {
		u.Inventory = len(k.Status.Inventory.Entries)
		for _, e := range k.Status.Inventory.Entries {
			id, err := object.ParseObjMetadata(e.ID)
			if err != nil {
				return nil, fmt.Errorf("Kustomization %s/%s: inventory entry %q: %w", ns, name, e.ID, err)
			}
			u.inventory = append(u.inventory, id)
		}
	}
	if k.Spec.SourceRef.Kind == sourcev1.OCIRepositoryKind {
		srcNS := k.Spec.SourceRef.Namespace
		if srcNS == "" {
			srcNS = ns
		}
		var src sourcev1.OCIRepository
		found, err := s.get(ociRepos, srcNS, k.Spec.SourceRef.Name, &src)
		if err != nil {
			return nil, err
		}
		if found {
			u.URL = src.Spec.URL
			u.insecure = src.Spec.Insecure
			if src.Spec.Reference != nil {
				u.Tag = src.Spec.Reference.Tag
			}
			if a := src.GetArtifact(); a != nil {
				u.Fetched = a.Revision
			}
			u.Source = condition(&src, meta.ReadyCondition)
		}
	}
	return u, nil
}

// get decodes an object of the snapshot into a Flux API type; found is false when the
// cluster does not have it.
func (s snapshot) get(res schema.GroupVersionResource, ns, name string, into runtime.Object) (found bool, err error) {
	obj := s[res.Resource+"/"+ns+"/"+name]
	if obj == nil {
		return false, nil
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, into); err != nil {
		return false, fmt.Errorf("decoding %s %s/%s: %w", res.Resource, ns, name, err)
	}
	return true, nil
}

func condition(obj conditions.Getter, t string) *Condition {
	c := conditions.Get(obj, t)
	if c == nil {
		return nil
	}
	return &Condition{Status: c.Status, Reason: c.Reason, Message: c.Message}
}

// workloadKey is a workload in the cluster.
type workloadKey struct {
	gk        schema.GroupKind
	namespace string
	name      string
}

// listWorkloads reads the tenants' workloads of every kind the cluster serves: one list
// per kind and namespace, however many workloads there are.
func (r *Reader) listWorkloads(ctx context.Context, namespaces []string) (map[workloadKey]*unstructured.Unstructured, error) {
	out := map[workloadKey]*unstructured.Unstructured{}
	if len(namespaces) == 0 {
		return out, nil
	}
	for gk, res := range workloadKinds {
		if !r.serves(res) {
			continue
		}
		lists := namespaces
		if len(namespaces) > 20 {
			lists = []string{metav1.NamespaceAll}
		}
		for _, ns := range lists {
			l, err := r.dyn.Resource(res).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, fmt.Errorf("listing %s: %w", res.Resource, err)
			}
			for i := range l.Items {
				o := &l.Items[i]
				out[workloadKey{gk, o.GetNamespace(), o.GetName()}] = o
			}
		}
	}
	return out, nil
}

func (r *Reader) serves(res schema.GroupVersionResource) bool {
	l, err := r.disc.ServerResourcesForGroupVersion(res.GroupVersion().String())
	if err != nil {
		return false
	}
	for _, a := range l.APIResources {
		if a.Name == res.Resource {
			return true
		}
	}
	return false
}

// health judges each workload in a tenant's inventory: with the Kustomization's CEL
// health-check expression for its kind when it has one, as kustomize-controller does,
// and with kstatus otherwise.
func health(ctx context.Context, k *kustomizev1.Kustomization, inv []object.ObjMetadata, objs map[workloadKey]*unstructured.Unstructured) ([]Workload, error) {
	evaluators := map[schema.GroupKind]*cel.StatusEvaluator{}
	for _, hc := range k.Spec.HealthCheckExprs {
		gv, err := schema.ParseGroupVersion(hc.APIVersion)
		if err != nil {
			return nil, err
		}
		ev, err := cel.NewStatusEvaluator(&hc.HealthCheckExpressions)
		if err != nil {
			return nil, fmt.Errorf("health check of %s: %w", hc.Kind, err)
		}
		evaluators[schema.GroupKind{Group: gv.Group, Kind: hc.Kind}] = ev
	}
	var out []Workload
	for _, id := range inv {
		if _, ok := workloadKinds[id.GroupKind]; !ok {
			continue
		}
		_, job := jobKinds[id.GroupKind]
		w := Workload{Kind: id.GroupKind.Kind, Name: id.Name, Job: job}
		o := objs[workloadKey{id.GroupKind, id.Namespace, id.Name}]
		switch {
		case o == nil:
			w.Health, w.Message = string(status.NotFoundStatus), "applied by Flux, but not in the cluster"
		case o.GetAnnotations()[stoppedAnnotation] != "":
			w.Health, w.Message = Stopped, "stopped by its owner"
		case o.Object["status"] == nil:
			// A CEL health check cannot read a missing status (Flux reports the evaluation
			// error until the controller writes one): it is simply not ready yet.
			w.Health, w.Message = string(status.InProgressStatus), "no status yet: its controller has not reported on it"
		default:
			var res *status.Result
			var err error
			if ev := evaluators[id.GroupKind]; ev != nil {
				res, err = ev.Evaluate(ctx, o)
			} else if job {
				res = jobStatus(o)
			} else {
				res, err = status.Compute(o)
			}
			if err != nil {
				w.Health, w.Message = string(status.UnknownStatus), err.Error()
			} else {
				w.Health, w.Message = string(res.Status), res.Message
			}
		}
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b Workload) int {
		return strings.Compare(a.Kind+"/"+a.Name, b.Kind+"/"+b.Name)
	})
	return out, nil
}

// jobStatus reads the conditions Kubeflow's training jobs and Katib's experiments share:
// Failed, or Succeeded (Complete for TrainJob); anything else is still running.
func jobStatus(o *unstructured.Unstructured) *status.Result {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["status"] != "True" {
			continue
		}
		msg, _ := m["message"].(string)
		switch m["type"] {
		case "Failed":
			return &status.Result{Status: status.FailedStatus, Message: msg}
		case "Succeeded", "Complete":
			return &status.Result{Status: status.CurrentStatus, Message: "finished"}
		}
	}
	return &status.Result{Status: status.InProgressStatus, Message: "running"}
}
