package diff

import (
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// notebookWithEnv is a Notebook whose container has the variables, name then value.
func notebookWithEnv(t *testing.T, name string, env ...string) manifest.Object {
	o := notebook(t, name, "ghcr.io/kubeflow/jupyter:1", 0)
	var list []any
	for i := 0; i < len(env); i += 2 {
		list = append(list, map[string]any{"name": env[i], "value": env[i+1]})
	}
	c := o.Content["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	c["env"] = list
	return o
}

// TestWritersRedact: no format shows a URI's user info, a token of a known shape or the
// value of a variable named like a secret, in changed fields, callouts, whole objects or
// diagnostics; the report itself is left as it was.
func TestWritersRedact(t *testing.T) {
	token := "ghp_" + strings.Repeat("aB3", 12)
	base := Snapshot{"prod": {"vision": {
		inferenceService(t, 10, "https://svc:oldpass@models.example.com/resnet/v3"),
		notebookWithEnv(t, "dev", "DB_PASSWORD", "oldpass", "HF_HOME", "/cache"),
	}}}
	head := Snapshot{"prod": {"vision": {
		inferenceService(t, 10, "https://svc:hunter2@models.example.com/resnet/v4"),
		notebookWithEnv(t, "dev", "DB_PASSWORD", "hunter2", "HF_HOME", "/data", "API_TOKEN", "t0ps3cret", "NOTE", token),
		notebookWithEnv(t, "new", "DB_PASSWORD", "hunter2"),
	}}}
	r, err := Compare(base, head)
	if err != nil {
		t.Fatal(err)
	}
	r.Head.Diagnostics = diag.List{{Severity: diag.Warning, Path: "servingEndpoints.resnet.model.storageUri",
		Message: `the API server says: invalid "https://svc:hunter2@models.example.com/resnet/v4"`}}
	for _, format := range []string{"text", "markdown", "json"} {
		out := render(t, r, format, 0)
		for _, secret := range []string{"hunter2", "oldpass", "t0ps3cret", token} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows %q:\n%s", format, secret, out)
			}
		}
		for _, want := range []string{"https://svc:***@models.example.com/resnet/v4", "/data"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s does not show %q:\n%s", format, want, out)
			}
		}
	}
	if !strings.Contains(r.Head.Diagnostics[0].Message, "hunter2") || !strings.Contains(r.Changes[0].Fields[0].New.(string), "hunter2") {
		t.Errorf("writing the report changed it")
	}
}
