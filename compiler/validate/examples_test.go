package validate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// sharedDir is the workplace's read-only shared folder, seen from this package.
const sharedDir = "../../../shared"

// exampleDirs are the upstream example folders whose objects must be accepted.
var exampleDirs = []string{"notebooks", "dashboard", "kserve", "training-operator", "trainer", "flux", "pipelines", "katib", "manifests"}

// exampleDoc is one YAML document of an upstream example file.
type exampleDoc struct {
	name string // file#index
	obj  map[string]any
}

func readExamples(t testing.TB) []exampleDoc {
	t.Helper()
	root := filepath.Join(sharedDir, "upstream-examples")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("upstream examples not available: %v", err)
	}
	var docs []exampleDoc
	for _, dir := range exampleDirs {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no examples in %s", dir)
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
			for i := 0; ; i++ {
				doc, err := r.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				var obj map[string]any
				if err := yaml.Unmarshal(doc, &obj); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if obj == nil {
					continue
				}
				rel, _ := filepath.Rel(root, f)
				docs = append(docs, exampleDoc{name: fmt.Sprintf("%s#%d", filepath.ToSlash(rel), i), obj: obj})
			}
		}
	}
	return docs
}

// notAPIObjects are example kinds that are not Kubernetes API objects, so
// no validator schema is expected for them.
var notAPIObjects = map[string]bool{
	// A kustomize build file, read by the kustomize CLI, never sent to a cluster.
	"kustomize.config.k8s.io/v1beta1 Kustomization": true,
}

// upstreamRejected lists the upstream examples that the API server itself
// would not accept as written, with exactly what it would object to (each
// Message here is a prefix of the reported one).
var upstreamRejected = map[string][]FieldError{
	// An integration-test template: the name and namespace are envsubst
	// placeholders that the test script fills in before applying it.
	"dashboard/poddefault-basic.yaml#0": {
		{Path: "metadata.name", Message: `Invalid value: "${PODDEFAULT_NAME}": a lowercase RFC 1123 subdomain must consist of`},
		{Path: "metadata.namespace", Message: `Invalid value: "${NAMESPACE}": a lowercase RFC 1123 label must consist of`},
	},
	// spec.transformer.custom is the v1alpha2-era custom transformer; the
	// v1beta1 TransformerSpec has no such field (containers sit directly in
	// spec.transformer), so the API server would prune the whole block.
	"kserve/isvc_rollout_strategy_standard_mode.yaml#0": {
		{Path: "spec.transformer.custom", Message: "unknown field (the API server would prune it)"},
	},
	// The ScheduledWorkflow CRD lists status as required and has no status
	// subresource, so a create without a status is refused. KFP's own API
	// server always sends a status; an mlc ScheduledWorkflow needs
	// `status: {}`.
	"pipelines/scheduledworkflow_every-minute-cron.yaml#0": {
		{Path: "status", Message: "Required value"},
	},
	"pipelines/scheduledworkflow_parameterized.yaml#0": {
		{Path: "status", Message: "Required value"},
	},
}

func TestUpstreamExamples(t *testing.T) {
	v := New()
	docs := readExamples(t)
	accepted := 0
	seen := map[string]bool{}
	for _, d := range docs {
		seen[d.name] = true
		av, _ := d.obj["apiVersion"].(string)
		k, _ := d.obj["kind"].(string)
		if !v.Known(av, k) {
			if !notAPIObjects[av+" "+k] {
				t.Errorf("%s: no schema for %s %s", d.name, av, k)
			}
			continue
		}
		got := v.Validate(d.obj)
		want := upstreamRejected[d.name]
		if !matchErrors(got, want) {
			t.Errorf("%s (%s %s):\n got  %v\n want %v", d.name, av, k, got, want)
		}
		if want == nil {
			accepted++
		}
	}
	for name := range upstreamRejected {
		if !seen[name] {
			t.Errorf("%s: listed as rejected but not found", name)
		}
	}
	if accepted < 60 {
		t.Errorf("only %d upstream examples accepted; expected the folders to hold more", accepted)
	}
	t.Logf("%d documents, %d accepted, %d rejected as upstream wrote them", len(docs), accepted, len(upstreamRejected))
}

// TestUpstreamExamplesFixed shows that the rejected examples pass once the
// upstream mistake is corrected, so the rejection is about that mistake only.
func TestUpstreamExamplesFixed(t *testing.T) {
	v := New()
	fixes := map[string]func(obj map[string]any){
		"dashboard/poddefault-basic.yaml#0": func(obj map[string]any) {
			meta := obj["metadata"].(map[string]any)
			meta["name"], meta["namespace"] = "basic", "kubeflow-user"
		},
		"kserve/isvc_rollout_strategy_standard_mode.yaml#0": func(obj map[string]any) {
			tr := obj["spec"].(map[string]any)["transformer"].(map[string]any)
			tr["containers"] = tr["custom"].(map[string]any)["container"]
			tr["containers"] = []any{tr["containers"]}
			tr["containers"].([]any)[0].(map[string]any)["name"] = "kserve-container"
			delete(tr, "custom")
		},
		"pipelines/scheduledworkflow_every-minute-cron.yaml#0": func(obj map[string]any) { obj["status"] = map[string]any{} },
		"pipelines/scheduledworkflow_parameterized.yaml#0":     func(obj map[string]any) { obj["status"] = map[string]any{} },
	}
	for _, d := range readExamples(t) {
		fix, ok := fixes[d.name]
		if !ok {
			continue
		}
		fix(d.obj)
		if errs := v.Validate(d.obj); errs != nil {
			t.Errorf("%s after the fix: %v", d.name, errs)
		}
	}
}

// matchErrors reports whether got has the same paths as want, in order, and
// each message starts with the wanted one.
func matchErrors(got, want []FieldError) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].Path != want[i].Path || !strings.HasPrefix(got[i].Message, want[i].Message) {
			return false
		}
	}
	return true
}
