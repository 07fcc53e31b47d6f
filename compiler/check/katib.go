package check

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// maxExperimentName is the longest experiment name Katib's admission webhook accepts.
const maxExperimentName = 40

// trialNameSuffix is what Katib appends to the experiment's name to name a trial: a
// dash and eight random characters.
const trialNameSuffix = len("-abcdefgh")

// placeholderPattern finds Katib trial parameters in a string, as Katib's webhook does.
var placeholderPattern = regexp.MustCompile(`\$\{trialParameters\.(.+?)\}`)

// twoGroups is Katib's test that a metrics filter has a name and a value group.
var twoGroups = regexp.MustCompile(`.*\(.*\).*\(.*\).*`)

// samplePlaceholders replaces Katib placeholders with a value, so that what holds them
// can be checked as the trial will be.
func samplePlaceholders(s string) string { return placeholderPattern.ReplaceAllString(s, "0") }

// experiment checks a Katib experiment as Katib's admission webhook and suggestion
// services would, and returns what one trial requests.
func (r *reporter) experiment(p *model.Platform, declared string, exp model.Experiment, targets []trainingTarget, q *quota) usage {
	path := model.Path("experiments", declared)
	name := model.NormalizeName(declared)
	if r.dns1035(path, name, "experiment name") {
		if len(name) > maxExperimentName {
			r.errorf(path, "experiment name %q is %d characters long; Katib takes at most %d", name, len(name), maxExperimentName)
		}
		for _, t := range targets {
			limit := names.MaxTrainingJobName(p, t.TrainingTarget, exp.Trial) - trialNameSuffix
			if len(name) > limit && len(t.clusters) > 0 {
				r.errorf(path, "experiment name %q is %d characters long; Katib names each trial's %s <experiment>-<8 characters>, and %s derives pod names from that, so at most %d fit (%s)",
					name, len(name), kindOf(t, exp.Trial), names.BackendName(t.Backend), limit, t.where())
			}
		}
	}
	trialPath := path + ".trial"
	u := r.trainingJob(p, trialPath, exp.Trial, targets, q)
	if exp.Trial.Suspend {
		r.errorf(trialPath+".suspend", "Katib waits for each trial's job to finish, and a suspended one never starts: remove suspend from the trial")
	}
	r.trialParameters(path, exp)
	r.searchSpace(path, exp)
	r.objective(path+".objective", exp.Objective)
	r.algorithm(path, exp)
	r.earlyStopping(path+".earlyStopping", exp.EarlyStopping)
	r.trialCounts(path, exp)
	if mc := exp.MetricsCollector; mc != nil {
		r.metricsCollector(path+".metricsCollector", *mc)
	}
	for _, k := range slices.Sorted(maps.Keys(exp.PrimaryPodLabels)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			r.errorf(path+".primaryPodLabels."+model.Path(k), "%q is not a label key: %s", k, strings.Join(errs, "; "))
		}
	}
	for _, t := range targets {
		res := names.KatibTrialResource(t.TrainingTarget, exp.Trial)
		if len(t.clusters) > 0 && !slices.Contains(p.Defaults.Katib.TrialResources, res) {
			r.errorf(trialPath+".framework", "%s: Katib is not configured to run %s trials (defaults.katib.trialResources lacks %s): add it there and to init.controller.trialResources in Katib's katib-config",
				t.where(), kindOf(t, exp.Trial), res)
		}
	}
	return u
}

func kindOf(t trainingTarget, job model.TrainingJob) string {
	_, kind := names.TrainingKind(t.Backend, job.Framework)
	return kind
}

// trialParameters checks that the trial uses every parameter and names no other.
func (r *reporter) trialParameters(path string, exp model.Experiment) {
	used := map[string]bool{}
	for _, s := range trainingStrings(path+".trial", exp.Trial) {
		for _, m := range placeholderPattern.FindAllStringSubmatch(s.value, -1) {
			if _, ok := exp.Parameters[m[1]]; !ok {
				r.errorf(s.path, "%s names no parameter of the experiment (have %s): declare %q in parameters, or correct the name", m[0], keyList(exp.Parameters), m[1])
				continue
			}
			used[m[1]] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(exp.Parameters)) {
		if !used[name] {
			r.errorf(path+"."+model.Path("parameters", name), "the trial does not use parameter %s: write ${trialParameters.%s} where the trial takes its value (in args, command or env), or remove the parameter", name, name)
		}
	}
}

// searchSpace checks each parameter's type and feasible space.
func (r *reporter) searchSpace(path string, exp model.Experiment) {
	if len(exp.Parameters) == 0 {
		r.errorf(path+".parameters", "an experiment searches at least one parameter: declare one, such as lr: {min: 0.001, max: 0.1}")
	}
	resource := ""
	if exp.Algorithm == "hyperband" {
		resource = exp.AlgorithmSettings["resource_name"].String()
	}
	for _, name := range slices.Sorted(maps.Keys(exp.Parameters)) {
		prm := exp.Parameters[name]
		ppath := path + "." + model.Path("parameters", name)
		if strings.ContainsAny(name, "{} \t") {
			r.errorf(ppath, "parameter name %q cannot hold braces or spaces: Katib finds it in ${trialParameters.%s}", name, name)
		}
		r.parameter(ppath, prm, name == resource)
	}
}

// parameter checks one dimension of the search space. Hyperband sets its resource
// parameter itself, so that one may have min equal to max.
func (r *reporter) parameter(path string, prm model.Parameter, hyperbandResource bool) {
	kind := prm.Kind()
	switch kind {
	case model.ParameterDouble, model.ParameterInt:
		if len(prm.Values) > 0 {
			r.errorf(path+".values", "a %s parameter is a range: set min and max, or type: \"categorical\" or \"discrete\" for a list of values", kind)
			return
		}
		if prm.Min == nil || prm.Max == nil {
			r.errorf(path, "a %s parameter needs min and max", kind)
			return
		}
		ok := true
		for _, b := range []struct {
			field string
			v     *model.Setting
		}{{"min", prm.Min}, {"max", prm.Max}, {"step", prm.Step}} {
			if b.v != nil && kind == model.ParameterInt && !isInteger(*b.v) {
				r.errorf(path+"."+b.field, "an int parameter's %s must be an integer (got %s)", b.field, b.v)
				ok = false
			}
		}
		if !ok {
			return
		}
		lo, hi := prm.Min.Float(), prm.Max.Float()
		switch {
		case lo > hi || (lo == hi && !hyperbandResource):
			r.errorf(path, "min (%s) must be less than max (%s)", prm.Min, prm.Max)
		case (prm.Distribution == "logUniform" || prm.Distribution == "logNormal") && lo <= 0:
			r.errorf(path+".min", "a %s parameter needs min above zero (got %s)", prm.Distribution, prm.Min)
		}
	case model.ParameterCategorical, model.ParameterDiscrete:
		for _, b := range []struct {
			field string
			v     *model.Setting
		}{{"min", prm.Min}, {"max", prm.Max}, {"step", prm.Step}} {
			if b.v != nil {
				r.errorf(path+"."+b.field, "a %s parameter is a list of values and takes no %s", kind, b.field)
			}
		}
		if len(prm.Values) == 0 {
			r.errorf(path, "a %s parameter needs values", kind)
		}
		seen := map[string]bool{}
		for i, v := range prm.Values {
			vpath := fmt.Sprintf("%s.values[%d]", path, i)
			if seen[v.String()] {
				r.errorf(vpath, "%s is in the list twice", v)
			}
			seen[v.String()] = true
			if kind == model.ParameterDiscrete && !v.IsNumber() {
				r.errorf(vpath, "a discrete parameter's values are numbers (got %q); use type: \"categorical\" for strings", v)
			}
		}
		if prm.Distribution != "" {
			r.errorf(path+".distribution", "a distribution applies to double and int parameters, not %s ones", kind)
		}
	}
}

// isInteger reports whether a setting is a whole number.
func isInteger(v model.Setting) bool {
	f := v.Float()
	return v.IsNumber() && f == math.Trunc(f) && !strings.ContainsAny(v.String(), ".eE")
}

// objective checks that the objective metric is not also an additional one.
func (r *reporter) objective(path string, o model.Objective) {
	seen := map[string]bool{}
	for i, m := range o.AdditionalMetrics {
		mpath := fmt.Sprintf("%s.additionalMetrics[%d]", path, i)
		switch {
		case m == o.Metric:
			r.errorf(mpath, "%s is the objective's metric; list only the other metrics", m)
		case seen[m]:
			r.errorf(mpath, "%s is listed twice", m)
		}
		seen[m] = true
	}
}

// trialCounts checks the trial counts as Katib's admission webhook does.
func (r *reporter) trialCounts(path string, exp model.Experiment) {
	m := exp.MaxTrials
	if m == nil {
		return
	}
	if exp.ParallelTrials > *m {
		r.errorf(path+".parallelTrials", "%d trials at once is more than maxTrials (%d): lower parallelTrials (3 when unset) or raise maxTrials", exp.ParallelTrials, *m)
	}
	if f := exp.MaxFailedTrials; f != nil && *f > *m {
		r.errorf(path+".maxFailedTrials", "%d failed trials is more than maxTrials (%d)", *f, *m)
	}
}

// metricsCollector checks a collector's source as Katib's webhook does, and that it sets
// nothing its kind does not read.
func (r *reporter) metricsCollector(path string, mc model.MetricsCollector) {
	takes := map[string][]string{
		"StdOut":           {"filter"},
		"File":             {"path", "format", "filter"},
		"TensorFlowEvent":  {"path"},
		"PrometheusMetric": {"path", "port"},
		"Push":             {},
	}[mc.Kind]
	for _, f := range []struct {
		field string
		set   bool
	}{{"path", mc.Path != ""}, {"format", mc.Format != ""}, {"filter", len(mc.Filter) > 0}, {"port", mc.Port != nil}} {
		if f.set && !slices.Contains(takes, f.field) {
			r.errorf(path+"."+f.field, "a %s collector takes no %s", mc.Kind, f.field)
		}
	}
	if mc.Path != "" && mc.Kind != "PrometheusMetric" && !filepath.IsAbs(mc.Path) {
		r.errorf(path+".path", "must be an absolute path (got %q)", mc.Path)
	}
	if mc.Kind == "File" && mc.Format == "JSON" && len(mc.Filter) > 0 {
		r.errorf(path+".filter", "a JSON metrics file takes no filter: Katib reads the metrics by name")
	}
	for i, f := range mc.Filter {
		fpath := fmt.Sprintf("%s.filter[%d]", path, i)
		if _, err := regexp.Compile(f); err != nil {
			r.errorf(fpath, "not a regular expression: %v", err)
		} else if !twoGroups.MatchString(f) {
			r.errorf(fpath, "needs two groups, the metric's name and its value, such as ([\\w-]+)=([+-]?\\d+(\\.\\d+)?)")
		}
	}
}
