package validate

import "testing"

// pipelineVersion is a PipelineVersion carrying a one-step pipeline spec, as mlc
// compiles it.
func pipelineVersion() map[string]any {
	return map[string]any{
		"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "PipelineVersion",
		"metadata": map[string]any{"name": "hello-0123456789", "namespace": "vision"},
		"spec": map[string]any{
			"pipelineName": "hello",
			"pipelineSpec": map[string]any{
				"pipelineInfo":  map[string]any{"name": "hello"},
				"schemaVersion": "2.1.0", "sdkVersion": "mlc",
				"components": map[string]any{"comp-say": map[string]any{"executorLabel": "exec-say"}},
				"deploymentSpec": map[string]any{"executors": map[string]any{"exec-say": map[string]any{
					"container": map[string]any{"image": "busybox:1", "command": []any{"echo", "hi"}},
				}}},
				"root": map[string]any{"dag": map[string]any{"tasks": map[string]any{"say": map[string]any{
					"taskInfo":       map[string]any{"name": "say"},
					"componentRef":   map[string]any{"name": "comp-say"},
					"cachingOptions": map[string]any{"enableCache": true},
				}}}},
			},
			"platformSpec": map[string]any{"platforms": map[string]any{"kubernetes": map[string]any{
				"deploymentSpec": map[string]any{"executors": map[string]any{"exec-say": map[string]any{
					"nodeSelector": map[string]any{"labels": map[string]any{"pool": "cpu"}},
				}}},
			}}},
		},
	}
}

func TestPipelineVersionAccepted(t *testing.T) {
	expect(t, New(), pipelineVersion())
}

// TestPipelineVersionIR breaks the IR a PipelineVersion carries, which its CRD takes as
// any object, and wants KFP's protos to refuse it at the field's path.
func TestPipelineVersionIR(t *testing.T) {
	spec := func(o map[string]any) map[string]any { return o["spec"].(map[string]any) }
	cases := []struct {
		name   string
		mutate func(map[string]any)
		want   FieldError
	}{
		{"unknown field in the DAG", func(o map[string]any) {
			spec(o)["pipelineSpec"].(map[string]any)["root"].(map[string]any)["dag"].(map[string]any)["taskz"] = 1
		}, FieldError{Path: "spec.pipelineSpec.root.dag.taskz", Message: `unknown field "taskz" (not a valid ml_pipelines.PipelineSpec, so KFP cannot run the version)`}},
		{"wrong type in an executor", func(o map[string]any) {
			dep := spec(o)["pipelineSpec"].(map[string]any)["deploymentSpec"].(map[string]any)
			dep["executors"].(map[string]any)["exec-say"].(map[string]any)["container"].(map[string]any)["command"] = "echo hi"
		}, FieldError{Path: "spec.pipelineSpec.deploymentSpec.executors.exec-say.container.command"}},
		{"unknown field in a Kubernetes executor", func(o map[string]any) {
			k8s := spec(o)["platformSpec"].(map[string]any)["platforms"].(map[string]any)["kubernetes"].(map[string]any)
			k8s["deploymentSpec"].(map[string]any)["executors"].(map[string]any)["exec-say"].(map[string]any)["nodeSelectorz"] = map[string]any{}
		}, FieldError{Path: "spec.platformSpec.platforms.kubernetes.deploymentSpec.executors.exec-say.nodeSelectorz"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := pipelineVersion()
			tc.mutate(o)
			errs := New().Validate(o)
			if len(errs) != 1 || errs[0].Path != tc.want.Path || (tc.want.Message != "" && errs[0].Message != tc.want.Message) {
				t.Fatalf("got %v, want one error at %s %s", errs, tc.want.Path, tc.want.Message)
			}
		})
	}
}
