package kfpir

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/tools/kfpspec/gen"
	"sigs.k8s.io/yaml"
)

// sharedDir is the workplace's read-only shared folder, seen from this package.
const sharedDir = "../../../shared"

// needShared skips the test when dir is absent outside CI, and fails it in CI.
func needShared(t testing.TB, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", dir, err)
		}
		t.Skipf("%s not available (and CI is not \"true\"): %v", dir, err)
	}
}

// example is one upstream SDK-compiled pipeline file.
type example struct {
	name string
	raw  []byte
	docs [][]byte // JSON: the PipelineSpec, then the PlatformSpec if any
}

func loadExamples(t testing.TB) []example {
	t.Helper()
	dir := filepath.Join(sharedDir, "upstream-examples", "kfp-ir")
	needShared(t, dir)
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no examples in %s", dir)
	}
	var out []example
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := splitDocuments(raw)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, example{name: filepath.Base(p), raw: raw, docs: docs})
	}
	return out
}

func TestExamplesValidate(t *testing.T) {
	withPlatform := 0
	for _, ex := range loadExamples(t) {
		t.Run(ex.name, func(t *testing.T) {
			if err := ValidatePipelineFile(ex.raw); err != nil {
				t.Fatalf("ValidatePipelineFile: %v", err)
			}
			// The same documents as JSON, one at a time.
			if err := ValidatePipelineSpec(ex.docs[0]); err != nil {
				t.Fatalf("ValidatePipelineSpec(JSON): %v", err)
			}
			if len(ex.docs) > 1 {
				withPlatform++
				if err := ValidatePlatformSpec(ex.docs[1]); err != nil {
					t.Fatalf("ValidatePlatformSpec(JSON): %v", err)
				}
				// The platform spec is not a pipeline spec, nor the reverse.
				if err := ValidateDocuments(ex.docs[1], ex.docs[0]); err == nil {
					t.Fatal("swapped documents validated")
				}
			}
		})
	}
	if withPlatform == 0 {
		t.Error("no example has a PlatformSpec; the kubernetes executor check is not exercised")
	}
}

// mutate decodes the JSON doc, applies f to it and returns it re-encoded.
func mutate(t *testing.T, doc []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// obj walks m along keys, each of which must hold an object.
func obj(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %q among %v", k, slices.Sorted(maps.Keys(m)))
		}
		m = next
	}
	return m
}

// firstKey is the lexically first key of m.
func firstKey(t *testing.T, m map[string]any) string {
	t.Helper()
	if len(m) == 0 {
		t.Fatal("empty object")
	}
	return slices.Sorted(maps.Keys(m))[0]
}

// wantError checks that err holds an *Error for message at path whose reason
// contains reason.
func wantError(t *testing.T, err error, message, path, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %s: %s", path, reason)
	}
	t.Logf("error: %v", err)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is not an *Error", err)
	}
	if e.Message != message || e.Path != path || !strings.Contains(e.Reason, reason) {
		t.Fatalf("got %#v\nwant message %q, path %q, reason containing %q", e, message, path, reason)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error text %q does not name the path %q", err, path)
	}
}

func byName(t *testing.T, examples []example, name string) example {
	t.Helper()
	for _, ex := range examples {
		if ex.name == name {
			return ex
		}
	}
	t.Fatalf("example %s not found", name)
	return example{}
}

func TestPipelineSpecMutations(t *testing.T) {
	ex := byName(t, loadExamples(t), "flip_coin_dsl_if.yaml")
	spec := ex.docs[0]
	var comp, task, executor string
	mutate(t, spec, func(m map[string]any) {
		comp = firstKey(t, obj(t, m, "components"))
		task = firstKey(t, obj(t, m, "root", "dag", "tasks"))
		executor = firstKey(t, obj(t, m, "deploymentSpec", "executors"))
	})

	cases := []struct {
		name          string
		f             func(m map[string]any)
		message, path string
		reason        string
	}{{
		name:    "unknown top-level field",
		f:       func(m map[string]any) { m["pipelineInfoo"] = map[string]any{"name": "x"} },
		message: PipelineSpecMessage, path: "pipelineInfoo", reason: `unknown field "pipelineInfoo"`,
	}, {
		name: "unknown field inside inputDefinitions",
		f: func(m map[string]any) {
			c := obj(t, m, "components", comp)
			c["inputDefinitions"] = map[string]any{"parameters": map[string]any{}, "paramaters": map[string]any{}}
		},
		message: PipelineSpecMessage, path: "components." + comp + ".inputDefinitions.paramaters", reason: `unknown field "paramaters"`,
	}, {
		name: "string where an int32 is expected",
		f: func(m map[string]any) {
			obj(t, m, "root", "dag", "tasks", task)["retryPolicy"] = map[string]any{"maxRetryCount": "three"}
		},
		message: PipelineSpecMessage, path: "root.dag.tasks." + task + ".retryPolicy.maxRetryCount", reason: `invalid value for int32 field maxRetryCount: "three"`,
	}, {
		name:    "number where a string is expected",
		f:       func(m map[string]any) { m["schemaVersion"] = 2.1 },
		message: PipelineSpecMessage, path: "schemaVersion", reason: "invalid value for string field schemaVersion",
	}, {
		name: "unknown enum value",
		f: func(m map[string]any) {
			obj(t, m, "root")["inputDefinitions"] = map[string]any{"parameters": map[string]any{"p": map[string]any{"parameterType": "STRIN"}}}
		},
		message: PipelineSpecMessage, path: "root.inputDefinitions.parameters.p.parameterType", reason: "STRIN",
	}, {
		name: "unknown field inside a deploymentSpec container",
		f: func(m map[string]any) {
			obj(t, m, "deploymentSpec", "executors", executor, "container")["imagePullPolicy"] = "Always"
		},
		message: PipelineDeploymentConfigMessage, path: "deploymentSpec.executors." + executor + ".container.imagePullPolicy", reason: `unknown field "imagePullPolicy"`,
	}, {
		name: "array where an object is expected",
		f: func(m map[string]any) {
			obj(t, m, "components", comp)["dag"] = []any{"x"}
		},
		message: PipelineSpecMessage, path: "components." + comp + ".dag", reason: "unexpected token [",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, ValidatePipelineSpec(mutate(t, spec, c.f)), c.message, c.path, c.reason)
		})
	}
}

func TestPlatformSpecMutations(t *testing.T) {
	ex := byName(t, loadExamples(t), "nvidia_gpu_scheduling_check.yaml")
	if len(ex.docs) != 2 {
		t.Fatalf("%s has %d documents, want 2", ex.name, len(ex.docs))
	}
	platform := ex.docs[1]
	executors := func(m map[string]any) map[string]any {
		return obj(t, m, "platforms", "kubernetes", "deploymentSpec", "executors")
	}
	var executor string
	mutate(t, platform, func(m map[string]any) { executor = firstKey(t, executors(m)) })
	prefix := "platforms.kubernetes.deploymentSpec.executors." + executor

	t.Run("unknown field inside a toleration", func(t *testing.T) {
		doc := mutate(t, platform, func(m map[string]any) {
			tol := obj(t, executors(m), executor)["tolerations"].([]any)
			tol[0].(map[string]any)["efect"] = "NoSchedule"
		})
		wantError(t, ValidatePlatformSpec(doc), KubernetesExecutorConfigMessage, prefix+".tolerations[0].efect", `unknown field "efect"`)
	})
	t.Run("unknown executor field", func(t *testing.T) {
		doc := mutate(t, platform, func(m map[string]any) {
			obj(t, executors(m), executor)["nodeSelectors"] = map[string]any{}
		})
		wantError(t, ValidatePlatformSpec(doc), KubernetesExecutorConfigMessage, prefix+".nodeSelectors", `unknown field "nodeSelectors"`)
	})
	t.Run("string where an int64 is expected", func(t *testing.T) {
		doc := mutate(t, platform, func(m map[string]any) {
			obj(t, executors(m), executor)["activeDeadlineSeconds"] = "an hour"
		})
		wantError(t, ValidatePlatformSpec(doc), KubernetesExecutorConfigMessage, prefix+".activeDeadlineSeconds", "invalid value for int64 field")
	})
	t.Run("unknown field in the platform", func(t *testing.T) {
		doc := mutate(t, platform, func(m map[string]any) {
			obj(t, m, "platforms", "kubernetes")["deployment"] = map[string]any{}
		})
		wantError(t, ValidatePlatformSpec(doc), PlatformSpecMessage, "platforms.kubernetes.deployment", `unknown field "deployment"`)
	})
	t.Run("every bad executor is reported", func(t *testing.T) {
		doc := mutate(t, platform, func(m map[string]any) {
			ex := executors(m)
			ex["exec-a"] = map[string]any{"bogusA": 1}
			ex["exec-z"] = map[string]any{"bogusZ": 1}
		})
		err := ValidatePlatformSpec(doc)
		if err == nil || !strings.Contains(err.Error(), "exec-a.bogusA") || !strings.Contains(err.Error(), "exec-z.bogusZ") {
			t.Fatalf("got %v, want both executors named", err)
		}
	})
	t.Run("other platforms are not kubernetes executors", func(t *testing.T) {
		doc := []byte(`{"platforms":{"google_cloud":{"deploymentSpec":{"executors":{"e":{"anything":1}}}}}}`)
		if err := ValidatePlatformSpec(doc); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the pipeline file reports the platform error", func(t *testing.T) {
		bad := mutate(t, platform, func(m map[string]any) { obj(t, executors(m), executor)["bogus"] = true })
		file := append(append(append([]byte{}, ex.docs[0]...), "\n---\n"...), bad...)
		wantError(t, ValidatePipelineFile(file), KubernetesExecutorConfigMessage, prefix+".bogus", `unknown field "bogus"`)
	})
}

func TestValidateKubernetesExecutorConfig(t *testing.T) {
	good := "tolerations:\n- key: nvidia.com/gpu\n  operator: Exists\n  effect: NoSchedule\nactiveDeadlineSeconds: 60\n"
	if err := ValidateKubernetesExecutorConfig([]byte(good)); err != nil {
		t.Fatal(err)
	}
	err := ValidateKubernetesExecutorConfig([]byte("podMetadata:\n  labels: {a: b}\n  annotation: {}\n"))
	wantError(t, err, KubernetesExecutorConfigMessage, "podMetadata.annotation", `unknown field "annotation"`)
}

func TestPipelineFileDocuments(t *testing.T) {
	spec := "pipelineInfo: {name: p}\nschemaVersion: 2.1.0\n"
	if err := ValidatePipelineFile([]byte("# header\n" + spec)); err != nil {
		t.Fatal(err)
	}
	if err := ValidatePipelineFile([]byte("---\n# only a comment\n---\n" + spec + "---\nplatforms: {}\n")); err != nil {
		t.Fatalf("empty documents should be skipped: %v", err)
	}
	if err := ValidatePipelineFile([]byte(spec + "---\nplatforms: {}\n---\nplatforms: {}\n")); err == nil || !strings.Contains(err.Error(), "3 documents") {
		t.Fatalf("three documents: got %v", err)
	}
	if err := ValidatePipelineFile([]byte("# nothing\n")); err == nil {
		t.Fatal("a file with no document validated")
	}
	if err := ValidatePipelineSpec([]byte("  \n")); err == nil || !strings.Contains(err.Error(), "empty document") {
		t.Fatalf("empty spec: got %v", err)
	}
	if err := ValidateDocuments([]byte(spec), nil); err != nil {
		t.Fatal(err)
	}
	err := ValidateDocuments([]byte("bogus: 1\n"), []byte("platforms: {kubernetes: {bogus: 1}}\n"))
	if err == nil || !strings.Contains(err.Error(), "ml_pipelines.PipelineSpec") || !strings.Contains(err.Error(), "ml_pipelines.PlatformSpec") {
		t.Fatalf("both documents' errors should be reported: %v", err)
	}
}

func TestErrorPathInIndentedJSON(t *testing.T) {
	// Lines, multi-byte runes and keys that need quoting: the position
	// protojson reports is mapped back to the right path.
	doc := []byte("{\n  \"pipelineInfo\": {\"name\": \"ünïcödé ✓\", \"description\": \"x\"},\n" +
		"  \"components\": {\"comp.a\": {\"inputDefinitions\": {\"parameters\": {\n" +
		"    \"p\": {\"parameterType\": \"STRING\"},\n" +
		"    \"q\": {\"parameterType\": \"STRING\", \"isOptional\": \"yes\"}}}}}\n}\n")
	wantError(t, ValidatePipelineSpec(doc), PipelineSpecMessage, `components["comp.a"].inputDefinitions.parameters.q.isOptional`, "invalid value for bool field isOptional")
}

func TestPathAt(t *testing.T) {
	js := []byte(`{"a":[1,{"b":2},[3,4]],"c":{"d":"e"}}`)
	for _, c := range []struct {
		at   string // the token, found by its first occurrence
		want string
	}{
		{`"a"`, "a"},
		{`1`, "a[0]"},
		{`"b"`, "a[1].b"},
		{`2`, "a[1].b"},
		{`4`, "a[2][1]"},
		{`"c"`, "c"},
		{`"e"`, "c.d"},
	} {
		var got string
		for _, seg := range pathAt(js, bytes.Index(js, []byte(c.at))) {
			got = joinPath(got, seg)
		}
		if got != c.want {
			t.Errorf("path at %s = %q, want %q", c.at, got, c.want)
		}
	}
}

// TestDescriptorSetUpToDate regenerates spec/ in memory from the shared KFP
// protos, as tools/kfpspec does, and compares it byte for byte.
func TestDescriptorSetUpToDate(t *testing.T) {
	src := filepath.Join(sharedDir, "kfp-spec")
	needShared(t, src)
	out, err := gen.Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out[gen.DescriptorSetFile], descriptorSet) {
		t.Errorf("embedded spec/%s is stale; regenerate from the repository root: %s", gen.DescriptorSetFile, gen.Command)
	}
	prov, err := os.ReadFile(filepath.Join("spec", gen.ProvenanceFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out[gen.ProvenanceFile], prov) {
		t.Errorf("spec/%s is stale; regenerate from the repository root: %s", gen.ProvenanceFile, gen.Command)
	}
}

func TestMessagesResolve(t *testing.T) {
	s, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{PipelineSpecMessage, PlatformSpecMessage, PipelineDeploymentConfigMessage, KubernetesExecutorConfigMessage} {
		if _, err := s.message(name); err != nil {
			t.Error(err)
		}
	}
	if _, err := s.message("ml_pipelines.NoSuchMessage"); err == nil {
		t.Error("a missing message resolved")
	}
}

// TestNoCompilerInBinary checks that the package pulls neither the proto
// compiler nor the generator into the binary: only the embedded set is used.
func TestNoCompilerInBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/bufbuild/protocompile") || strings.Contains(dep, "/tools/") {
			t.Errorf("compiler/kfpir depends on %s", dep)
		}
	}
}

func BenchmarkValidatePipelineSpec(b *testing.B) {
	examples := loadExamples(b)
	largest := examples[0]
	for _, ex := range examples[1:] {
		if len(ex.docs[0]) > len(largest.docs[0]) {
			largest = ex
		}
	}
	yamlDoc, err := yaml.JSONToYAML(largest.docs[0])
	if err != nil {
		b.Fatal(err)
	}
	if _, err := loadSchema(); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		doc  []byte
	}{{"json", largest.docs[0]}, {"yaml", yamlDoc}} {
		b.Run(c.name, func(b *testing.B) {
			b.Logf("%s: %d bytes of %s", largest.name, len(c.doc), c.name)
			b.SetBytes(int64(len(c.doc)))
			b.ReportAllocs()
			for b.Loop() {
				if err := ValidatePipelineSpec(c.doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestFlowStyleYAML(t *testing.T) {
	if err := ValidatePipelineSpec([]byte("{pipelineInfo: {name: p}, schemaVersion: 2.1.0}")); err != nil {
		t.Fatalf("a YAML flow mapping is YAML: %v", err)
	}
}
