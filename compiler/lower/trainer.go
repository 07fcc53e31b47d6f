package lower

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// Kubeflow Trainer's names.
const (
	trainerAPIVersion = "trainer.kubeflow.org/v1alpha1"
	trainerGroup      = "trainer.kubeflow.org"
	// trainerContainer is the training container of every runtime's trainer step.
	trainerContainer = "node"
	// patchManager owns mlc's entry in a TrainJob's runtimePatches.
	patchManager = "mlc-gitops.github.io/mlc"
	// volcanoQueueAnnotation names the Volcano queue of a TrainJob's pod group.
	volcanoQueueAnnotation = "scheduling.volcano.sh/queue-name"
)

// trainerReservedEnv are the variables each runtime's plugin sets and Trainer's webhook
// refuses in a TrainJob, by framework.
var trainerReservedEnv = map[string][]string{
	"pytorch": {"PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT"},
	"xgboost": {"DMLC_TRACKER_URI", "DMLC_TRACKER_PORT", "DMLC_TASK_ID", "DMLC_NUM_WORKER"},
	"mpi":     {"OMPI_MCA_orte_default_hostfile", "OMPI_MCA_plm_rsh_args", "OMPI_MCA_orte_keep_fqdn_hostnames", "OMPI_MCA_orte_set_default_slots"},
}

// trainerRuntime returns the Kubeflow Trainer runtime a job runs on: the one it names,
// or the platform's runtime for its framework. ok is false when there is none.
func trainerRuntime(p *model.Platform, job model.TrainingJob) (name string, rt model.TrainingRuntime, ok bool) {
	name = job.Runtime
	if name == "" {
		name = p.Defaults.Training.DefaultRuntimes[job.Framework]
	}
	rt, ok = p.Defaults.Training.Runtimes[name]
	return name, rt, ok
}

// trainerJobName is the replicated job of a runtime that runs the training code: the
// launcher for MPI runtimes (which run it as a node too), else the nodes.
func trainerJobName(framework string) string {
	if framework == "mpi" {
		return "launcher"
	}
	return trainerContainer
}

// replicatedJob is one of the JobSet's replicated jobs and how many pods it runs.
type replicatedJob struct {
	name string
	pods int64
}

// trainerReplicatedJobs are the replicated jobs a TrainJob's JobSet has.
func trainerReplicatedJobs(p *model.Platform, job model.TrainingJob) []replicatedJob {
	out := []replicatedJob{{name: trainerContainer, pods: max(job.Workers, 1)}}
	if job.Framework == "mpi" {
		out = append(out, replicatedJob{name: "launcher", pods: 1})
	}
	_, rt, _ := trainerRuntime(p, job)
	for _, step := range rt.Initializers {
		out = append(out, replicatedJob{name: step + "-initializer", pods: 1})
	}
	return out
}

// trainerGaps lists what Kubeflow Trainer cannot express of a job.
func trainerGaps(p *model.Platform, target TrainingTarget, job model.TrainingJob) []Gap {
	var gaps []Gap
	add := func(field, format string, args ...any) {
		gaps = append(gaps, Gap{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	name, rt, ok := trainerRuntime(p, job)
	switch {
	case job.Runtime != "" && !ok:
		add("runtime", "Kubeflow Trainer has no runtime %q in the platform's defaults.training.runtimes (have %s)",
			job.Runtime, strings.Join(sortedKeys(p.Defaults.Training.Runtimes), ", "))
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
	for _, k := range sortedKeys(job.Env) {
		if slices.Contains(trainerReservedEnv[job.Framework], k) {
			add("env."+model.Path(k), "Kubeflow Trainer sets %s for %s jobs itself and refuses it in a TrainJob", k, job.Framework)
		}
	}
	return gaps
}

// trainJob compiles a job to a TrainJob (trainer.kubeflow.org/v1alpha1) on its runtime.
func trainJob(p *model.Platform, target TrainingTarget, name, ns string, job model.TrainingJob) map[string]any {
	rtName, rt, _ := trainerRuntime(p, job)
	trainer := map[string]any{"numNodes": job.Workers}
	if job.Image != "" {
		trainer["image"] = ResolveImage(p, job.Image)
	}
	if len(job.Command) > 0 {
		trainer["command"] = strings2any(job.Command)
	}
	if len(job.Args) > 0 {
		trainer["args"] = strings2any(job.Args)
	}
	if env := envVars(job.Env); len(env) > 0 {
		trainer["env"] = env
	}
	if job.ProcsPerWorker != nil {
		trainer["numProcPerNode"] = *job.ProcsPerWorker
	}
	if resources, _ := trainingResources(p, job.Resources); resources != nil {
		trainer["resourcesPerNode"] = resources
	}
	spec := map[string]any{
		"runtimeRef": map[string]any{"apiGroup": trainerGroup, "kind": rt.Kind, "name": rtName},
		"trainer":    trainer,
	}
	initializer := map[string]any{}
	for key, in := range map[string]*model.TrainingInitializer{"dataset": job.Dataset, "model": job.Model} {
		if in != nil {
			m := map[string]any{"storageUri": in.StorageURI}
			if in.Secret != "" {
				m["secretRef"] = map[string]any{"name": in.Secret}
			}
			initializer[key] = m
		}
	}
	if len(initializer) > 0 {
		spec["initializer"] = initializer
	}
	if patch := runtimePatch(p, target, job); patch != nil {
		spec["runtimePatches"] = []any{patch}
	}
	if job.Suspend {
		spec["suspend"] = true
	}
	if job.ActiveDeadlineSeconds != nil {
		spec["activeDeadlineSeconds"] = *job.ActiveDeadlineSeconds
	}
	return map[string]any{
		"apiVersion": trainerAPIVersion,
		"kind":       "TrainJob",
		"metadata":   jobMetadata(target, name, ns, job),
		"spec":       spec,
	}
}

// runtimePatch is mlc's entry in runtimePatches: what a TrainJob cannot say in its
// trainer section (service account, volumes, GPU scheduling, Volcano queue); nil when
// there is nothing to patch. MPI runtimes run the training code in the launcher too.
func runtimePatch(p *model.Platform, target TrainingTarget, job model.TrainingJob) map[string]any {
	template := map[string]any{}
	if podSpec := patchPodSpec(p, job); len(podSpec) > 0 {
		names := []string{trainerContainer}
		if job.Framework == "mpi" {
			names = append(names, "launcher")
		}
		var jobs []any
		for _, rj := range names {
			jobs = append(jobs, map[string]any{
				"name":     rj,
				"template": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": patchPodSpec(p, job)}}},
			})
		}
		template["spec"] = map[string]any{"replicatedJobs": jobs}
	}
	if job.Queue != "" && target.Scheduler == model.SchedulerVolcano {
		template["metadata"] = map[string]any{"annotations": map[string]any{volcanoQueueAnnotation: job.Queue}}
	}
	if len(template) == 0 {
		return nil
	}
	return map[string]any{
		"manager":             patchManager,
		"trainingRuntimeSpec": map[string]any{"template": template},
	}
}

// patchPodSpec is the pod spec mlc patches into a runtime's replicated job.
func patchPodSpec(p *model.Platform, job model.TrainingJob) map[string]any {
	_, podSpec := trainingResources(p, job.Resources)
	if job.ServiceAccount != "" {
		podSpec["serviceAccountName"] = job.ServiceAccount
	}
	if volumes, mounts := trainingVolumes(job.Volumes); len(volumes) > 0 {
		podSpec["volumes"] = volumes
		podSpec["containers"] = []any{map[string]any{"name": trainerContainer, "volumeMounts": mounts}}
	}
	return podSpec
}
