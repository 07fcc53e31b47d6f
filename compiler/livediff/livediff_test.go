package livediff

import (
	"errors"
	"reflect"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/object"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestNormalizeKeepsWhatUsersDeclare(t *testing.T) {
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

func TestErrorClasses(t *testing.T) {
	nsGone := apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "audio")
	pvcGone := apierrors.NewNotFound(schema.GroupResource{Resource: "persistentvolumeclaims"}, "x")
	invalid := apierrors.NewInvalid(schema.GroupKind{Kind: "PersistentVolumeClaim"}, "x", nil)
	if !namespaceMissing(nsGone) || namespaceMissing(pvcGone) || namespaceMissing(errors.New("namespaces")) {
		t.Error("namespaceMissing: want true only for the API server's NotFound of a namespace")
	}
	if !objectFault(invalid) || objectFault(apierrors.NewUnauthorized("no")) || objectFault(errors.New("connection refused")) {
		t.Error("objectFault: want an invalid object at fault, and credentials or network problems not")
	}
}
