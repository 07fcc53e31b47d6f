package compiler_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler"
)

// podDefaultExamples declares the PodDefaults of Kubeflow's examples poddefault-basic
// (its name filled in) and poddefault-inject-containers, in a tenant without a quota.
const podDefaultExamples = `package ml

podDefaults: "test-poddefault": {
	description: "Test PodDefault for integration testing"
	env: TEST_ENV_VAR: "test-value"
	volumes: "test-volume": {emptyDir: {}, mountPath: "/test-mount"}
}

podDefaults: "inject-containers": {
	description: "PodDefault to inject initContainers and sidecars"
	selector: "kubeflow.org/inject-containers": "true"
	initContainers: [{
		name:            "init-kubectl"
		image:           "gcr.io/cloud-builders/kubectl"
		imagePullPolicy: "Always"
		command: ["echo", "kubectl image pulled"]
	}]
	sidecars: [{
		name:            "kubectl"
		image:           "gcr.io/cloud-builders/kubectl"
		imagePullPolicy: "IfNotPresent"
		command: ["echo $(kubectl get pods $POD_NAME -o yaml)"]
		env: POD_NAME: field: "metadata.name"
	}]
}

notebooks: dev: {image: "jupyter-scipy", podDefaults: ["inject-containers", "test-poddefault"]}
`

// TestPodDefaultFidelity compiles declarations equivalent to Kubeflow's PodDefault
// examples and compares each compiled PodDefault's spec with the example's, field by field.
func TestPodDefaultFidelity(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "shared", "upstream-examples", "dashboard")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no ../shared/upstream-examples beside the checkout")
	}
	repo := writeRepo(t, map[string]string{
		"platform.cue":              strings.Replace(baseRepo["platform.cue"], `"ghcr.io/acme/"]`, `"ghcr.io/acme/", "gcr.io/cloud-builders/"]`, 1),
		"tenants/team-a/tenant.cue": "package ml\n\ntenant: owner: \"alice@example.com\"\n",
		nb:                          podDefaultExamples,
	})
	res, err := compiler.Compile(t.Context(), repo, compiler.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	compiled := map[string]map[string]any{}
	for _, o := range res.Clusters[0].Tenants[0].Workloads {
		if o.Kind() == "Notebook" {
			// The notebook carries each PodDefault's selector: its own, or <name>: "true".
			tree, err := o.Tree()
			if err != nil {
				t.Fatal(err)
			}
			labels := tree["metadata"].(map[string]any)["labels"].(map[string]any)
			want := map[string]any{"app": "dev", "kubeflow.org/inject-containers": "true", "test-poddefault": "true"}
			for _, d := range fieldDiffs("notebook labels", want, labels) {
				t.Error(d)
			}
		}
		if o.Kind() == "PodDefault" {
			tree, err := o.Tree()
			if err != nil {
				t.Fatal(err)
			}
			compiled[o.Name()] = tree
		}
	}
	for file, name := range map[string]string{"poddefault-basic.yaml": "test-poddefault", "poddefault-inject-containers.yaml": "inject-containers"} {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := yaml.Unmarshal([]byte(strings.ReplaceAll(string(raw), "${PODDEFAULT_NAME}", name)), &want); err != nil {
				t.Fatal(err)
			}
			got, ok := compiled[name]
			if !ok {
				t.Fatalf("no PodDefault %s compiled", name)
			}
			for _, d := range fieldDiffs("spec", want["spec"], got["spec"]) {
				t.Error(d)
			}
		})
	}
}

// fieldDiffs lists the paths where got differs from want, with both values.
func fieldDiffs(path string, want, got any) []string {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		var out []string
		keys := map[string]bool{}
		for k := range wm {
			keys[k] = true
		}
		for k := range gm {
			keys[k] = true
		}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range keys {
				if !yield(k) {
					return
				}
			}
		}) {
			out = append(out, fieldDiffs(path+"."+k, wm[k], gm[k])...)
		}
		return out
	}
	wl, wok := want.([]any)
	gl, gok := got.([]any)
	if wok && gok && len(wl) == len(gl) {
		var out []string
		for i := range wl {
			out = append(out, fieldDiffs(fmt.Sprintf("%s[%d]", path, i), wl[i], gl[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
	}
	return nil
}
