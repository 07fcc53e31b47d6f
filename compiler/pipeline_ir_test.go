package compiler_test

import (
	"testing"

	"github.com/mlc-gitops/mlc/compiler/lower"
)

// TestMalformedIRReported breaks the compiled IR through the lowering's test hook and
// wants the strict check against KFP's protos to report it at the pipeline's
// declaration, as the PipelineVersion that carries it.
func TestMalformedIRReported(t *testing.T) {
	file := pipelineFile(`	tasks: prep: image: "ghcr.io/acme/prep:1"
`)
	cases := []struct {
		name, message string
		edit          func(*lower.PipelineIR)
	}{
		{
			name:    "an unknown field",
			message: `spec.pipelineSpec.root.dag.taskz: unknown field "taskz" (not a valid ml_pipelines.PipelineSpec`,
			edit: func(ir *lower.PipelineIR) {
				ir.Spec["root"].(map[string]any)["dag"].(map[string]any)["taskz"] = map[string]any{}
			},
		},
		{
			name:    "a value of the wrong type",
			message: "spec.pipelineSpec.schemaVersion:",
			edit:    func(ir *lower.PipelineIR) { ir.Spec["schemaVersion"] = 2 },
		},
		{
			name:    "an unknown field in an executor",
			message: `spec.pipelineSpec.deploymentSpec.executors.exec-prep.container.imagez: unknown field "imagez"`,
			edit: func(ir *lower.PipelineIR) {
				dep := ir.Spec["deploymentSpec"].(map[string]any)
				c := dep["executors"].(map[string]any)["exec-prep"].(map[string]any)["container"].(map[string]any)
				c["imagez"] = c["image"]
			},
		},
		{
			name:    "an unknown field in the platform spec",
			message: `spec.platformSpec.platforms.kubernetes.deploymentSpecz: unknown field "deploymentSpecz"`,
			edit: func(ir *lower.PipelineIR) {
				ir.Platform = map[string]any{"platforms": map[string]any{"kubernetes": map[string]any{"deploymentSpecz": map[string]any{}}}}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lower.EditPipelineIR = tc.edit
			defer func() { lower.EditPipelineIR = nil }()
			wantDiagnostic(t, file, pl+":3:12", "pipelines.nightly", "PipelineVersion")
			wantDiagnostic(t, file, pl+":3:12", "pipelines.nightly", tc.message)
		})
	}
}

// TestLongScheduledPipelineName refuses a scheduled pipeline whose CronJob name
// Kubernetes would refuse.
func TestLongScheduledPipelineName(t *testing.T) {
	name := "nightly-training-of-the-resnet-model-on-the-incoming-data"
	file := "package ml\n\npipelines: \"" + name + "\": {\n\ttasks: prep: image: \"ghcr.io/acme/prep:1\"\n\tschedule: cron: \"@daily\"\n}\n"
	wantDiagnostic(t, file, pl+":5:2", `pipelines."`+name+`".schedule`, "Kubernetes takes at most 52 characters there")
}
