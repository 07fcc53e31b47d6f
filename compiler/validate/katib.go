package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// experimentGK is Katib's Experiment. Its CRD accepts any spec, so the API server checks
// nothing: Katib's admission webhook does. The checks below follow that webhook
// (pkg/webhook/v1beta1/experiment/validator in github.com/kubeflow/katib), applied after
// the defaults its mutating webhook sets.
var experimentGK = schema.GroupKind{Group: "kubeflow.org", Kind: "Experiment"}

var (
	// katibName is the experiment names Katib accepts, up to 40 characters.
	katibName = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	// katibPlaceholder is a trial parameter in the trial template.
	katibPlaceholder = regexp.MustCompile(`\$\{trialParameters\..+?\}`)
	// katibMetaRef is a reference to the trial's own metadata.
	katibMetaRef = regexp.MustCompile(`^\$\{trialSpec\.(Name|Namespace|Kind|APIVersion|(Annotations|Labels)\[.+\])\}$`)
	// katibTwoGroups is Katib's test that a metrics filter has a name and a value group.
	katibTwoGroups = regexp.MustCompile(`.*\(.*\).*\(.*\).*`)
)

// katibAlgorithms are the algorithms Katib's default configuration has a suggestion
// service for; katibEarlyStopping its early stopping algorithms.
var (
	katibAlgorithms    = []string{"random", "tpe", "grid", "hyperband", "bayesianoptimization", "cmaes", "sobol", "multivariate-tpe", "enas", "darts", "pbt"}
	katibEarlyStopping = []string{"medianstop"}
	// katibDefaulted are the trial kinds whose success and failure conditions Katib's
	// mutating webhook sets when the template leaves them out.
	katibDefaulted = []string{"Job", "TFJob", "PyTorchJob", "XGBoostJob", "MPIJob", "TrainJob"}
)

// validateExperiment judges an Experiment as Katib's admission webhook would, and the
// job of its trial template against that job's own schema, as the API server will judge
// each trial Katib creates from it.
func (v *Validator) validateExperiment(u map[string]any) errorList {
	var errs errorList
	meta, _ := u["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	namespace, _ := meta["namespace"].(string)
	if !katibName.MatchString(name) || len(name) > 40 {
		errs.add("metadata.name", fmt.Sprintf("Invalid value: %q: Katib takes lower case letters, digits and '-', starting with a letter, at most 40 characters", name))
	}
	spec, err := decodeKatibSpec(u["spec"])
	if err != nil {
		errs.add("spec", "Katib cannot read the spec (it would ignore what it does not know): "+err.Error())
		return errs
	}
	checkKatibCounts(&errs, spec)
	if o := spec.Objective; o == nil {
		errs.add("spec.objective", "Required value: must be specified")
	} else {
		if o.Type != "minimize" && o.Type != "maximize" {
			errs.add("spec.objective.type", fmt.Sprintf("Invalid value: %q: must be minimize or maximize", o.Type))
		}
		if o.ObjectiveMetricName == "" {
			errs.add("spec.objective.objectiveMetricName", "Required value: must be specified")
		}
		if slices.Contains(o.AdditionalMetricNames, o.ObjectiveMetricName) {
			errs.add("spec.objective.additionalMetricNames", "Invalid value: should not contain spec.objective.objectiveMetricName")
		}
	}
	if a := spec.Algorithm; a == nil || a.AlgorithmName == "" {
		errs.add("spec.algorithm.algorithmName", "Required value: must be specified")
	} else if !slices.Contains(katibAlgorithms, a.AlgorithmName) {
		errs.add("spec.algorithm.algorithmName", fmt.Sprintf("Invalid value: %q: Katib has no suggestion service for it", a.AlgorithmName))
	}
	if es := spec.EarlyStopping; es != nil && !slices.Contains(katibEarlyStopping, es.AlgorithmName) {
		errs.add("spec.earlyStopping.algorithmName", fmt.Sprintf("Invalid value: %q: Katib has no early stopping service for it", es.AlgorithmName))
	}
	if !slices.Contains([]string{"", "Never", "LongRunning", "FromVolume"}, spec.ResumePolicy) {
		errs.add("spec.resumePolicy", fmt.Sprintf("Invalid value: %q: invalid ResumePolicyType", spec.ResumePolicy))
	}
	switch {
	case len(spec.Parameters) == 0 && spec.NasConfig == nil:
		errs.add("spec", "Required value: spec.parameters or spec.nasConfig must be specified")
	case len(spec.Parameters) > 0 && spec.NasConfig != nil:
		errs.add("spec", "Invalid value: only one of spec.parameters and spec.nasConfig can be specified")
	}
	checkKatibParameters(&errs, spec.Parameters)
	checkKatibMetrics(&errs, spec.MetricsCollectorSpec)
	errs = append(errs, v.checkTrialTemplate(spec, name, namespace)...)
	return errs
}

// decodeKatibSpec decodes an Experiment's spec as Katib's webhook does: from its
// JSON encoding, with unknown fields refused.
func decodeKatibSpec(v any) (katibSpec, error) {
	raw, _ := json.Marshal(v)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var spec katibSpec
	err := dec.Decode(&spec)
	return spec, err
}

// checkKatibCounts checks the trial counts, with Katib's default of 3 parallel trials.
func checkKatibCounts(errs *errorList, spec katibSpec) {
	parallel := int32(3)
	if spec.ParallelTrialCount != nil {
		parallel = *spec.ParallelTrialCount
	}
	if parallel <= 0 {
		errs.add("spec.parallelTrialCount", fmt.Sprintf("Invalid value: %d: must be greater than 0", parallel))
	}
	if f := spec.MaxFailedTrialCount; f != nil && *f < 0 {
		errs.add("spec.maxFailedTrialCount", fmt.Sprintf("Invalid value: %d: should not be less than 0", *f))
	}
	m := spec.MaxTrialCount
	if m == nil {
		return
	}
	if *m <= 0 {
		errs.add("spec.maxTrialCount", fmt.Sprintf("Invalid value: %d: must be greater than 0", *m))
	}
	if f := spec.MaxFailedTrialCount; f != nil && *f > *m {
		errs.add("spec.maxFailedTrialCount", fmt.Sprintf("Invalid value: %d: should be less than or equal to spec.maxTrialCount", *f))
	}
	if parallel > *m {
		errs.add("spec.parallelTrialCount", fmt.Sprintf("Invalid value: %d: should be less than or equal to spec.maxTrialCount", parallel))
	}
}

// checkKatibParameters checks each parameter's type and feasible space.
func checkKatibParameters(errs *errorList, params []katibParameter) {
	for i, p := range params {
		path := fmt.Sprintf("spec.parameters[%d]", i)
		fs := p.FeasibleSpace
		if !slices.Contains([]string{"int", "double", "categorical", "discrete", "unknown"}, p.ParameterType) {
			errs.add(path+".parameterType", fmt.Sprintf("Invalid value: %q: parameterType is not supported", p.ParameterType))
		}
		if fs.Distribution != "" && !slices.Contains([]string{"uniform", "logUniform", "normal", "logNormal", "unknown"}, fs.Distribution) {
			errs.add(path+".feasibleSpace.distribution", fmt.Sprintf("Invalid value: %q: distribution is not supported", fs.Distribution))
		}
		switch {
		case fs.Min == "" && fs.Max == "" && fs.Step == "" && len(fs.List) == 0 && fs.Distribution == "":
			errs.add(path+".feasibleSpace", "Required value: feasibleSpace must be specified")
		case p.ParameterType == "double" || p.ParameterType == "int":
			if len(fs.List) > 0 {
				errs.add(path+".feasibleSpace.list", "Invalid value: feasibleSpace.list is not supported for parameterType: "+p.ParameterType)
			}
			if fs.Min == "" || fs.Max == "" {
				errs.add(path+".feasibleSpace.max", "Required value: feasibleSpace.max or feasibleSpace.min must be specified for parameterType: "+p.ParameterType)
			}
		case p.ParameterType == "categorical" || p.ParameterType == "discrete":
			if fs.Min != "" || fs.Max != "" || fs.Step != "" {
				errs.add(path+".feasibleSpace", "Invalid value: feasibleSpace .max, .min and .step is not supported for parameterType: "+p.ParameterType)
			}
		}
	}
}

// checkKatibMetrics checks the metrics collector, with Katib's default (StdOut) and
// the default sources its mutating webhook sets.
func checkKatibMetrics(errs *errorList, mc *katibMetrics) {
	const path = "spec.metricsCollectorSpec"
	if mc == nil || mc.Collector == nil {
		return
	}
	var fsPath, fsKind, fsFormat string
	var filters []string
	if s := mc.Source; s != nil {
		if f := s.FileSystemPath; f != nil {
			fsPath, fsKind, fsFormat = f.Path, f.Kind, f.Format
		}
		if s.Filter != nil {
			filters = s.Filter.MetricsFormat
		}
	}
	switch kind := mc.Collector.Kind; kind {
	case "StdOut", "Push":
	case "File":
		if fsKind == "" {
			fsKind = "File"
		}
		if fsPath != "" && (fsKind != "File" || !filepath.IsAbs(fsPath)) {
			errs.add(path+".source.fileSystemPath.path", "Required value: file path where metrics file exists is required")
		}
		if fsFormat != "" && fsFormat != "TEXT" && fsFormat != "JSON" {
			errs.add(path+".source.fileSystemPath.format", "Required value: format of metrics file is required for metrics collector")
		}
		if fsFormat == "JSON" && len(filters) > 0 {
			errs.add(path+".source.filter", "Invalid value: filter must be nil when format of metrics file is json")
		}
	case "TensorFlowEvent":
		if fsKind == "" {
			fsKind = "Directory"
		}
		if fsPath != "" && (fsKind != "Directory" || !filepath.IsAbs(fsPath)) {
			errs.add(path+".source", "Required value: directory path where tensorflow event files exist is required by .spec.metricsCollectorSpec.source.fileSystemPath.path")
		}
		if fsFormat != "" {
			errs.add(path+".source.fileSystemPath.format", "Invalid value: must be empty")
		}
	case "PrometheusMetric":
		if s := mc.Source; s != nil && s.HTTPGet != nil {
			if p := s.HTTPGet.Port; p.String() != "0" && p.IntValue() <= 0 {
				errs.add(path+".source.httpGet.port", "Invalid value: must be a positive integer value for metrics collector kind: PrometheusMetric")
			}
			if s.HTTPGet.Path != "" && !strings.HasPrefix(s.HTTPGet.Path, "/") {
				errs.add(path+".source.httpGet.path", "Invalid value: path is invalid for metrics collector kind: PrometheusMetric")
			}
		}
	case "Custom":
		if mc.Collector.CustomCollector == nil {
			errs.add(path+".collector.customCollector", "Required value: metrics collector kind: Custom is required")
		}
	default:
		errs.add(path+".collector.kind", fmt.Sprintf("Invalid value: %q: invalid metrics collector kind", kind))
	}
	for _, f := range filters {
		if _, err := regexp.Compile(f); err != nil {
			errs.add(path+".source.filter.metricsFormat", fmt.Sprintf("Invalid value: %q: invalid filter: %v", f, err))
		} else if !katibTwoGroups.MatchString(f) {
			errs.add(path+".source.filter.metricsFormat", fmt.Sprintf("Invalid value: %q: two top subexpressions are required", f))
		}
	}
}

// checkTrialTemplate checks the trial parameters against the template, and the job
// Katib would create for a trial against its own schema.
func (v *Validator) checkTrialTemplate(spec katibSpec, name, namespace string) errorList {
	const path = "spec.trialTemplate"
	var errs errorList
	t := spec.TrialTemplate
	if t == nil {
		errs.add(path, "Required value: must be specified")
		return errs
	}
	if t.PrimaryContainerName == "" {
		errs.add(path+".primaryContainerName", "Required value: must be specified")
	}
	switch {
	case len(t.TrialSpec) == 0 && t.ConfigMap == nil:
		errs.add(path+".trialSpec", "Required value: spec.trialTemplate.trialSpec or spec.trialTemplate.configMap must be specified")
		return errs
	case len(t.TrialSpec) > 0 && t.ConfigMap != nil:
		errs.add(path, "Invalid value: only one of spec.trialTemplate.trialSpec or spec.trialTemplate.configMap can be specified")
		return errs
	case t.ConfigMap != nil:
		// The template is in a ConfigMap of the cluster: nothing more to check here.
		return errs
	}
	if (t.SuccessCondition == "" || t.FailureCondition == "") && !slices.Contains(katibDefaulted, t.trialKind()) {
		errs.add(path, "Required value: successCondition and failureCondition must be specified (Katib sets them only for "+strings.Join(katibDefaulted, ", ")+")")
	}
	if t.TrialParameters == nil {
		errs.add(path+".trialParameters", "Required value: must be specified")
		return errs
	}
	values := map[string]string{}
	for _, p := range spec.Parameters {
		values[p.Name] = sampleValue(p)
	}
	job, jobErrs := trialJob(t, values)
	errs = append(errs, jobErrs...)
	if job == nil {
		return errs
	}
	jobMeta, _ := job["metadata"].(map[string]any)
	if jobMeta["name"] != nil || jobMeta["namespace"] != nil {
		errs.add(path+".trialSpec.metadata", "Invalid value: metadata.name and metadata.namespace in spec.trialTemplate must be omitted")
		return errs
	}
	// Judge the job Katib creates for a trial, named <experiment>-<8 random characters>,
	// when mlc has its schema (every kind mlc compiles trials to).
	apiVersion, _ := job["apiVersion"].(string)
	kind, _ := job["kind"].(string)
	if apiVersion == "" || kind == "" {
		errs.add(path+".trialSpec", "Required value: APIVersion and Kind in spec.trialTemplate must be specified")
		return errs
	}
	if !v.Known(apiVersion, kind) {
		return errs
	}
	if jobMeta == nil {
		jobMeta = map[string]any{}
		job["metadata"] = jobMeta
	}
	jobMeta["name"] = name + "-a1b2c3d4"
	if namespace != "" {
		jobMeta["namespace"] = namespace
	}
	for _, e := range v.Validate(job) {
		p := path + ".trialSpec"
		if e.Path != "" {
			p += "." + e.Path
		}
		errs.add(p, e.Message)
	}
	return errs
}

// sampleValue is a value Katib could assign a parameter: its min, or its first value.
func sampleValue(p katibParameter) string {
	switch {
	case p.FeasibleSpace.Min != "":
		return p.FeasibleSpace.Min
	case len(p.FeasibleSpace.List) > 0:
		return p.FeasibleSpace.List[0]
	}
	return "test-value"
}
