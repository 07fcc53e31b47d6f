package lower

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// pipelinesAPI is the API version of KFP's Kubernetes-native Pipeline and PipelineVersion.
const pipelinesAPI = "pipelines.kubeflow.org/v2beta1"

// versionHashLength is how many hex digits of the spec's hash name a version.
const versionHashLength = 10

// pipelineObjects compiles a pipeline to a Pipeline, a PipelineVersion named after the
// hash of its spec (KFP refuses changes to a version's spec, so a changed pipeline is a
// new version), and, with a schedule, a ScheduledWorkflow. The note says what a reader
// of the schedule could miss.
func pipelineObjects(p *model.Platform, ns, declared string, pl model.Pipeline) (objs []manifest.Object, note string) {
	name := model.NormalizeName(declared)
	src := model.Path("pipelines", declared)
	ir := CompilePipeline(p, name, pl)
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
	if s := pl.Schedule; s != nil {
		objs = append(objs, scheduledWorkflow(ns, name, src, s))
		if s.PipelineID == "" {
			note = "pipeline " + ns + "/" + name + ": its schedule stays disabled until schedule.pipelineId holds the Pipeline's UID " +
				"(kubectl -n " + ns + " get pipeline " + name + " -o jsonpath='{.metadata.uid}'): KFP's schedule controller names pipelines by UID"
		}
	}
	return objs, note
}

// PipelineVersionName is the name of the version of a compiled pipeline: the pipeline's
// name and a hash of its spec, so the same pipeline always gives the same version.
func PipelineVersionName(pipeline string, ir PipelineIR) string {
	b, _ := json.Marshal(map[string]any{"pipelineSpec": ir.Spec, "platformSpec": ir.Platform})
	sum := sha256.Sum256(b)
	return pipeline + "-" + hex.EncodeToString(sum[:])[:versionHashLength]
}

// scheduledWorkflow is a recurring run as KFP's API server writes one for a pipeline
// reference (kubeflow.org/v1beta1 ScheduledWorkflow without an embedded workflow): its
// controller asks the API server for a run of the pipeline's latest version on each tick.
func scheduledWorkflow(ns, name, src string, s *model.PipelineSchedule) manifest.Object {
	spec := map[string]any{
		"enabled":        s.Enabled && s.PipelineID != "",
		"maxConcurrency": s.MaxConcurrency,
		"noCatchup":      !s.CatchUp,
		"trigger":        map[string]any{"cronSchedule": map[string]any{"cron": ControllerCron(s.Cron)}},
	}
	if s.PipelineID != "" {
		spec["pipelineId"] = s.PipelineID
	}
	if s.ServiceAccount != "" {
		spec["serviceAccount"] = s.ServiceAccount
	}
	var params []any
	for _, k := range slices.Sorted(maps.Keys(s.Parameters)) {
		params = append(params, map[string]any{"name": k, "value": compactJSON(s.Parameters[k])})
	}
	if len(params) > 0 {
		spec["workflow"] = map[string]any{"parameters": params}
	}
	return manifest.Object{Source: src + ".schedule", Content: map[string]any{
		"apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow",
		"metadata": metadata(name, ns, nil, nil),
		"spec":     spec,
		// The CRD requires status; the controller fills it.
		"status": map[string]any{},
	}}
}

// ControllerCron writes a schedule in the dialect of KFP's schedule controller
// (github.com/robfig/cron v1 Parse: seconds first, day of week optional): a standard
// five-field cron gets a leading "0" seconds field, so it means what it says there
// instead of being read with seconds first. Six fields and descriptors are kept.
func ControllerCron(cron string) string {
	if strings.HasPrefix(cron, "@") || len(strings.Fields(cron)) != 5 {
		return cron
	}
	return "0 " + strings.Join(strings.Fields(cron), " ")
}

func compactJSON(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
