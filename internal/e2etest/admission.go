package e2etest

import (
	"context"
	"encoding/json"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// admissionRule is an upstream webhook's behaviour that the stand-in reproduces because
// the tests depend on it; everything else is admitted.
type admissionRule struct {
	// upstream names the webhook and release the rule comes from.
	upstream string
	// kind is the kind of configuration whose requests the rule checks.
	kind routeKind
	// resource is the group and resource ("group/resource") the rule covers.
	resource   string
	operations []admissionv1.Operation
	// check returns why req is refused, or "" when it is admitted.
	check func(ctx context.Context, c *Cluster, req *admissionv1.AdmissionRequest) string
}

// admissionRules are the rules the webhook stand-in enforces.
var admissionRules = []admissionRule{{
	upstream:   "KFP 2.15.0 mutating webhook pipelineversions.pipelines.kubeflow.org (Default)",
	kind:       mutating,
	resource:   "pipelines.kubeflow.org/pipelineversions",
	operations: []admissionv1.Operation{admissionv1.Create, admissionv1.Update},
	check:      pipelineVersionNeedsPipeline,
}, {
	upstream:   "KFP 2.15.0 validating webhook pipelineversions.pipelines.kubeflow.org (ValidateUpdate)",
	kind:       validating,
	resource:   "pipelines.kubeflow.org/pipelineversions",
	operations: []admissionv1.Operation{admissionv1.Update},
	check:      pipelineVersionSpecImmutable,
}}

var kfpPipeline = schema.GroupVersionKind{Group: "pipelines.kubeflow.org", Version: "v2beta1", Kind: "Pipeline"}

// pipelineVersionNeedsPipeline refuses a PipelineVersion whose spec.pipelineName names
// no Pipeline of its namespace, as KFP's webhook does on CREATE and UPDATE, dry runs
// included (it declares no side effects).
func pipelineVersionNeedsPipeline(ctx context.Context, c *Cluster, req *admissionv1.AdmissionRequest) string {
	var pv struct {
		Spec struct {
			PipelineName string `json:"pipelineName"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(req.Object.Raw, &pv); err != nil {
		return fmt.Sprintf("expected a PipelineVersion object: %v", err)
	}
	r, err := c.ResourceFor(kfpPipeline, req.Namespace)
	if err == nil {
		_, err = r.Get(ctx, pv.Spec.PipelineName, metav1.GetOptions{})
	}
	switch {
	case err == nil:
		return ""
	case apierrors.IsNotFound(err):
		return "The spec.pipelineName doesn't map to an existing Pipeline object"
	default:
		return fmt.Sprintf("Failed to get the Pipeline %s/%s: %v", req.Namespace, pv.Spec.PipelineName, err)
	}
}

// pipelineVersionSpecImmutable refuses a change to a PipelineVersion's spec (its
// generation moves), as KFP's webhook does.
func pipelineVersionSpecImmutable(_ context.Context, _ *Cluster, req *admissionv1.AdmissionRequest) string {
	var old, cur metav1.PartialObjectMetadata
	if json.Unmarshal(req.OldObject.Raw, &old) != nil || json.Unmarshal(req.Object.Raw, &cur) != nil {
		return "Expected a PipelineVersion"
	}
	if old.Generation != cur.Generation {
		return "Pipeline spec is immutable; only metadata changes (labels/annotations) are allowed"
	}
	return ""
}
