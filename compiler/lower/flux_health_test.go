package lower

import (
	"context"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/fluxcd/pkg/apis/kustomize"
	"github.com/fluxcd/pkg/runtime/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestNotebookHealthCheck evaluates the Notebook health check the tenant's Kustomization
// carries with Flux's own evaluator, on a Notebook as the controller leaves it at each
// step: just created, pulling an image that does not exist, running. Before the
// Notebook controller writes a status (at once, on its first reconcile), no CEL
// expression can read one: Flux reports the error and polls on, as for every CEL check.
func TestNotebookHealthCheck(t *testing.T) {
	t.Parallel()
	expr := healthChecked["Notebook"]
	eval, err := cel.NewStatusEvaluator(&kustomize.HealthCheckExpressions{
		Current: expr["current"].(string), Failed: expr["failed"].(string),
	})
	if err != nil {
		t.Fatal(err)
	}
	noStatus := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": map[string]any{"name": "dev"}}}
	if _, err := eval.Evaluate(context.Background(), noStatus); err == nil {
		t.Error("a Notebook without status was judged: the expressions no longer read status first")
	}
	for _, tc := range []struct {
		name   string
		status map[string]any
		want   status.Status
	}{
		{"empty status", map[string]any{}, status.InProgressStatus},
		{"image not found", map[string]any{"containerState": map[string]any{"waiting": map[string]any{"reason": "ImagePullBackOff"}}}, status.FailedStatus},
		{"creating", map[string]any{"containerState": map[string]any{"waiting": map[string]any{"reason": "ContainerCreating"}}, "readyReplicas": int64(0)}, status.InProgressStatus},
		{"running", map[string]any{"readyReplicas": int64(1), "containerState": map[string]any{"running": map[string]any{}}}, status.CurrentStatus},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := map[string]any{"apiVersion": "kubeflow.org/v1", "kind": "Notebook",
				"metadata": map[string]any{"name": "dev", "namespace": "team-a", "generation": int64(1)},
				"spec":     map[string]any{"template": map[string]any{}}}
			if tc.status != nil {
				obj["status"] = tc.status
			}
			res, err := eval.Evaluate(context.Background(), &unstructured.Unstructured{Object: obj})
			if err != nil {
				t.Fatalf("Flux cannot evaluate the health check: %v", err)
			}
			if res.Status != tc.want {
				t.Errorf("status %s, want %s", res.Status, tc.want)
			}
		})
	}
}
