package compiler_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler"
)

// kserveExamples maps each upstream KServe example to the CUE a user writes for it.
var kserveExamples = map[string]string{
	"isvc_sklearn_iris_v1.yaml": `"sklearn-iris": model: {format: "sklearn", storageUri: "gs://kfserving-examples/models/sklearn/1.0/model"}`,
	"isvc_sklearn_iris_modelformat.yaml": `"sklearn-iris": {
		model: {format: "sklearn", storageUri: "gs://kfserving-examples/models/sklearn/1.0/model"}
		annotations: "sidecar.istio.io/inject": "false"
	}`,
	"isvc_sklearn_iris_v2_protocol.yaml": `"sklearn-irisv2": model: {format: "sklearn", storageUri: "gs://seldon-models/sklearn/iris", protocol: "v2"}`,
	"isvc_pytorch_torchserve.yaml": `torchserve: model: {
		format: "pytorch"
		storageUri: "gs://kfserving-examples/models/torchserve/image_classifier/v1"
		args: ["--disable-token-auth", "--enable-model-api"]
	}`,
	"isvc_pytorch_torchserve_gpu.yaml": `"torchserve-gpu": {
		model: {
			format: "pytorch"
			storageUri: "gs://kfserving-examples/models/torchserve/image_classifier/v1"
			args: ["--disable-token-auth", "--enable-model-api"]
		}
		resources: {memory: "4Gi", gpu: 1}
	}`,
	"isvc_canary_tensorflow.yaml": `"my-model": {
		model: {format: "tensorflow", storageUri: "gs://kfserving-examples/models/tensorflow/flowers"}
		canary: {storageUri: "gs://kfserving-examples/models/tensorflow/flowers-2", traffic: 10}
	}`,
	"isvc_canary_torchserve.yaml": `torchserve: {
		model: {format: "pytorch", storageUri: "gs://kfserving-examples/models/torchserve/image_classifier/v1"}
		canary: {storageUri: "gs://kfserving-examples/models/torchserve/image_classifier/v2", traffic: 20}
	}`,
	"isvc_autoscale_knative_target.yaml": `"flowers-sample": {
		model: {format: "tensorflow", storageUri: "gs://kfserving-examples/models/tensorflow/flowers"}
		autoscaling: {metric: "concurrency", target: 1}
	}`,
	"isvc_autoscale_torchserve.yaml": `torchserve: {
		model: {format: "pytorch", storageUri: "gs://kfserving-examples/models/torchserve/image_classifier/v1"}
		autoscaling: {metric: "concurrency", target: 10}
	}`,
	"isvc_autoscale_gpu.yaml": `"flowers-sample-gpu": {
		model: {format: "tensorflow", storageUri: "gs://kfserving-examples/models/tensorflow/flowers", runtimeVersion: "1.13.0-gpu"}
		resources: gpu: 1
		autoscaling: {metric: "concurrency", target: 1}
	}`,
	"isvc_huggingface_resources.yaml": `"huggingface-llama2": {
		model: {
			format: "huggingface"
			storageUri: "hf://meta-llama/Llama-2-7b-chat-hf"
			args: ["--model_name=llama2", "--model_dir=/mnt/models", "--backend=huggingface"]
		}
		resources: {cpu: 6, memory: "24Gi", gpu: 1}
		serviceAccount: "hfserviceacc"
	}`,
	"isvc_transformer_torchserve.yaml": `"torch-transformer": {
		model: {format: "pytorch", storageUri: "gs://kfserving-examples/models/torchserve/image_classifier/v1"}
		transformer: image: "kserve/image-transformer:latest"
	}`,
}

// TestKServeFidelity compiles the CUE a user would write for each upstream KServe
// InferenceService example (copied into testdata/upstream/kserve) and compares the InferenceService with the upstream manifest field by field,
// after normalising both to what KServe and the API server make of them.
func TestKServeFidelity(t *testing.T) {
	examplesDir := filepath.Join("testdata", "upstream", "kserve")
	for file, cue := range kserveExamples {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(examplesDir, file))
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := yaml.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			dir := writeRepo(t, map[string]string{
				"tenants/team-a/tenant.cue":    "package ml\n\ntenant: owner: \"alice@example.com\"\n\nserviceAccounts: hfserviceacc: {}\n",
				"tenants/team-a/notebooks.cue": "",
				sv:                             "package ml\n\nservingEndpoints: " + cue + "\n",
				"platform.cue":                 "package ml\n\nclusters: prod: {}\n",
			})
			res, err := compiler.Compile(t.Context(), dir, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Diagnostics.HasErrors() {
				t.Fatal(res.Diagnostics.Error())
			}
			var got map[string]any
			for _, o := range res.Clusters[0].Tenants[0].Workloads {
				if o.Kind() == "InferenceService" {
					b, err := yaml.Marshal(tree(t, o))
					if err != nil {
						t.Fatal(err)
					}
					if err := yaml.Unmarshal(b, &got); err != nil {
						t.Fatal(err)
					}
				}
			}
			normalizeISVC(want)
			normalizeISVC(got)
			if !reflect.DeepEqual(got, want) {
				gb, _ := yaml.Marshal(got)
				wb, _ := yaml.Marshal(want)
				t.Errorf("compiled InferenceService differs from upstream\n--- upstream (normalised)\n%s\n--- mlc (normalised)\n%s", wb, gb)
			}
		})
	}
}

// oldStyleFormats are the predictor keys KServe's webhook rewrites into model.modelFormat.
var oldStyleFormats = []string{"sklearn", "xgboost", "lightgbm", "pytorch", "tensorflow", "onnx", "triton", "huggingface", "pmml", "paddle"}

// normalizeISVC rewrites an InferenceService into the form KServe and the API server
// store: old-style predictors as model.modelFormat, Knative's target annotation as
// scaleTarget, requests defaulted from limits, and what mlc states explicitly but the
// upstream examples leave to defaults (namespace, Serverless mode) dropped.
func normalizeISVC(obj map[string]any) {
	meta := obj["metadata"].(map[string]any)
	delete(meta, "namespace")
	spec := obj["spec"].(map[string]any)
	pred := spec["predictor"].(map[string]any)
	annotations, _ := meta["annotations"].(map[string]any)
	if annotations["serving.kserve.io/deploymentMode"] == "Serverless" {
		delete(annotations, "serving.kserve.io/deploymentMode")
	}
	if target, ok := annotations["autoscaling.knative.dev/target"]; ok {
		delete(annotations, "autoscaling.knative.dev/target")
		pred["scaleMetric"] = "concurrency"
		pred["scaleTarget"] = target
	}
	if t, ok := pred["scaleTarget"]; ok {
		pred["scaleTarget"] = yamlNumber(t)
	}
	if len(annotations) == 0 {
		delete(meta, "annotations")
	}
	for _, f := range oldStyleFormats {
		if m, ok := pred[f].(map[string]any); ok {
			delete(pred, f)
			m["modelFormat"] = map[string]any{"name": f}
			pred["model"] = m
		}
	}
	containers := []map[string]any{}
	if m, ok := pred["model"].(map[string]any); ok {
		containers = append(containers, m)
	}
	for _, key := range []string{"transformer", "explainer"} {
		if c, ok := spec[key].(map[string]any); ok {
			for _, x := range c["containers"].([]any) {
				containers = append(containers, x.(map[string]any))
			}
		}
	}
	for _, c := range containers {
		defaultRequests(c)
	}
}

// yamlNumber writes quantities the same way whether YAML gave a number or a string.
func yamlNumber(v any) string {
	b, _ := yaml.Marshal(v)
	return strings.Trim(strings.TrimSpace(string(b)), `"'`)
}
