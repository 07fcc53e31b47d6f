package lower

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// pipelinesAPI is the API version of KFP's Kubernetes-native Pipeline and PipelineVersion.
const pipelinesAPI = "pipelines.kubeflow.org/v2beta1"

// versionHashLength is how many hex digits of the spec's hash name a version.
const versionHashLength = 10

// EditPipelineIR, when set, is given each compiled pipeline's IR before it is wrapped in
// its PipelineVersion. It is nil but in tests, which set it to show that an IR the
// protos refuse is reported.
var EditPipelineIR func(*PipelineIR)

// pipelineObjects compiles a pipeline to a Pipeline, a PipelineVersion named after the
// hash of its spec (KFP refuses changes to a version's spec, so a changed pipeline is a
// new version), and, with a schedule, a CronJob that starts runs of that version.
func pipelineObjects(p *model.Platform, ns, declared string, tree *model.PipelineTree) (objs []manifest.Object) {
	pl := *tree.Pipeline
	name := model.NormalizeName(declared)
	src := model.Path("pipelines", declared)
	ir := CompilePipeline(p, name, tree)
	if EditPipelineIR != nil {
		EditPipelineIR(&ir)
	}
	pipeSpec := map[string]any{}
	if pl.DisplayName != "" {
		pipeSpec["displayName"] = pl.DisplayName
	}
	if pl.Description != "" {
		pipeSpec["description"] = pl.Description
	}
	objs = append(objs, manifest.Object{Source: src, Content: map[string]any{
		"apiVersion": pipelinesAPI, "kind": "Pipeline",
		"metadata": metadata(name, ns, pl.Labels, pl.Annotations),
		"spec":     pipeSpec,
	}})
	version := PipelineVersionName(name, ir)
	verSpec := map[string]any{"pipelineName": name, "pipelineSpec": ir.Spec}
	if ir.Platform != nil {
		verSpec["platformSpec"] = ir.Platform
	}
	if pl.DisplayName != "" {
		verSpec["displayName"] = pl.DisplayName
	}
	if pl.Description != "" {
		verSpec["description"] = pl.Description
	}
	objs = append(objs, manifest.Object{Source: src, Content: map[string]any{
		"apiVersion": pipelinesAPI, "kind": "PipelineVersion",
		"metadata": metadata(version, ns, pl.Labels, pl.Annotations),
		"spec":     verSpec,
	}})
	if pl.Schedule != nil {
		objs = append(objs, scheduleCronJob(p, ns, name, version, src, pl.Labels, pl.Schedule))
	}
	return objs
}

// PipelineVersionName is the name of the version of a compiled pipeline: the pipeline's
// name and a hash of its spec, so the same pipeline always gives the same version.
func PipelineVersionName(pipeline string, ir PipelineIR) string {
	b, _ := json.Marshal(map[string]any{"pipelineSpec": ir.Spec, "platformSpec": ir.Platform})
	sum := sha256.Sum256(b)
	return pipeline + "-" + hex.EncodeToString(sum[:])[:versionHashLength]
}
