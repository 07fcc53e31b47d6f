package graph

import "github.com/mlc-gitops/mlc/compiler/manifest"

// PipelineSpec returns the pipeline spec of the PipelineVersion of the named pipeline
// among compiled objects, or nil.
func PipelineSpec(objs []manifest.Object, pipeline string) map[string]any {
	for _, o := range objs {
		if o.Kind() != "PipelineVersion" {
			continue
		}
		tree, err := o.Tree()
		if err != nil {
			continue
		}
		spec, _ := tree["spec"].(map[string]any)
		if spec["pipelineName"] == pipeline {
			ps, _ := spec["pipelineSpec"].(map[string]any)
			return ps
		}
	}
	return nil
}
