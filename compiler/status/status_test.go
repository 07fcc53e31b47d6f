package status_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/apis/kustomize"
	"github.com/fluxcd/pkg/apis/meta"
	"github.com/fluxcd/pkg/runtime/conditions"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/mlc-gitops/mlc/compiler/artifact"
	"github.com/mlc-gitops/mlc/compiler/status"
	"github.com/mlc-gitops/mlc/internal/e2etest"
)

// The tests below run against a real kube-apiserver with Flux's and Kubeflow's CRDs, but
// without Flux's controllers: they write the Flux objects' statuses through the status
// subresource, in the states kustomize-controller and source-controller report (the
// conditions, reasons and revisions they set), to cover states a real reconcile reaches
// only slowly or rarely. The end-to-end test in cmd/mlc covers the real reconcile.

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

type fixture struct {
	t   *testing.T
	c   *e2etest.Cluster
	ctx context.Context
}

func newFixture(t *testing.T) *fixture {
	crds := e2etest.RequireUpstreamCRDs(t)
	c := e2etest.New(t, e2etest.Options{CRDs: append(crds, e2etest.FluxCRDs()...)})
	f := &fixture{t: t, c: c, ctx: context.Background()}
	for _, ns := range []string{"flux-system", "vision", "nlp"} {
		if err := c.CreateNamespace(f.ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func toUnstructured(t *testing.T, obj runtime.Object) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

// put creates or replaces obj (a typed object), then writes its status as a controller
// would.
func (f *fixture) put(obj runtime.Object) {
	f.t.Helper()
	u := toUnstructured(f.t, obj)
	st, hasStatus := u.Object["status"]
	delete(u.Object, "status")
	r, err := f.c.Resource(u)
	if err != nil {
		f.t.Fatal(err)
	}
	_ = r.Delete(f.ctx, u.GetName(), metav1.DeleteOptions{})
	created, err := r.Create(f.ctx, u, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
	}
	if hasStatus {
		created.Object["status"] = st
		if _, err := f.c.UpdateStatus(f.ctx, created); err != nil {
			f.t.Fatalf("status of %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

// updateStatus rewrites the status of an existing Flux object.
func (f *fixture) updateStatus(obj runtime.Object) {
	f.t.Helper()
	u := toUnstructured(f.t, obj)
	r, err := f.c.Resource(u)
	if err != nil {
		f.t.Fatal(err)
	}
	cur, err := r.Get(f.ctx, u.GetName(), metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	cur.Object["status"] = u.Object["status"]
	if _, err := f.c.UpdateStatus(f.ctx, cur); err != nil {
		f.t.Fatal(err)
	}
}

func ociRepo(ns, name, url, fetched string) *sourcev1.OCIRepository {
	o := &sourcev1.OCIRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.OCIRepositoryKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: sourcev1.OCIRepositorySpec{
			URL: url, Reference: &sourcev1.OCIRepositoryRef{Tag: "prod"},
			Interval: metav1.Duration{Duration: 5 * time.Minute}, Insecure: true,
		},
	}
	o.Generation = 1
	if fetched != "" {
		o.Status.Artifact = &meta.Artifact{Revision: "prod@" + fetched, Digest: "sha256:abc", Path: "x", URL: "http://x", LastUpdateTime: metav1.Now()}
		o.Status.ObservedGeneration = 1
		conditions.MarkTrue(o, meta.ReadyCondition, meta.SucceededReason, "stored artifact for digest 'prod@%s'", fetched)
	}
	return o
}

// kustomization is a Kustomization in ns as mlc renders it, with the status kustomize-
// controller writes after applying applied (and attempting attempted).
func kustomization(ns, name string, inventory []string, applied, attempted string, ready metav1.ConditionStatus, reason, msg string) *kustomizev1.Kustomization {
	k := &kustomizev1.Kustomization{
		TypeMeta:   metav1.TypeMeta{APIVersion: kustomizev1.GroupVersion.String(), Kind: kustomizev1.KustomizationKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: kustomizev1.KustomizationSpec{
			Interval:  metav1.Duration{Duration: 5 * time.Minute},
			Path:      "./",
			Prune:     true,
			SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.OCIRepositoryKind, Name: name},
			HealthCheckExprs: []kustomize.CustomHealthCheck{{
				APIVersion: "kubeflow.org/v1", Kind: "Notebook",
				HealthCheckExpressions: kustomize.HealthCheckExpressions{
					Current: "has(status.readyReplicas) && status.readyReplicas >= 1",
					Failed:  "has(status.containerState) && has(status.containerState.waiting) && status.containerState.waiting.reason in ['ImagePullBackOff', 'ErrImagePull', 'CrashLoopBackOff', 'InvalidImageName']",
				},
			}},
		},
	}
	k.Status.ObservedGeneration = 1
	if applied != "" {
		k.Status.LastAppliedRevision = "prod@" + applied
	}
	if attempted != "" {
		k.Status.LastAttemptedRevision = "prod@" + attempted
	}
	if inventory != nil {
		k.Status.Inventory = &kustomizev1.ResourceInventory{}
		for _, id := range inventory {
			k.Status.Inventory.Entries = append(k.Status.Inventory.Entries, kustomizev1.ResourceRef{ID: id, Version: "v1"})
		}
	}
	switch ready {
	case metav1.ConditionTrue:
		conditions.MarkTrue(k, meta.ReadyCondition, reason, "%s", msg)
	case metav1.ConditionFalse:
		conditions.MarkFalse(k, meta.ReadyCondition, reason, "%s", msg)
		conditions.MarkReconciling(k, meta.ProgressingWithRetryReason, "%s", msg)
	case metav1.ConditionUnknown:
		conditions.MarkUnknown(k, meta.ReadyCondition, reason, "%s", msg)
		conditions.MarkReconciling(k, reason, "%s", msg)
	}
	return k
}

func (f *fixture) notebook(ns, name string, status map[string]any, stopped bool) {
	f.t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kubeflow.org/v1", "kind": "Notebook",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": name, "image": "ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:v1.10.0"}},
		}}},
	}}
	if stopped {
		u.SetAnnotations(map[string]string{"kubeflow-resource-stopped": "2026-01-01T00:00:00Z"})
	}
	f.putUnstructured(u, status)
}

func (f *fixture) inferenceService(ns, name string, ready metav1.ConditionStatus) {
	f.t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{"predictor": map[string]any{"model": map[string]any{
			"modelFormat": map[string]any{"name": "sklearn"}, "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model",
		}}},
	}}
	f.putUnstructured(u, map[string]any{
		"observedGeneration": int64(1),
		"conditions": []any{map[string]any{
			"type": "Ready", "status": string(ready), "lastTransitionTime": "2026-01-01T00:00:00Z",
		}},
	})
}

func (f *fixture) putUnstructured(u *unstructured.Unstructured, st map[string]any) {
	f.t.Helper()
	r, err := f.c.Resource(u)
	if err != nil {
		f.t.Fatal(err)
	}
	_ = r.Delete(f.ctx, u.GetName(), metav1.DeleteOptions{})
	created, err := r.Create(f.ctx, u, metav1.CreateOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	if st != nil {
		created.Object["status"] = st
		if _, err := r.UpdateStatus(f.ctx, created, metav1.UpdateOptions{}); err != nil {
			f.t.Fatal(err)
		}
	}
}

func readyNotebook() map[string]any {
	return map[string]any{"conditions": []any{}, "containerState": map[string]any{"running": map[string]any{"startedAt": "2026-01-01T00:00:00Z"}}, "readyReplicas": int64(1)}
}

func pullingNotebook(reason string) map[string]any {
	return map[string]any{"conditions": []any{}, "containerState": map[string]any{"waiting": map[string]any{"reason": reason, "message": "Back-off pulling image"}}, "readyReplicas": int64(0)}
}

const (
	reg        = "oci://registry.example.com/ml/prod"
	platformID = "vision_mlc-tenant_kustomize.toolkit.fluxcd.io_Kustomization"
)

// healthyCluster writes a cluster where the platform and both tenants applied d1 and
// every workload is healthy.
func (f *fixture) healthyCluster() {
	f.put(ociRepo("flux-system", "mlc-platform", reg+"/platform", d1))
	f.put(kustomization("flux-system", "mlc-platform", []string{"_vision__Namespace", platformID, "nlp_mlc-tenant_kustomize.toolkit.fluxcd.io_Kustomization"}, d1, d1, metav1.ConditionTrue, meta.ReconciliationSucceededReason, "Applied revision: prod@"+d1))
	f.put(ociRepo("vision", "mlc-tenant", reg+"/tenants/vision", d1))
	f.put(kustomization("vision", "mlc-tenant", []string{"vision_alice-dev_kubeflow.org_Notebook", "vision_eval_kubeflow.org_Notebook", "vision_resnet_serving.kserve.io_InferenceService", "vision_alice-dev-workspace__PersistentVolumeClaim"}, d1, d1, metav1.ConditionTrue, meta.ReconciliationSucceededReason, "Applied revision: prod@"+d1))
	f.put(ociRepo("nlp", "mlc-tenant", reg+"/tenants/nlp", d1))
	f.put(kustomization("nlp", "mlc-tenant", []string{"nlp_tokenizers_kubeflow.org_Notebook"}, d1, d1, metav1.ConditionTrue, meta.ReconciliationSucceededReason, "Applied revision: prod@"+d1))
	f.notebook("vision", "alice-dev", readyNotebook(), false)
	f.notebook("vision", "eval", pullingNotebook("ContainerCreating"), true) // stopped: not judged
	f.inferenceService("vision", "resnet", metav1.ConditionTrue)
	f.notebook("nlp", "tokenizers", readyNotebook(), false)
}

func pushed(platform, vision, nlp string) status.Expected {
	return status.Expected{reg + "/platform": platform, reg + "/tenants/vision": vision, reg + "/tenants/nlp": nlp}
}

func TestStatusAgainstAPIServer(t *testing.T) {
	f := newFixture(t)
	reader, err := status.NewReader(f.c.Config)
	if err != nil {
		t.Fatal(err)
	}
	read := func() *status.Report {
		t.Helper()
		rep, err := reader.Read(f.ctx, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	f.healthyCluster()

	t.Run("healthy", func(t *testing.T) {
		rep := read()
		if got := len(rep.Units); got != 3 {
			t.Fatalf("%d units, want the platform and 2 tenants: %+v", got, rep.Units)
		}
		if p := rep.Problems(pushed(d1, d1, d1)); len(p) != 0 {
			t.Fatalf("problems: %v", p)
		}
		if p := rep.Problems(nil); len(p) != 0 {
			t.Fatalf("problems without expectations: %v", p)
		}
		vision := rep.Units[2]
		if vision.Tenant != "vision" || len(vision.Workloads) != 3 || vision.Workloads[2].Health != status.Stopped {
			t.Fatalf("vision: %+v", vision)
		}
		var b strings.Builder
		if err := status.WriteText(&b, rep, nil); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"(platform)  prod@sha256:111111111111  True", "vision", "3/3 healthy"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("table lacks %q:\n%s", want, b.String())
			}
		}
	})

	t.Run("not yet pushed digest", func(t *testing.T) {
		p := read().Problems(pushed(d1, d2, d1))
		if len(p) != 1 || p[0].Tenant != "vision" || !strings.Contains(p[0].Message, "waiting for the source to fetch sha256:222222222222 (it has sha256:111111111111)") {
			t.Fatalf("problems: %v", p)
		}
	})

	t.Run("apply failed", func(t *testing.T) {
		msg := `ClusterRoleBinding/escalate dry-run failed (Forbidden): clusterrolebindings.rbac.authorization.k8s.io "escalate" is forbidden: User "system:serviceaccount:vision:mlc-reconciler" cannot patch resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope`
		f.updateStatus(ociRepo("vision", "mlc-tenant", reg+"/tenants/vision", d2))
		f.updateStatus(kustomization("vision", "mlc-tenant", nil, d1, d2, metav1.ConditionFalse, meta.ReconciliationFailedReason, msg))
		p := read().Problems(pushed(d1, d2, d1))
		if len(p) != 1 || p[0].Tenant != "vision" || !strings.Contains(p[0].Message, "applying sha256:222222222222 failed: ReconciliationFailed: ClusterRoleBinding/escalate dry-run failed (Forbidden)") {
			t.Fatalf("problems: %v", p)
		}
	})

	t.Run("progressing", func(t *testing.T) {
		f.updateStatus(kustomization("vision", "mlc-tenant", nil, d1, d2, metav1.ConditionUnknown, meta.ProgressingReason, "Running health checks for revision prod@"+d2+" with a timeout of 30s"))
		p := read().Problems(pushed(d1, d2, d1))
		if len(p) != 1 || !strings.Contains(p[0].Message, "applying sha256:222222222222: Ready=Unknown Progressing: Running health checks") {
			t.Fatalf("problems: %v", p)
		}
	})

	t.Run("unhealthy workload", func(t *testing.T) {
		f.healthyCluster()
		f.notebook("nlp", "tokenizers", pullingNotebook("ImagePullBackOff"), false)
		p := read().Problems(pushed(d1, d1, d1))
		if len(p) != 1 || p[0].Tenant != "nlp" || p[0].Message != "Notebook tokenizers: Failed" {
			t.Fatalf("problems: %v", p)
		}
		f.notebook("nlp", "tokenizers", readyNotebook(), false)
	})

	t.Run("wait until applied", func(t *testing.T) {
		f.healthyCluster()
		f.updateStatus(ociRepo("nlp", "mlc-tenant", reg+"/tenants/nlp", d1))
		// The rollout goes on each time the waiter reports what it waits for: the
		// source fetches d2, then the Kustomization applies it.
		steps := []func(){
			func() { f.updateStatus(ociRepo("nlp", "mlc-tenant", reg+"/tenants/nlp", d2)) },
			func() {
				f.updateStatus(kustomization("nlp", "mlc-tenant", []string{"nlp_tokenizers_kubeflow.org_Notebook"}, d2, d2, metav1.ConditionTrue, meta.ReconciliationSucceededReason, "Applied revision: prod@"+d2))
			},
		}
		ctx, cancel := context.WithTimeout(f.ctx, 30*time.Second)
		defer cancel()
		var seen []string
		_, problems, err := reader.Wait(ctx, status.WaitOptions{
			Expected: pushed(d1, d1, d2), Interval: 50 * time.Millisecond,
			Progress: func(_ *status.Report, ps []status.Problem) {
				for _, p := range ps {
					seen = append(seen, p.String())
				}
				if len(ps) > 0 && len(steps) > 0 {
					steps[0]()
					steps = steps[1:]
				}
			},
		})
		if err != nil || len(problems) != 0 {
			t.Fatalf("Wait: %v %v", problems, err)
		}
		if len(seen) == 0 || !strings.HasPrefix(seen[0], "nlp: waiting for the source to fetch sha256:222222222222") {
			t.Errorf("progress: %q", seen)
		}
	})

	t.Run("wait times out", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(f.ctx, 1500*time.Millisecond)
		defer cancel()
		_, problems, err := reader.Wait(ctx, status.WaitOptions{Expected: pushed(d1, d2, d2), Interval: 200 * time.Millisecond})
		if err != nil || len(problems) != 1 || problems[0].Tenant != "vision" {
			t.Fatalf("Wait: %v %v", problems, err)
		}
	})

	t.Run("stalled ends the wait", func(t *testing.T) {
		k := kustomization("vision", "mlc-tenant", nil, d1, d2, metav1.ConditionFalse, meta.InvalidPathReason, "path './nope' not found")
		conditions.MarkStalled(k, meta.InvalidPathReason, "path './nope' not found")
		f.updateStatus(k)
		start := time.Now()
		ctx, cancel := context.WithTimeout(f.ctx, 30*time.Second)
		defer cancel()
		_, problems, err := reader.Wait(ctx, status.WaitOptions{Expected: pushed(d1, d2, d2), Interval: 200 * time.Millisecond})
		if err != nil || len(problems) == 0 || !problems[0].Final || time.Since(start) > 10*time.Second {
			t.Fatalf("Wait: %v %v after %s", problems, err, time.Since(start))
		}
	})

	t.Run("a pushed tenant not in the cluster yet", func(t *testing.T) {
		f.healthyCluster()
		exp := pushed(d1, d1, d1)
		exp[reg+"/tenants/speech"] = d1
		rep, err := reader.Read(f.ctx, exp.Tenants("prod"), nil)
		if err != nil {
			t.Fatal(err)
		}
		p := rep.Problems(exp)
		if len(p) != 1 || p[0].Tenant != "speech" || !strings.Contains(p[0].Message, "no Kustomization speech/mlc-tenant yet") {
			t.Fatalf("problems: %v", p)
		}
	})

	t.Run("digests from the registry", func(t *testing.T) {
		registry := e2etest.NewRegistry(t)
		url := "oci://" + registry.Host + "/ml/prod/tenants/vision"
		img, err := artifact.Pack([]artifact.File{{Path: "kustomization.yaml", Data: []byte("resources: []\n")}}, artifact.Metadata{Revision: "main@sha1:0123", Created: time.Unix(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		pushedArt, err := (&artifact.Pusher{}).Push(f.ctx, strings.TrimPrefix(url, "oci://"), img, []string{"prod"})
		if err != nil {
			t.Fatal(err)
		}
		f.healthyCluster()
		f.put(ociRepo("vision", "mlc-tenant", url, d1))
		rep := read()
		// The other units are pinned, so that only the loopback registry is asked.
		exp := status.Expected{reg + "/platform": d1, reg + "/tenants/nlp": d1}
		if err := (&status.Resolver{}).Resolve(f.ctx, rep, exp); err != nil {
			t.Fatal(err)
		}
		if exp[url] != pushedArt.Digest.String() {
			t.Fatalf("resolved %s, pushed %s", exp[url], pushedArt.Digest)
		}
		p := rep.Problems(exp)
		if len(p) != 1 || !strings.Contains(p[0].Message, "waiting for the source to fetch "+pushedArt.Digest.String()[:19]) {
			t.Fatalf("problems: %v", p)
		}
	})

	t.Run("another cluster", func(t *testing.T) {
		if err := read().CheckCluster("staging"); err == nil || !strings.Contains(err.Error(), "not the artifacts of cluster \"staging\"") {
			t.Fatalf("CheckCluster: %v", err)
		}
		if err := read().CheckCluster("prod"); err != nil {
			t.Fatal(err)
		}
	})

	// Last: without Flux's CRDs the cluster has no Flux to read.
	t.Run("no Flux", func(t *testing.T) {
		for _, crd := range []string{"kustomizations.kustomize.toolkit.fluxcd.io", "ocirepositories.source.toolkit.fluxcd.io"} {
			if err := f.c.Client.Discovery().RESTClient().Delete().AbsPath("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + crd).Do(f.ctx).Error(); err != nil {
				t.Fatal(err)
			}
		}
		err := f.c.Eventually(f.ctx, 30*time.Second, "Flux APIs gone", func() (bool, error) {
			_, err := reader.Read(f.ctx, nil, nil)
			return errors.Is(err, status.ErrNoFlux), nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
