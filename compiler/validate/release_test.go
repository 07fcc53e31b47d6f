package validate

import (
	"encoding/json"
	"strings"
	"testing"
)

// trainJobQuickstart is the quickstart's TrainJob as mlc compiles it for the
// newest Trainer (compiler/testdata/golden/quickstart): its activeDeadlineSeconds
// and runtimePatches are fields that Trainer v2.1.0, the one Kubeflow v1.11.0
// installs, does not have.
const trainJobQuickstart = `{
  "apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
  "metadata": {"name": "fraud-xgb", "namespace": "vision", "labels": {"kueue.x-k8s.io/queue-name": "vision-cpu"}},
  "spec": {
    "activeDeadlineSeconds": 14400,
    "runtimePatches": [{"manager": "mlc-gitops.github.io/mlc", "trainingRuntimeSpec": {"template": {"spec": {"replicatedJobs": [
      {"name": "node", "template": {"spec": {"template": {"spec": {
        "containers": [{"name": "node", "volumeMounts": [{"mountPath": "/var/secrets/gcp", "name": "gcp-key", "readOnly": true}]}],
        "volumes": [{"name": "gcp-key", "secret": {"secretName": "gcp-training-key"}}]}}}}}]}}}}],
    "runtimeRef": {"apiGroup": "trainer.kubeflow.org", "kind": "ClusterTrainingRuntime", "name": "xgboost-distributed"},
    "trainer": {
      "image": "ghcr.io/example/fraud-train:3.0.1", "command": ["python", "-m", "fraud.train"], "args": ["--rounds=500"],
      "env": [{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/var/secrets/gcp/key.json"}],
      "numNodes": 3,
      "resourcesPerNode": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    }
  }
}`

// podTemplateOverrides is Trainer v2.1.0's way to give the nodes a volume, which
// the newest Trainer replaced by runtimePatches.
const podTemplateOverrides = `[{"targetJobs": [{"name": "node"}], "spec": {
  "containers": [{"name": "node", "volumeMounts": [{"mountPath": "/var/secrets/gcp", "name": "gcp-key", "readOnly": true}]}],
  "volumes": [{"name": "gcp-key", "secret": {"secretName": "gcp-training-key"}}]}}]`

// TestReleaseTrainJob: a TrainJob is judged by the TrainJob CRD of the cluster's
// release. Kubeflow v1.11.0 (Trainer v2.1.0) refuses the fields only the newest
// Trainer has, and the newest refuses v2.1.0's podTemplateOverrides, which it
// dropped; also in a Katib trial.
func TestReleaseTrainJob(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds Kubeflow v1.11.0's CRDs with kustomize")
	}
	release, newest := v111Validator(t), New()
	unknown := func(path string) FieldError {
		return FieldError{Path: path, Message: "unknown field (the API server would prune it)"}
	}
	withoutNewest := func(spec map[string]any) {
		delete(spec, "activeDeadlineSeconds")
		delete(spec, "runtimePatches")
	}
	cases := []struct {
		name        string
		edit        func(spec map[string]any)
		trial       bool // judged as the trial of an Experiment
		release     []FieldError
		newestWants []FieldError
	}{
		{
			name:    "as mlc compiles it for the newest Trainer",
			release: []FieldError{unknown("spec.activeDeadlineSeconds"), unknown("spec.runtimePatches")},
		},
		{
			name:    "without the fields v2.1.0 lacks",
			edit:    withoutNewest,
			release: nil,
		},
		{
			name: "with v2.1.0's podTemplateOverrides",
			edit: func(spec map[string]any) {
				withoutNewest(spec)
				var o any
				_ = json.Unmarshal([]byte(podTemplateOverrides), &o)
				spec["podTemplateOverrides"] = o
			},
			newestWants: []FieldError{unknown("spec.podTemplateOverrides")},
		},
		{
			name:    "as the trial of an Experiment",
			trial:   true,
			release: []FieldError{unknown("spec.trialTemplate.trialSpec.spec.activeDeadlineSeconds"), unknown("spec.trialTemplate.trialSpec.spec.runtimePatches")},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := decode(t, trainJobQuickstart)
			if c.edit != nil {
				c.edit(obj["spec"].(map[string]any))
			}
			if c.trial {
				obj = trialExperiment(t, obj)
			}
			expect(t, release, obj, c.release...)
			expect(t, newest, obj, c.newestWants...)
		})
	}
}

// trialExperiment is an Experiment whose trial template is job, as mlc
// compiles one.
func trialExperiment(t *testing.T, job map[string]any) map[string]any {
	t.Helper()
	delete(job, "metadata")
	e := decode(t, `{
	  "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
	  "metadata": {"name": "tune", "namespace": "vision"},
	  "spec": {
	    "objective": {"type": "minimize", "objectiveMetricName": "loss"},
	    "algorithm": {"algorithmName": "random"},
	    "parallelTrialCount": 1, "maxTrialCount": 2,
	    "parameters": [{"name": "eta", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.3"}}],
	    "trialTemplate": {"primaryContainerName": "node", "trialParameters": [{"name": "eta", "reference": "eta"}]}
	  }
	}`)
	job["spec"].(map[string]any)["trainer"].(map[string]any)["args"] = []any{"--eta=${trialParameters.eta}"}
	e["spec"].(map[string]any)["trialTemplate"].(map[string]any)["trialSpec"] = job
	return e
}

// TestReleaseKinds: a release validator knows the kinds its CRDs define, with
// their scope and served versions, and the built-in kinds; a kind the cluster
// does not install is unknown there, and an object of it is refused with a
// message that says so.
func TestReleaseKinds(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds Kubeflow v1.11.0's CRDs with kustomize")
	}
	release := v111Validator(t)
	cases := []struct {
		apiVersion, kind  string
		known, namespaced bool
	}{
		{"trainer.kubeflow.org/v1alpha1", "TrainJob", true, true},
		{"trainer.kubeflow.org/v1alpha1", "ClusterTrainingRuntime", true, false},
		{"serving.kserve.io/v1beta1", "InferenceService", true, true},
		{"serving.kserve.io/v1alpha1", "ServingRuntime", true, true},
		{"pipelines.kubeflow.org/v2beta1", "PipelineVersion", true, true},
		{"kubeflow.org/v1beta1", "Experiment", true, true},
		{"kubeflow.org/v1", "PyTorchJob", true, true},
		{"kubeflow.org/v1", "Notebook", true, true},
		{"kubeflow.org/v1", "Profile", true, false},
		{"kubeflow.org/v1alpha1", "PodDefault", true, true},
		{"security.istio.io/v1", "AuthorizationPolicy", true, true},
		{"jobset.x-k8s.io/v1alpha2", "JobSet", true, true},
		{"v1", "Namespace", true, false},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", true, true},
		// Not installed by Kubeflow: Flux comes with mlc (EmbeddedCRDs).
		{"source.toolkit.fluxcd.io/v1", "OCIRepository", false, false},
		{"kustomize.toolkit.fluxcd.io/v1", "Kustomization", false, false},
		// A version the CRD does not define.
		{"trainer.kubeflow.org/v1", "TrainJob", false, false},
	}
	for _, c := range cases {
		namespaced, known := release.Namespaced(c.apiVersion, c.kind)
		if known != c.known || namespaced != c.namespaced {
			t.Errorf("%s %s: namespaced %v, known %v; want %v, %v", c.apiVersion, c.kind, namespaced, known, c.namespaced, c.known)
		}
		if release.Known(c.apiVersion, c.kind) != c.known {
			t.Errorf("%s %s: Known disagrees with Namespaced", c.apiVersion, c.kind)
		}
	}
	obj := decode(t, `{"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository", "metadata": {"name": "x", "namespace": "y"},
	  "spec": {"url": "oci://ghcr.io/example/tenant", "interval": "5m", "ref": {"tag": "latest"}}}`)
	expect(t, release, obj, FieldError{Message: "mlc has no schema for source.toolkit.fluxcd.io/v1 OCIRepository: none of the cluster's CRDs defines it"})
	expect(t, New(), obj)
}

// v111Rejected lists the upstream examples that Kubeflow v1.11.0's CRDs refuse
// beyond upstreamRejected: each uses a field of the newest Trainer that v2.1.0
// lacks.
var v111Rejected = map[string][]FieldError{
	"trainer/clustertrainingruntime_jax_distributed.yaml#0": {
		{Path: "spec.mlPolicy.jax", Message: "unknown field (the API server would prune it)"},
	},
	"trainer/clustertrainingruntime_torchtune_llama3_2_1B.yaml#0": {
		{Path: "spec.template.spec.volumeClaimPolicies", Message: "unknown field (the API server would prune it)"},
	},
	"trainer/clustertrainingruntime_xgboost_distributed.yaml#0": {
		{Path: "spec.mlPolicy.xgboost", Message: "unknown field (the API server would prune it)"},
	},
	"trainer/trainjob_02-runtime-patches.yaml#0": {
		{Path: "spec.runtimePatches", Message: "unknown field (the API server would prune it)"},
	},
}

// TestReleaseUpstreamExamples: every upstream example of a kind that Kubeflow
// v1.11.0 installs is accepted by its CRDs, except those upstream got wrong
// (upstreamRejected) and those that use fields newer than v1.11.0
// (v1.11Rejected); the examples of kinds it does not install are Flux's.
func TestReleaseUpstreamExamples(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds Kubeflow v1.11.0's CRDs with kustomize")
	}
	release := v111Validator(t)
	accepted := 0
	seen := map[string]bool{}
	for _, d := range readExamples(t) {
		av, _ := d.obj["apiVersion"].(string)
		k, _ := d.obj["kind"].(string)
		if !release.Known(av, k) {
			if !notAPIObjects[av+" "+k] && !strings.HasSuffix(strings.SplitN(av, "/", 2)[0], ".fluxcd.io") {
				t.Errorf("%s: Kubeflow v1.11.0 has no CRD for %s %s", d.name, av, k)
			}
			continue
		}
		seen[d.name] = true
		want := upstreamRejected[d.name]
		if w, ok := v111Rejected[d.name]; ok {
			want = w
		}
		if got := release.Validate(d.obj); !matchErrors(got, want) {
			t.Errorf("%s (%s %s):\n got  %v\n want %v", d.name, av, k, got, want)
		}
		if want == nil {
			accepted++
		}
	}
	for name := range v111Rejected {
		if !seen[name] {
			t.Errorf("%s: listed as rejected but not found", name)
		}
	}
	if accepted < 50 {
		t.Errorf("only %d upstream examples accepted; expected the folders to hold more", accepted)
	}
	t.Logf("%d examples of kinds Kubeflow v1.11.0 installs, %d accepted", len(seen), accepted)
}
