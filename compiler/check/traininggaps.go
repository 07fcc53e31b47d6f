package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// gap is a setting of a training job that a backend cannot express: lowering the job
// there would drop it, so the checks report every gap as an error.
type gap struct {
	// field is the setting's path inside the job declaration, such as "restartPolicy".
	field string
	// reason says why, and what to do instead.
	reason string
}

// trainingGapsOn lists what of job the target cannot express.
func trainingGapsOn(p *model.Platform, target model.TrainingTarget, job model.TrainingJob) []gap {
	if target.Backend == model.BackendTrainingOperator {
		return operatorGaps(job)
	}
	return trainerGaps(p, target, job)
}

// trainerReservedEnv are the variables each runtime's plugin sets and Trainer's webhook
// refuses in a TrainJob, by framework.
var trainerReservedEnv = map[string][]string{
	"pytorch": {"PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT"},
	"xgboost": {"DMLC_TRACKER_URI", "DMLC_TRACKER_PORT", "DMLC_TASK_ID", "DMLC_NUM_WORKER"},
	"mpi":     {"OMPI_MCA_orte_default_hostfile", "OMPI_MCA_plm_rsh_args", "OMPI_MCA_orte_keep_fqdn_hostnames", "OMPI_MCA_orte_set_default_slots"},
}

// trainerGaps lists what Kubeflow Trainer cannot express of a job.
func trainerGaps(p *model.Platform, target model.TrainingTarget, job model.TrainingJob) []gap {
	var gaps []gap
	add := func(field, format string, args ...any) {
		gaps = append(gaps, gap{field: field, reason: fmt.Sprintf(format, args...)})
	}
	name, rt, ok := p.TrainerRuntime(job)
	switch {
	case job.Runtime != "" && !ok:
		add("runtime", "Kubeflow Trainer has no runtime %q in the platform's defaults.training.runtimes (have %s)",
			job.Runtime, strings.Join(slices.Sorted(maps.Keys(p.Defaults.Training.Runtimes)), ", "))
	case !ok:
		add("framework", "Kubeflow Trainer has no runtime for %s jobs (defaults.training.defaultRuntimes has none for it): "+
			"run the tenant on clusters whose training backend is training-operator, or add a %s runtime to defaults.training", job.Framework, job.Framework)
	case rt.Framework != job.Framework:
		add("runtime", "runtime %s runs %s jobs, not %s", name, rt.Framework, job.Framework)
	}
	unsupported := func(field string, set bool, instead string) {
		if set {
			add(field, "Kubeflow Trainer takes %s from the runtime, not from a TrainJob; %s", field, instead)
		}
	}
	const operatorOnly = "set it in the runtime, or run the tenant on clusters whose training backend is training-operator"
	unsupported("restartPolicy", job.RestartPolicy != "", operatorOnly)
	unsupported("backoffLimit", job.BackoffLimit != nil, operatorOnly)
	unsupported("ttlSecondsAfterFinished", job.TTLSecondsAfterFinished != nil, operatorOnly)
	unsupported("cleanPods", job.CleanPods != "", operatorOnly)
	unsupported("port", job.Port != nil, operatorOnly)
	unsupported("imagePullPolicy", job.ImagePullPolicy != "", operatorOnly)
	if job.Elastic != nil {
		add("elastic", "Kubeflow Trainer has no elastic training: a TrainJob runs a fixed number of nodes; "+
			"remove elastic, or run the tenant on clusters whose training backend is training-operator")
	}
	if job.Chief || job.ParameterServers != nil {
		field := "chief"
		if !job.Chief {
			field = "parameterServers"
		}
		add(field, "Kubeflow Trainer has no TensorFlow runtime with a chief or parameter servers")
	}
	if job.Launcher != nil && job.Launcher.Resources != nil {
		add("launcher.resources", "Kubeflow Trainer runs the MPI launcher as one of the nodes, with their resources; remove launcher.resources")
	}
	if ok {
		for _, step := range []struct {
			field string
			set   bool
		}{{"dataset", job.Dataset != nil}, {"model", job.Model != nil}} {
			if step.set && !slices.Contains(rt.Initializers, step.field) {
				add(step.field, "runtime %s has no %s initializer; name a runtime that has one (defaults.training.runtimes.<name>.initializers)", name, step.field)
			}
		}
		if job.Queue != "" && target.Scheduler == model.SchedulerVolcano && rt.PodGroupPolicy != model.SchedulerVolcano {
			add("queue", "the cluster schedules training with Volcano, and runtime %s has no Volcano pod-group policy; "+
				"name a runtime that has one (podGroupPolicy: \"volcano\" in defaults.training.runtimes)", name)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(job.Env)) {
		if slices.Contains(trainerReservedEnv[job.Framework], k) {
			add("env."+model.Path(k), "Kubeflow Trainer sets %s for %s jobs itself and refuses it in a TrainJob", k, job.Framework)
		}
	}
	return gaps
}

// operatorGaps lists what the Training Operator cannot express of a job.
func operatorGaps(job model.TrainingJob) []gap {
	var gaps []gap
	if job.Runtime != "" {
		gaps = append(gaps, gap{"runtime", "the Training Operator has no runtimes (they are Kubeflow Trainer's); remove runtime, " +
			"or run the tenant on clusters whose training backend is trainer"})
	}
	if job.Image == "" {
		gaps = append(gaps, gap{"image", "the Training Operator needs an image: set image (Kubeflow Trainer would use its runtime's)"})
	}
	for _, in := range []struct {
		field string
		set   bool
	}{{"dataset", job.Dataset != nil}, {"model", job.Model != nil}} {
		if in.set {
			gaps = append(gaps, gap{in.field, "the Training Operator has no initializers; mount the data with volumes, " +
				"or run the tenant on clusters whose training backend is trainer"})
		}
	}
	return gaps
}
