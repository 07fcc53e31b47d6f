package validate

import (
	"strings"
	"testing"
)

// experimentJSON is an Experiment as mlc compiles one: a PyTorchJob trial whose argument
// takes the parameter lr.
const experimentJSON = `{
  "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
  "metadata": {"name": "hpo", "namespace": "team-a"},
  "spec": {
    "objective": {"type": "minimize", "objectiveMetricName": "loss"},
    "algorithm": {"algorithmName": "random"},
    "parallelTrialCount": 2, "maxTrialCount": 6,
    "parameters": [{"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.1"}}],
    "trialTemplate": {
      "primaryContainerName": "pytorch",
      "primaryPodLabels": {"training.kubeflow.org/job-role": "master"},
      "successCondition": "status.conditions.#(type==\"Succeeded\")#|#(status==\"True\")#",
      "failureCondition": "status.conditions.#(type==\"Failed\")#|#(status==\"True\")#",
      "trialParameters": [{"name": "lr", "reference": "lr"}],
      "trialSpec": {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "spec": {"pytorchReplicaSpecs": {
        "Master": {"replicas": 1, "template": {"spec": {"containers": [
          {"name": "pytorch", "image": "ghcr.io/acme/train:1", "args": ["--lr=${trialParameters.lr}"]}]}}}}}}
    }
  }
}`

// TestExperimentAsKatibAdmits checks that Experiments are judged as Katib's admission
// webhook judges them, and their trial's job against its own CRD.
func TestExperimentAsKatibAdmits(t *testing.T) {
	v := New()
	cases := []struct {
		name string
		// edits are pairs of text of experimentJSON and what replaces it.
		edits []string
		want  []FieldError
	}{
		{name: "as mlc compiles it"},
		{
			name:  "a field Katib does not have",
			edits: []string{`"maxTrialCount": 6`, `"maxTrialCount": 6, "maxTrials": 6`},
			want:  []FieldError{{"spec", `Katib cannot read the spec (it would ignore what it does not know): json: unknown field "maxTrials"`}},
		},
		{
			name:  "a name longer than Katib takes",
			edits: []string{`"name": "hpo"`, `"name": "` + strings.Repeat("h", 41) + `"`},
			want:  []FieldError{{"metadata.name", "Invalid value: \"" + strings.Repeat("h", 41) + "\": Katib takes"}},
		},
		{
			name:  "more parallel trials than in all",
			edits: []string{`"parallelTrialCount": 2`, `"parallelTrialCount": 7`},
			want:  []FieldError{{"spec.parallelTrialCount", "Invalid value: 7: should be less than or equal to spec.maxTrialCount"}},
		},
		{
			name:  "a placeholder with no trial parameter",
			edits: []string{`"--lr=${trialParameters.lr}"`, `"--lr=${trialParameters.lr}", "--m=${trialParameters.m}"`},
			want:  []FieldError{{"spec.trialTemplate", "Invalid value: parameters [${trialParameters.m}] in spec.trialTemplate not found"}},
		},
		{
			name:  "a trial parameter the template does not use",
			edits: []string{`[{"name": "lr", "reference": "lr"}]`, `[{"name": "lr", "reference": "lr"}, {"name": "trial", "reference": "${trialSpec.Name}"}]`},
			want:  []FieldError{{"spec.trialTemplate.trialParameters[1].name", `Invalid value: "trial": parameter name not found in spec.trialTemplate`}},
		},
		{
			name:  "a trial parameter that refers to no parameter",
			edits: []string{`[{"name": "lr", "reference": "lr"}]`, `[{"name": "lr", "reference": "learning-rate"}]`},
			want:  []FieldError{{"spec.trialTemplate.trialParameters[0].reference", `Invalid value: "learning-rate": parameter reference does not exist`}},
		},
		{
			name:  "a parameter value that JSON escapes, substituted into the template's text",
			edits: []string{`"min": "0.01"`, `"min": "a\"b\\c<&>"`},
		},
		{
			name:  "a placeholder in a key of the template",
			edits: []string{`"replicas": 1,`, `"replicas": 1, "x${trialParameters.lr}": 1,`},
			want:  []FieldError{{"spec.trialTemplate.trialSpec.spec.pytorchReplicaSpecs.Master.x0.01", "unknown field"}},
		},
		{
			name:  "a trial job its CRD refuses",
			edits: []string{`"replicas": 1,`, `"replicas": 1, "restart": "Never",`},
			want:  []FieldError{{"spec.trialTemplate.trialSpec.spec.pytorchReplicaSpecs.Master.restart", "unknown field"}},
		},
		{
			name:  "a trial job with a name",
			edits: []string{`"kind": "PyTorchJob",`, `"kind": "PyTorchJob", "metadata": {"name": "x"},`},
			want:  []FieldError{{"spec.trialTemplate.trialSpec.metadata", "Invalid value: metadata.name and metadata.namespace in spec.trialTemplate must be omitted"}},
		},
		{
			name: "a kind whose conditions Katib does not default",
			edits: []string{
				`"successCondition": "status.conditions.#(type==\"Succeeded\")#|#(status==\"True\")#",`, "",
				`"kind": "PyTorchJob"`, `"kind": "JAXJob"`, "pytorchReplicaSpecs", "jaxReplicaSpecs", `"Master"`, `"Worker"`,
				`"name": "pytorch"`, `"name": "jax"`, `"primaryContainerName": "pytorch"`, `"primaryContainerName": "jax"`,
			},
			want: []FieldError{{"spec.trialTemplate", "Required value: successCondition and failureCondition must be specified"}},
		},
		{
			name:  "a metrics filter without two groups",
			edits: []string{`"parallelTrialCount": 2`, `"parallelTrialCount": 2, "metricsCollectorSpec": {"collector": {"kind": "StdOut"}, "source": {"filter": {"metricsFormat": ["loss=(.*)"]}}}`},
			want:  []FieldError{{"spec.metricsCollectorSpec.source.filter.metricsFormat", `Invalid value: "loss=(.*)": two top subexpressions are required`}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := experimentJSON
			for i := 0; i < len(tc.edits); i += 2 {
				if strings.Count(src, tc.edits[i]) != 1 {
					t.Fatalf("%q is not in the experiment once", tc.edits[i])
				}
				src = strings.Replace(src, tc.edits[i], tc.edits[i+1], 1)
			}
			expect(t, v, decode(t, src), tc.want...)
		})
	}
}
