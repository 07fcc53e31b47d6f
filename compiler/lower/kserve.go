package lower

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/internal/credential"
)

// KServe's names.
const (
	deploymentModeAnnotation = "serving.kserve.io/deploymentMode"
	kserveContainer          = "kserve-container"
)

// deploymentModes maps an endpoint's mode to the annotation value every KServe release
// from v0.14 on accepts (v0.16+ also call them Knative and Standard).
var deploymentModes = map[string]string{"serverless": "Serverless", "raw": "RawDeployment"}

// kserveDefaultProtocol is the protocol KServe assumes when a model declares none.
func kserveDefaultProtocol(format string) string {
	if format == "triton" {
		return "v2"
	}
	return "v1"
}

// inferenceService compiles a serving endpoint to an InferenceService
// (serving.kserve.io/v1beta1).
func inferenceService(p *model.Platform, ns, declared string, ep model.ServingEndpoint) manifest.Object {
	name := model.NormalizeName(declared)
	predictor := componentExtension(ep)
	gpuLimits, scheduling := gpuScheduling(p, ep.Resources)
	maps.Copy(predictor, scheduling)
	if m := ep.Model; m != nil {
		format := map[string]any{"name": m.Format}
		if m.Version != "" {
			format["version"] = m.Version
		}
		uri := m.StorageURI
		if ep.Canary != nil && ep.Canary.StorageURI != "" {
			uri = ep.Canary.StorageURI
		}
		mdl := map[string]any{"modelFormat": format, "storageUri": uri}
		if m.Runtime != "" {
			mdl["runtime"] = runtimeName(p, m.Runtime)
		}
		if m.RuntimeVersion != "" {
			mdl["runtimeVersion"] = m.RuntimeVersion
		}
		if proto := m.ProtocolVersion(); m.Protocol != "" || proto != kserveDefaultProtocol(m.Format) {
			mdl["protocolVersion"] = proto
		}
		if len(m.Args) > 0 {
			mdl["args"] = strings2any(m.Args)
		}
		if env := envVars(m.Env); len(env) > 0 {
			mdl["env"] = env
		}
		if res := containerResources(ep.Resources, gpuLimits); res != nil {
			mdl["resources"] = res
		}
		predictor["model"] = mdl
	} else if c := ep.Container; c != nil {
		image := c.Image
		if ep.Canary != nil && ep.Canary.Image != "" {
			image = ep.Canary.Image
		}
		res := ep.Resources
		if res.CPU == "" && res.Memory == "" {
			res.CPU, res.Memory = c.Resources.CPU, c.Resources.Memory
		}
		predictor["containers"] = []any{servingContainer(*c, image, containerResources(res, gpuLimits))}
	}
	spec := map[string]any{"predictor": predictor}
	for key, c := range map[string]*model.ServingContainer{"transformer": ep.Transformer, "explainer": ep.Explainer} {
		if c != nil {
			spec[key] = map[string]any{"containers": []any{servingContainer(*c, c.Image, containerResources(c.Resources, nil))}}
		}
	}
	annotations := map[string]string{}
	maps.Copy(annotations, ep.Annotations)
	annotations[deploymentModeAnnotation] = deploymentModes[p.ServingMode(ep)]
	return manifest.Object{
		Source: model.Path("servingEndpoints", declared),
		Content: map[string]any{
			"apiVersion": "serving.kserve.io/v1beta1",
			"kind":       "InferenceService",
			"metadata":   metadata(name, ns, ep.Labels, annotations),
			"spec":       spec,
		},
	}
}

// runtimeName is the object name of a runtime an endpoint names: a cluster runtime's
// as written, a tenant runtime's as mlc names its ServingRuntime.
func runtimeName(p *model.Platform, name string) string {
	if _, ok := p.Defaults.ServingRuntimes[name]; ok {
		return name
	}
	return model.NormalizeName(name)
}

// componentExtension holds the predictor settings that are not the model: scale,
// traffic, timeouts, batching, logging, identity.
func componentExtension(ep model.ServingEndpoint) map[string]any {
	c := map[string]any{}
	if r := ep.Replicas; r != nil {
		if r.Min != nil {
			c["minReplicas"] = *r.Min
		}
		if r.Max != nil {
			c["maxReplicas"] = *r.Max
		}
	}
	if a := ep.Autoscaling; a != nil {
		c["scaleMetric"] = a.Metric
		c["scaleTarget"] = a.Target
	}
	if ep.Canary != nil {
		c["canaryTrafficPercent"] = ep.Canary.Traffic
	}
	if ep.ServiceAccount != "" {
		c["serviceAccountName"] = ep.ServiceAccount
	}
	if len(ep.PodLabels) > 0 {
		c["labels"] = stringMap(ep.PodLabels)
	}
	if ep.Timeout != nil {
		c["timeout"] = *ep.Timeout
	}
	if b := ep.Batching; b != nil {
		batcher := map[string]any{}
		for k, v := range map[string]*int64{"maxBatchSize": b.MaxBatchSize, "maxLatency": b.MaxLatency, "timeout": b.Timeout} {
			if v != nil {
				batcher[k] = *v
			}
		}
		c["batcher"] = batcher
	}
	if l := ep.Logging; l != nil {
		c["logger"] = map[string]any{"url": l.URL, "mode": l.Mode}
	}
	return c
}

// gpuScheduling returns the GPU limit of a request and the node selector and
// tolerations that put its pods where that GPU type is.
func gpuScheduling(p *model.Platform, r model.Resources) (limits map[string]any, scheduling map[string]any) {
	scheduling = map[string]any{}
	if r.GPU == 0 {
		return nil, scheduling
	}
	_, g, _ := p.GPUType(r.GPUType)
	if len(g.NodeSelector) > 0 {
		scheduling["nodeSelector"] = stringMap(g.NodeSelector)
	}
	if len(g.Tolerations) > 0 {
		scheduling["tolerations"] = tolerations(g.Tolerations)
	}
	return map[string]any{g.ResourceName(): strconv.FormatInt(r.GPU, 10)}, scheduling
}

// containerResources sets requests and limits alike (KServe's own defaults do too), with
// GPUs as limits and requests; nil when nothing is declared.
func containerResources(r model.Resources, gpu map[string]any) map[string]any {
	q := map[string]any{}
	if r.CPU != "" {
		q["cpu"] = string(r.CPU)
	}
	if r.Memory != "" {
		q["memory"] = r.Memory
	}
	maps.Copy(q, gpu)
	if len(q) == 0 {
		return nil
	}
	return map[string]any{"requests": q, "limits": maps.Clone(q)}
}

func servingContainer(c model.ServingContainer, image string, resources map[string]any) map[string]any {
	out := map[string]any{"name": kserveContainer, "image": image}
	if len(c.Command) > 0 {
		out["command"] = strings2any(c.Command)
	}
	if len(c.Args) > 0 {
		out["args"] = strings2any(c.Args)
	}
	if env := envVars(c.Env); len(env) > 0 {
		out["env"] = env
	}
	if resources != nil {
		out["resources"] = resources
	}
	return out
}

// servingRuntime compiles a tenant's runtime to a ServingRuntime (serving.kserve.io/v1alpha1).
func servingRuntime(ns, declared string, rt model.ServingRuntime) manifest.Object {
	var formats []any
	for _, f := range rt.Formats {
		m := map[string]any{"name": f.Name, "autoSelect": f.Selectable()}
		if f.Version != "" {
			m["version"] = f.Version
		}
		if f.Priority != nil {
			m["priority"] = *f.Priority
		}
		formats = append(formats, m)
	}
	c := model.ServingContainer{Image: rt.Image, Args: rt.Args, Env: rt.Env}
	return manifest.Object{
		Source: model.Path("servingRuntimes", declared),
		Content: map[string]any{
			"apiVersion": "serving.kserve.io/v1alpha1",
			"kind":       "ServingRuntime",
			"metadata":   metadata(model.NormalizeName(declared), ns, nil, nil),
			"spec": map[string]any{
				"supportedModelFormats": formats,
				"protocolVersions":      strings2any(rt.Protocols),
				"containers":            []any{servingContainer(c, rt.Image, containerResources(rt.Resources, nil))},
			},
		},
	}
}

// TrafficNote says in one line what an endpoint does with its traffic.
func TrafficNote(p *model.Platform, ns, declared string, ep model.ServingEndpoint) string {
	name := ns + "/" + model.NormalizeName(declared)
	stable, next := "", ""
	switch {
	case ep.Model != nil:
		stable = ep.Model.StorageURI
		if ep.Canary != nil {
			next = ep.Canary.StorageURI
		}
	case ep.Container != nil:
		stable = ep.Container.Image
		if ep.Canary != nil {
			next = ep.Canary.Image
		}
	}
	// A URI's user info would be printed on every render: the note never shows it.
	stable, next = credential.Redact(stable), credential.Redact(next)
	if ep.Canary == nil {
		return fmt.Sprintf("%s: 100%% of requests to %s", name, stable)
	}
	if ep.Canary.Traffic == 100 {
		return fmt.Sprintf("%s: canary at 100%%: every request goes to %s; promote it by moving it into the endpoint and removing the canary", name, next)
	}
	return fmt.Sprintf("%s: canary: %d%% of requests to %s, %d%% stay on the revision serving now (%s); where the endpoint is new, all requests go to %s until a revision has rolled out",
		name, ep.Canary.Traffic, next, 100-ep.Canary.Traffic, stable, next)
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
