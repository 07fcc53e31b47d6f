package e2etest_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/emit"
	"github.com/mlc-gitops/mlc/internal/e2etest"
)

// TestQuickstartAcceptedByAPIServer renders examples/quickstart and sends every object
// to a real kube-apiserver that has the upstream CRDs: first a server-side dry run, then
// a real create, both with strict field validation, so that a field the schema does not
// know is an error instead of being silently pruned. The prod cluster's objects are
// created; the staging cluster's (the same tenants' objects, other Flux wiring) are
// applied as a dry run over them.
func TestQuickstartAcceptedByAPIServer(t *testing.T) {
	c := e2etest.New(t, e2etest.Options{CRDs: append(e2etest.RequireUpstreamCRDs(t), e2etest.FluxCRDs()...)})
	ctx := context.Background()
	// Flux's namespace, where an installed Flux runs and the bootstrap goes.
	if err := c.CreateNamespace(ctx, "flux-system"); err != nil {
		t.Fatal(err)
	}

	res, err := compiler.Compile(ctx, filepath.Join("..", "..", "examples", "quickstart"), compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	tree, err := emit.Build(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, cluster := range tree.Clusters() {
		objs, err := e2etest.DecodeYAML(tree.Stream(cluster))
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) == 0 {
			t.Fatalf("%s: nothing rendered", cluster)
		}
		for _, o := range objs {
			id := cluster + ": " + o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
			if o.Object["sops"] != nil {
				continue // a SOPS-encrypted Secret: Flux applies it decrypted (TestGitOpsLoopOnARealCluster)
			}
			if cluster == "prod" {
				if _, err := c.Create(ctx, o, true); err != nil {
					t.Errorf("%s: dry run refused: %v", id, err)
					continue
				}
				if _, err := c.Create(ctx, o, false); err != nil {
					t.Errorf("%s: create refused: %v", id, err)
				}
				continue
			}
			r, err := c.Resource(o)
			if err != nil {
				t.Errorf("%s: %v", id, err)
				continue
			}
			data, err := json.Marshal(o.Object)
			if err != nil {
				t.Fatal(err)
			}
			force := true
			_, err = r.Patch(ctx, o.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
				FieldManager: e2etest.FieldManager, Force: &force,
				DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict,
			})
			if err != nil {
				t.Errorf("%s: dry-run apply refused: %v", id, err)
			}
		}
		t.Logf("%s: %d objects accepted", cluster, len(objs))
	}
}
