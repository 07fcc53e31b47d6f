package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/mlc-gitops/mlc/compiler/gitrev/gittest"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/internal/e2etest"
)

// fluxManager is the field manager kustomize-controller applies as.
const fluxManager = "kustomize-controller"

// TestKubeflowTakenOver takes over a Kubeflow installed the way Kubeflow's README says
// (`kustomize build example | kubectl apply --server-side`), with a contributor added
// from the dashboard, by pushing the quickstart with its Kubeflow install. Flux adopts
// what is already there: every object keeps its UID (none is deleted and created
// again), the objects mlc renders are applied by Flux from then on, the contributor's
// RoleBinding that Kubeflow's access management made is taken over under the same
// name, and what the old install has that mlc does not render is left in place.
func TestKubeflowTakenOver(t *testing.T) {
	e2etest.Require(t)
	manifests := e2etest.RequireKubeflowManifests(t)
	gittest.Isolate(t)
	t.Setenv("SOURCE_DATE_EPOCH", "")
	ctx := context.Background()
	c := e2etest.New(t, e2etest.Options{Flux: true})
	reg := e2etest.NewRegistry(t)
	s := e2etest.NewStandIns(t, c)

	// The install the team has: upstream's example, applied by kubectl.
	objs, err := e2etest.KubeflowExampleInstall()
	if err != nil {
		t.Fatal(err)
	}
	stats, errs := c.ApplyOrderedAs(ctx, "kubectl", objs, s)
	for _, err := range errs {
		if !strings.Contains(err.Error(), `Profile.kubeflow.org "$(profile-name)" is invalid`) {
			t.Fatalf("the existing install: %v", err) // upstream's own defect aside (TestKubeflowInstall)
		}
	}
	before := stats.Applied
	// A tenant's namespace with a contributor the dashboard added: Kubeflow's access
	// management writes the RoleBinding under the name mlc gives it.
	binding := lower.ContributorBindingName("bob@example.com", "edit")
	if err := c.CreateNamespace(ctx, "vision"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.RbacV1().RoleBindings("vision").Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: binding, Namespace: "vision", Annotations: map[string]string{"user": "bob@example.com", "role": "edit"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "kubeflow-edit"},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: "bob@example.com"}},
	}, metav1.CreateOptions{FieldManager: "kfam"}); err != nil {
		t.Fatal(err)
	}
	// The API server drops the namespace upstream writes on some cluster-scoped objects:
	// objects are known by what the cluster holds.
	uids := map[string]types.UID{}
	for i, o := range before {
		before[i] = liveObject(t, c, o.GetAPIVersion(), o.GetKind(), o.GetNamespace(), o.GetName())
		uids[objectKey(before[i])] = before[i].GetUID()
	}
	bindingUID := liveObject(t, c, "rbac.authorization.k8s.io/v1", "RoleBinding", "vision", binding).GetUID()
	t.Logf("the existing install: %d objects applied by kubectl", len(before))

	p := pushKubeflowQuickstart(t, c, reg, manifests, 15*time.Minute)

	rendered := renderedKeys(t, p.prod)
	var adopted, kept []string
	for _, o := range before {
		key := objectKey(o)
		live := liveObject(t, c, o.GetAPIVersion(), o.GetKind(), o.GetNamespace(), o.GetName())
		if live.GetUID() != uids[key] {
			t.Errorf("%s was deleted and created again (uid %s, before %s)", key, live.GetUID(), uids[key])
			continue
		}
		if !rendered[key] {
			kept = append(kept, key)
			continue
		}
		adopted = append(adopted, key)
		if !managedBy(live, fluxManager) {
			t.Errorf("%s: Flux manages none of its fields", key)
		}
	}
	t.Logf("taken over: %d objects adopted by Flux, %d of the old install that mlc does not render left in place", len(adopted), len(kept))
	if len(adopted) < len(before)*9/10 {
		t.Errorf("only %d of the %d objects of the old install were adopted", len(adopted), len(before))
	}
	t.Logf("left in place: %s", strings.Join(kept, ", "))
	// oauth2-proxy's Secret, which kustomize names by its content, is upstream's default
	// credential, which mlc replaces under another name: the old one stays until deleted.
	if !slices.ContainsFunc(kept, func(k string) bool { return strings.HasPrefix(k, "/Secret/oauth2-proxy/oauth2-proxy-") }) {
		t.Errorf("upstream's oauth2-proxy Secret is not among what is left in place: %v", kept)
	}

	t.Run("the dashboard's contributor taken over", func(t *testing.T) {
		live := liveObject(t, c, "rbac.authorization.k8s.io/v1", "RoleBinding", "vision", binding)
		if live.GetUID() != bindingUID {
			t.Errorf("RoleBinding %s was created again", binding)
		}
		if !managedBy(live, fluxManager) {
			t.Errorf("RoleBinding %s is not applied by Flux", binding)
		}
		// Access is the platform's to grant: the platform's Kustomization applies it.
		k := get(t, c, kustomizationAPI, "Kustomization", "flux-system", "mlc-platform")
		if id := "vision_" + binding + "_rbac.authorization.k8s.io_RoleBinding"; !slices.Contains(inventory(k), id) {
			t.Errorf("the platform's Kustomization does not hold %s: %v", id, inventory(k))
		}
	})
	t.Run("Secrets replaced by the repository's", func(t *testing.T) {
		checkDecrypted(t, c, p.prod)
	})
}

// liveObject reads an object, failing the test when it is gone.
func liveObject(t *testing.T, c *e2etest.Cluster, apiVersion, kind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	o, err := c.Get(context.Background(), apiVersion, kind, ns, name)
	if apierrors.IsNotFound(err) {
		t.Fatalf("%s %s/%s is gone", kind, ns, name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// objectKey is "<group>/<kind>/<namespace>/<name>".
func objectKey(o *unstructured.Unstructured) string {
	return strings.Join([]string{o.GroupVersionKind().Group, o.GetKind(), o.GetNamespace(), o.GetName()}, "/")
}

// managedBy tells whether manager owns fields of o.
func managedBy(o *unstructured.Unstructured, manager string) bool {
	return slices.ContainsFunc(o.GetManagedFields(), func(f metav1.ManagedFieldsEntry) bool { return f.Manager == manager })
}

// renderedKeys are the objectKeys of every object of a rendered cluster folder.
func renderedKeys(t *testing.T, dir string) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		for _, o := range readFolder(t, path) {
			keys[objectKey(o)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
