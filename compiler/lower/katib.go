package lower

import (
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// Katib's names and the conditions it reads a trial's outcome from (its defaults for
// each job kind, set here for every kind so that none depends on Katib's mutating webhook,
// which knows neither JAXJob nor PaddleJob).
const (
	katibAPIVersion = "kubeflow.org/v1beta1"
	// operatorSucceeded and operatorFailed are the Training Operator's job conditions.
	operatorSucceeded = `status.conditions.#(type=="Succeeded")#|#(status=="True")#`
	operatorFailed    = `status.conditions.#(type=="Failed")#|#(status=="True")#`
	// trainJobComplete and trainJobFailed are a TrainJob's.
	trainJobComplete = `status.conditions.#(type=="Complete")#|#(status=="True")#`
	trainJobFailed   = `status.conditions.#(type=="Failed")#|#(status=="True")#`

	jobRoleLabel      = "training.kubeflow.org/job-role"
	replicaTypeLabel  = "training.kubeflow.org/replica-type"
	replicaIndexLabel = "training.kubeflow.org/replica-index"
)

// trialRun is how Katib runs a trial of a job kind: the container it reads metrics
// from, the pods that container is in, and the conditions that end the trial.
type trialRun struct {
	primaryContainer string
	primaryPodLabels map[string]string
	success, failure string
}

// katibTrial returns how Katib runs trials of job on the target. The primary pod is the
// job's first: the Training Operator's master (the master or chief replica, else worker
// 0, or MPI's launcher) and, for a TrainJob, the first pod of the replicated job that
// runs the training code.
func katibTrial(target model.TrainingTarget, job model.TrainingJob) trialRun {
	if target.Backend == model.BackendTrainingOperator {
		t := trialRun{
			primaryContainer: names.Operator(job.Framework).Container,
			primaryPodLabels: map[string]string{jobRoleLabel: "master"},
			success:          operatorSucceeded,
			failure:          operatorFailed,
		}
		// PaddleJob marks only a Master replica as master; mlc's PaddleJobs have workers only.
		if job.Framework == "paddle" {
			t.primaryPodLabels = map[string]string{replicaTypeLabel: "worker", replicaIndexLabel: "0"}
		}
		return t
	}
	return trialRun{
		primaryContainer: trainerContainer,
		primaryPodLabels: map[string]string{
			"jobset.sigs.k8s.io/replicatedjob-name":    trainerJobName(job.Framework),
			"batch.kubernetes.io/job-completion-index": "0",
		},
		success: trainJobComplete,
		failure: trainJobFailed,
	}
}

// experiment compiles an experiment to a Katib Experiment (kubeflow.org/v1beta1) whose
// trial template is the compiled trial job.
func experiment(p *model.Platform, target model.TrainingTarget, ns, declared string, exp model.Experiment) manifest.Object {
	name := model.NormalizeName(declared)
	objective := map[string]any{"type": exp.Objective.Type, "objectiveMetricName": exp.Objective.Metric}
	if exp.Objective.Goal != nil {
		objective["goal"] = exp.Objective.Goal.Float()
	}
	if len(exp.Objective.AdditionalMetrics) > 0 {
		objective["additionalMetricNames"] = strings2any(exp.Objective.AdditionalMetrics)
	}
	algorithm := map[string]any{"algorithmName": exp.Algorithm}
	if s := settingList(exp.AlgorithmSettings); len(s) > 0 {
		algorithm["algorithmSettings"] = s
	}
	spec := map[string]any{
		"objective":          objective,
		"algorithm":          algorithm,
		"parameters":         parameterList(exp.Parameters),
		"parallelTrialCount": exp.ParallelTrials,
		"trialTemplate":      trialTemplate(p, target, exp),
	}
	if es := exp.EarlyStopping; es != nil {
		early := map[string]any{"algorithmName": es.Algorithm}
		if s := settingList(es.Settings); len(s) > 0 {
			early["algorithmSettings"] = s
		}
		spec["earlyStopping"] = early
	}
	if exp.MaxTrials != nil {
		spec["maxTrialCount"] = *exp.MaxTrials
	}
	if exp.MaxFailedTrials != nil {
		spec["maxFailedTrialCount"] = *exp.MaxFailedTrials
	}
	if exp.ResumePolicy != "" {
		spec["resumePolicy"] = exp.ResumePolicy
	}
	if mc := exp.MetricsCollector; mc != nil {
		spec["metricsCollectorSpec"] = metricsCollector(*mc)
	}
	return manifest.Object{
		Source: model.Path("experiments", declared),
		Content: map[string]any{
			"apiVersion": katibAPIVersion,
			"kind":       "Experiment",
			"metadata":   metadata(name, ns, exp.Labels, exp.Annotations),
			"spec":       spec,
		},
	}
}

// trialTemplate is the compiled trial job, without the name and namespace Katib gives
// each trial, and what Katib needs to run it. Each parameter is a trial parameter of the
// same name, so ${trialParameters.<name>} in the trial takes its value.
func trialTemplate(p *model.Platform, target model.TrainingTarget, exp model.Experiment) map[string]any {
	job := trainingJob(p, target, "", "", exp.Trial)
	meta := job["metadata"].(map[string]any)
	delete(meta, "name")
	if len(meta) == 0 {
		delete(job, "metadata")
	}
	var params []any
	for _, name := range sortedKeys(exp.Parameters) {
		tp := map[string]any{"name": name, "reference": name}
		if d := exp.Parameters[name].Description; d != "" {
			tp["description"] = d
		}
		params = append(params, tp)
	}
	trial := katibTrial(target, exp.Trial)
	labels := trial.primaryPodLabels
	if len(exp.PrimaryPodLabels) > 0 {
		labels = exp.PrimaryPodLabels
	}
	t := map[string]any{
		"primaryContainerName": trial.primaryContainer,
		"primaryPodLabels":     stringMap(labels),
		"successCondition":     trial.success,
		"failureCondition":     trial.failure,
		"trialParameters":      params,
		"trialSpec":            job,
	}
	if exp.RetainTrials {
		t["retain"] = true
	}
	return t
}

// parameterList is the search space in Katib's form, sorted by name. Katib takes every
// bound and value as a string.
func parameterList(params map[string]model.Parameter) []any {
	var out []any
	for _, name := range sortedKeys(params) {
		prm := params[name]
		space := map[string]any{}
		for key, v := range map[string]*model.Setting{"min": prm.Min, "max": prm.Max, "step": prm.Step} {
			if v != nil {
				space[key] = v.String()
			}
		}
		if len(prm.Values) > 0 {
			list := make([]any, len(prm.Values))
			for i, v := range prm.Values {
				list[i] = v.String()
			}
			space["list"] = list
		}
		if prm.Distribution != "" {
			space["distribution"] = prm.Distribution
		}
		out = append(out, map[string]any{"name": name, "parameterType": prm.Kind(), "feasibleSpace": space})
	}
	return out
}

// settingList is algorithm settings as Katib's name/value list, sorted by name.
func settingList(settings map[string]model.Setting) []any {
	var out []any
	for _, k := range sortedKeys(settings) {
		out = append(out, map[string]any{"name": k, "value": settings[k].String()})
	}
	return out
}

// metricsCollector is a collector in Katib's form: its kind and where it reads.
func metricsCollector(mc model.MetricsCollector) map[string]any {
	source := map[string]any{}
	switch mc.Kind {
	case "File":
		fs := map[string]any{"kind": "File"}
		if mc.Path != "" {
			fs["path"] = mc.Path
		}
		if mc.Format != "" {
			fs["format"] = mc.Format
		}
		source["fileSystemPath"] = fs
	case "TensorFlowEvent":
		if mc.Path != "" {
			source["fileSystemPath"] = map[string]any{"kind": "Directory", "path": mc.Path}
		}
	case "PrometheusMetric":
		get := map[string]any{}
		if mc.Path != "" {
			get["path"] = mc.Path
		}
		if mc.Port != nil {
			get["port"] = *mc.Port
		}
		if len(get) > 0 {
			source["httpGet"] = get
		}
	}
	if len(mc.Filter) > 0 {
		source["filter"] = map[string]any{"metricsFormat": strings2any(mc.Filter)}
	}
	out := map[string]any{"collector": map[string]any{"kind": mc.Kind}}
	if len(source) > 0 {
		out["source"] = source
	}
	return out
}
