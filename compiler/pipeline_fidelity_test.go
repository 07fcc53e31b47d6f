package compiler_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/graph"
	"github.com/mlc-gitops/mlc/compiler/kfpir"
)

// fidelityPlatform allows any registry: the upstream examples run python:3.11.
const fidelityPlatform = `package ml

clusters: prod: {}
defaults: gpuTypes: a100: vendor: "nvidia"
`

// TestPipelineFidelity compiles, for each pipeline the KFP SDK compiled in
// ../shared/upstream-examples/kfp-ir, the CUE a user writes for it, and compares the two
// specs task by task: the DAG (tasks, groups, dependencies), each task's inputs and how
// they are bound, caching, conditions and loop iterators, and each step's component
// inputs and outputs and its container's image (and command and args where the SDK wrote
// a container component, not generated Python). mlc's specs must also decode strictly
// into the KFP protobuf messages.
func TestPipelineFidelity(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "pipelines", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatal("no fidelity cases", err)
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			upstream := filepath.Join("..", "..", "shared", "upstream-examples", "kfp-ir", name+".yaml")
			raw, err := os.ReadFile(upstream)
			if err != nil {
				t.Skipf("upstream example not here: %v", err)
			}
			docs := strings.Split(string(raw), "\n---\n")
			var want map[string]any
			if err := yaml.Unmarshal([]byte(docs[0]), &want); err != nil {
				t.Fatal(err)
			}
			cue, err := os.ReadFile(filepath.Join(dir, "pipelines.cue"))
			if err != nil {
				t.Fatal(err)
			}
			repo := writeRepo(t, map[string]string{"platform.cue": fidelityPlatform, pl: string(cue)})
			res, err := compiler.Compile(t.Context(), repo, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Diagnostics.HasErrors() {
				t.Fatal(res.Diagnostics.Error())
			}
			info := want["pipelineInfo"].(map[string]any)
			workloads := res.Clusters[0].Tenants[0].Workloads
			got := graph.PipelineSpec(workloads, info["name"].(string))
			if got == nil {
				t.Fatalf("no PipelineVersion of %s", info["name"])
			}
			// Compare as JSON values, as the backend reads them.
			got = irRoundTrip(t, got)
			doc, _ := json.Marshal(got)
			if err := kfpir.ValidatePipelineSpec(doc); err != nil {
				t.Errorf("mlc's spec is not a PipelineSpec: %v", err)
			}
			exactCommands := !strings.Contains(docs[0], "ephemeral_component.py")
			w, g := shape(want, exactCommands), shape(got, exactCommands)
			for k, wv := range w {
				if gv, ok := g[k]; !ok {
					t.Errorf("%s: missing in mlc's spec", k)
				} else if !reflect.DeepEqual(wv, gv) {
					t.Errorf("%s:\n  sdk: %v\n  mlc: %v", k, wv, gv)
				}
			}
			for k := range g {
				if _, ok := w[k]; !ok {
					t.Errorf("%s: not in the SDK's spec", k)
				}
			}
			if len(docs) > 1 {
				for _, o := range workloads {
					if o.Kind() == "PipelineVersion" {
						ps := irRoundTrip(t, tree(t, o)["spec"].(map[string]any)["platformSpec"].(map[string]any))
						var wantPS map[string]any
						_ = yaml.Unmarshal([]byte(docs[1]), &wantPS)
						b, _ := json.Marshal(ps)
						if err := kfpir.ValidatePlatformSpec(b); err != nil {
							t.Errorf("mlc's platform spec: %v", err)
						}
						if !reflect.DeepEqual(ps, irRoundTrip(t, wantPS)) {
							t.Errorf("platform spec:\n  sdk: %v\n  mlc: %v", wantPS, ps)
						}
					}
				}
			}
		})
	}
}

func irRoundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// shape flattens a spec into what must match, keyed by task path; what only the SDK's
// Python compilation adds is left out (see normaliseInputs). The names of values passed
// into groups, loop items of constant lists included, are compared as they are.
func shape(spec map[string]any, exactCommands bool) map[string]any {
	out := map[string]any{}
	comps, _ := spec["components"].(map[string]any)
	execs := map[string]any{}
	if d, ok := spec["deploymentSpec"].(map[string]any); ok {
		execs, _ = d["executors"].(map[string]any)
	}
	root := spec["root"].(map[string]any)
	out["root.inputDefinitions"] = root["inputDefinitions"]
	out["root.outputDefinitions"] = root["outputDefinitions"]
	out["pipelineInfo"] = spec["pipelineInfo"]
	var walk func(comp map[string]any, prefix string)
	walk = func(comp map[string]any, prefix string) {
		dag, _ := comp["dag"].(map[string]any)
		tasks, _ := dag["tasks"].(map[string]any)
		for name, tv := range tasks {
			task := tv.(map[string]any)
			key := prefix + name
			ref := task["componentRef"].(map[string]any)["name"].(string)
			sub := comps[ref].(map[string]any)
			out[key+".dependentTasks"] = task["dependentTasks"]
			out[key+".triggerPolicy"] = task["triggerPolicy"]
			out[key+".iterator"] = task["parameterIterator"]
			out[key+".iteratorPolicy"] = task["iteratorPolicy"]
			if sub["dag"] != nil {
				walk(sub, key+"/")
				continue
			}
			out[key+".cachingOptions"] = task["cachingOptions"]
			out[key+".inputs"] = task["inputs"]
			out[key+".inputDefinitions"] = normaliseInputs(sub["inputDefinitions"])
			out[key+".outputDefinitions"] = sub["outputDefinitions"]
			exec, _ := execs[sub["executorLabel"].(string)].(map[string]any)
			c, _ := exec["container"].(map[string]any)
			out[key+".image"] = c["image"]
			if exactCommands {
				out[key+".command"] = c["command"]
				out[key+".args"] = c["args"]
			}
			if r, ok := c["resources"].(map[string]any); ok {
				out[key+".accelerator"] = r["accelerator"]
				out[key+".cpuLimit"] = r["resourceCpuLimit"]
				out[key+".memoryLimit"] = r["resourceMemoryLimit"]
			}
		}
	}
	walk(root, "")
	return out
}

// normaliseInputs leaves out of a step's input definitions what the SDK declares from a
// Python signature that a container step has no use for: optional inputs with defaults
// that no task binds (num_steps=100) and f-string channels.
func normaliseInputs(v any) any {
	defs, ok := v.(map[string]any)
	if !ok {
		return v
	}
	params, _ := defs["parameters"].(map[string]any)
	for k, p := range params {
		if m, _ := p.(map[string]any); m["isOptional"] == true || strings.HasPrefix(k, "pipelinechannel--") {
			delete(params, k)
		}
	}
	return defs
}
