package livediff

import (
	"errors"
	"reflect"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/object"
	ssaerrors "github.com/fluxcd/pkg/ssa/errors"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

func TestNormalizeKeepsWhatUsersDeclare(t *testing.T) {
	t.Parallel()
	live := map[string]any{
		"apiVersion": "kubeflow.org/v1",
		"kind":       "Notebook",
		"metadata": map[string]any{
			"name": "dev", "namespace": "vision",
			"uid": "1", "resourceVersion": "7", "generation": int64(3), "creationTimestamp": "2026-11-28T00:00:00Z",
			"managedFields": []any{map[string]any{"manager": "kustomize-controller"}},
			"labels":        map[string]any{"kustomize.toolkit.fluxcd.io/name": "mlc-tenant"},
			"annotations":   map[string]any{"kubectl.kubernetes.io/last-applied-configuration": "{}"},
		},
		"spec":   map[string]any{"replicas": int64(1)},
		"status": map[string]any{"readyReplicas": int64(1)},
	}
	got := normalizeLive(live)
	want := map[string]any{
		"apiVersion": "kubeflow.org/v1",
		"kind":       "Notebook",
		"metadata": map[string]any{
			"name": "dev", "namespace": "vision",
			"labels": map[string]any{"kustomize.toolkit.fluxcd.io/name": "mlc-tenant"},
		},
		"spec": map[string]any{"replicas": got["spec"].(map[string]any)["replicas"]},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("normalizeLive:\n got %v\nwant %v", got, want)
	}
	if _, ok := live["status"]; !ok {
		t.Error("normalizeLive changed its argument")
	}
}

func TestOwnerTenant(t *testing.T) {
	t.Parallel()
	id := func(ns, name, group, kind string) object.ObjMetadata {
		return object.ObjMetadata{Namespace: ns, Name: name, GroupKind: schema.GroupKind{Group: group, Kind: kind}}
	}
	for _, c := range []struct {
		by   applier
		id   object.ObjMetadata
		want string
	}{
		{applier{"vision", "mlc-tenant"}, id("vision", "dev", "kubeflow.org", "Notebook"), "vision"},
		{platformApplier, id("nlp", "mlc-reconciler", "", "ServiceAccount"), "nlp"},
		{platformApplier, id("", "audio", "", "Namespace"), "audio"},
		{platformApplier, id("", "audio", "kubeflow.org", "Profile"), "audio"},
		{platformApplier, id("", "mlc-tenants", "rbac.authorization.k8s.io", "ClusterRole"), ""},
	} {
		if got := ownerTenant(c.by, c.id); got != c.want {
			t.Errorf("ownerTenant(%v, %v) = %q, want %q", c.by, c.id, got, c.want)
		}
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	it := item{tenant: "vision", obj: manifest.Object{Source: "notebooks.dev", Content: map[string]any{
		"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": map[string]any{"name": "dev", "namespace": "vision"},
	}}}
	sent := &unstructured.Unstructured{Object: it.obj.Content}
	dryRun := func(err error) error { return ssaerrors.NewDryRunErr(err, sent) }
	gk := schema.GroupKind{Group: "kubeflow.org", Kind: "Notebook"}
	for _, c := range []struct {
		name string
		err  error
		want string // the message; empty when the error is not the object's fault
	}{
		{"invalid", dryRun(apierrors.NewInvalid(gk, "dev", nil)), `the cluster refuses Notebook vision/dev: Notebook.kubeflow.org "dev" is invalid`},
		{"kind not served", dryRun(&meta.NoKindMatchError{GroupKind: gk, SearchedVersions: []string{"v1"}}), "the cluster refuses Notebook vision/dev: it does not serve kubeflow.org/v1 Notebook: its CRD is not installed"},
		{"namespace missing", dryRun(apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "vision")), `the cluster refuses Notebook vision/dev: namespaces "vision" not found`},
		{"credentials", dryRun(apierrors.NewUnauthorized("no")), ""},
		{"network", dryRun(errors.New("connection refused")), ""},
		{"not a dry run", apierrors.NewInvalid(gk, "dev", nil), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := refusal(it, c.err)
			switch {
			case c.want == "" && d != nil:
				t.Errorf("refused: %+v; want an error about the cluster, not the object", d)
			case c.want == "":
			case d == nil:
				t.Errorf("not refused; want %q", c.want)
			case d.Message != c.want || d.Path != "notebooks.dev" || d.Severity != diag.Error:
				t.Errorf("refused %+v; want an error at notebooks.dev: %q", d, c.want)
			}
		})
	}
}

func TestNamespaceMissing(t *testing.T) {
	t.Parallel()
	nsGone := apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "audio")
	pvcGone := apierrors.NewNotFound(schema.GroupResource{Resource: "persistentvolumeclaims"}, "x")
	wrapped := ssaerrors.NewDryRunErr(nsGone, &unstructured.Unstructured{})
	if !namespaceMissing(nsGone) || !namespaceMissing(wrapped) || namespaceMissing(pvcGone) || namespaceMissing(errors.New("namespaces")) {
		t.Error("namespaceMissing: want true only for the API server's NotFound of a namespace, wrapped or not")
	}
}
