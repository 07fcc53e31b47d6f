package compiler_test

import (
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
)

// gpuPlatform has an NVIDIA-only cluster (us, on Kubeflow Trainer) and an AMD-only one
// (eu, on the Training Operator); each GPU type has its own node label and taint.
const gpuPlatform = `package ml

clusters: us: gpuTypes: ["a100"]
clusters: eu: {
	gpuTypes: ["mi300"]
	training: backend: "training-operator"
}
defaults: gpuTypes: {
	a100: {vendor: "nvidia", nodeSelector: gpu: "a100"}
	mi300: {vendor: "amd", nodeSelector: gpu: "mi300", tolerations: [{key: "amd.com/gpu", operator: "Exists", effect: "NoSchedule"}]}
}
defaults: gpuType: "a100"
policy: allowedRegistries: ["ghcr.io/kubeflow/", "ghcr.io/acme/"]
policy: limits: notebook: gpu: 2
`

// gpuWorkloads prefer mi300 and accept a100, in every kind of declaration.
const gpuWorkloads = `package ml

let gpus = {gpu: 1, gpuType: ["mi300", "a100"]}
notebooks: dev: {image: "jupyter-scipy", resources: {cpu: 1, memory: "2Gi"} & gpus}
trainingJobs: resnet: {
	framework: "pytorch"
	image:     "ghcr.io/acme/train:1"
	resources: {cpu: 1, memory: "1Gi"} & gpus
}
experiments: hpo: {
	trial: {
		framework: "pytorch"
		image:     "ghcr.io/acme/train:1"
		args: ["--lr=${trialParameters.lr}"]
		resources: {cpu: 1, memory: "1Gi"} & gpus
	}
	parameters: lr: {min: 0.01, max: 0.1}
	objective: {metric: "loss", type: "minimize"}
	algorithm:      "random"
	maxTrials:      2
	parallelTrials: 1
}
pipelines: nightly: tasks: train: {image: "ghcr.io/acme/train:1", resources: {cpu: 1, memory: "1Gi"} & gpus}
servingEndpoints: scorer: {
	model: {format: "pytorch", storageUri: "s3://models/resnet"}
	resources: {cpu: 1, memory: "2Gi"} & gpus
	replicas: {min: 1, max: 1}
}
`

// TestGPUPreferencePerCluster: a declaration that accepts several GPU types gets, on
// each cluster, the first one the cluster has: its resource name, node selector and
// tolerations, in every kind of workload, on both training backends.
func TestGPUPreferencePerCluster(t *testing.T) {
	t.Parallel()
	dir := writeRepo(t, map[string]string{
		"platform.cue":              gpuPlatform,
		"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: {cpu: 16, memory: \"64Gi\", gpu: 8}\n}\n",
		nb:                          gpuWorkloads,
	})
	res, err := compiler.Compile(t.Context(), dir, compiler.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	want := map[string]struct{ resource, label, other string }{
		"us": {"nvidia.com/gpu", "gpu: a100", "amd.com/gpu"},
		"eu": {"amd.com/gpu", "gpu: mi300", "nvidia.com/gpu"},
	}
	withGPUs := map[string]bool{"Notebook": true, "TrainJob": true, "PyTorchJob": true, "Experiment": true, "PipelineVersion": true, "InferenceService": true}
	for _, c := range res.Clusters {
		w := want[c.Name]
		seen := map[string]bool{}
		for _, o := range c.Tenants[0].Workloads {
			if !withGPUs[o.Kind()] {
				continue
			}
			seen[o.Kind()] = true
			y := string(o.Encoded)
			if !strings.Contains(y, w.resource) || strings.Contains(y, w.other) {
				t.Errorf("%s: %s %s requests other GPUs than %s:\n%s", c.Name, o.Kind(), o.Name(), w.resource, y)
			}
			// A pipeline's steps select nodes by their labels in the IR, as a map.
			if o.Kind() != "PipelineVersion" && !strings.Contains(y, w.label) {
				t.Errorf("%s: %s %s lacks the node selector %q:\n%s", c.Name, o.Kind(), o.Name(), w.label, y)
			}
			if c.Name == "eu" && !strings.Contains(y, "key: amd.com/gpu") && o.Kind() != "PipelineVersion" {
				t.Errorf("eu: %s %s lacks mi300's toleration:\n%s", o.Kind(), o.Name(), y)
			}
		}
		if len(seen) != 5 {
			t.Errorf("%s: compiled GPU workloads of kinds %v, want 5 kinds", c.Name, seen)
		}
	}
}
