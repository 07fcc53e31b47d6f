package validate

import (
	"encoding/json"
	"errors"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mlc-gitops/mlc/compiler/kfpir"
)

// pipelineVersionGK is Kubeflow Pipelines' Kubernetes-native PipelineVersion. Its CRD
// accepts any pipelineSpec and platformSpec; KFP's admission webhook decodes the spec
// and refuses a version whose spec it cannot read.
var pipelineVersionGK = schema.GroupKind{Group: "pipelines.kubeflow.org", Kind: "PipelineVersion"}

// validatePipelineVersion checks a PipelineVersion's spec.pipelineSpec and
// spec.platformSpec strictly against KFP's protos (ml_pipelines.PipelineSpec and
// PlatformSpec), as package kfpir does: an unknown field or a value of the wrong type is
// an error, reported at its path under spec. kfpir.ValidSpecs vouches for most specs
// without encoding them; the others are decoded, which also says what is wrong.
func validatePipelineVersion(u map[string]any) errorList {
	spec, _ := u["spec"].(map[string]any)
	if spec == nil {
		return nil
	}
	if spec["pipelineSpec"] == nil {
		return nil // the CRD schema reports a missing spec
	}
	if kfpir.ValidSpecs(spec["pipelineSpec"], spec["platformSpec"]) {
		return nil
	}
	var errs errorList
	pipelineSpec, err := json.Marshal(spec["pipelineSpec"])
	if err != nil {
		return nil
	}
	var platformSpec []byte
	if p, ok := spec["platformSpec"]; ok && p != nil {
		if platformSpec, err = json.Marshal(p); err != nil {
			return nil
		}
	}
	for _, e := range flatten(kfpir.ValidateDocuments(pipelineSpec, platformSpec)) {
		var ke *kfpir.Error
		if !errors.As(e, &ke) {
			errs.add("spec", "KFP cannot read the pipeline spec: "+e.Error())
			continue
		}
		base := "spec.pipelineSpec"
		if ke.Message == kfpir.PlatformSpecMessage || ke.Message == kfpir.KubernetesExecutorConfigMessage {
			base = "spec.platformSpec"
		}
		path := base
		switch {
		case strings.HasPrefix(ke.Path, "["):
			path += ke.Path
		case ke.Path != "":
			path += "." + ke.Path
		}
		errs.add(path, ke.Reason+" (not a valid "+ke.Message+", so KFP cannot run the version)")
	}
	return errs
}

// flatten returns the errors errors.Join put together, or err alone.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
