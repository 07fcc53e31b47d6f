package lower

import (
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// Kubeflow Trainer's names.
const (
	trainerGroup = "trainer.kubeflow.org"
	// trainerContainer is the training container of every runtime's trainer step.
	trainerContainer = names.TrainerNode
	// patchManager owns mlc's entry in a TrainJob's runtimePatches.
	patchManager = "mlc-gitops.github.io/mlc"
	// volcanoQueueAnnotation names the Volcano queue of a TrainJob's pod group.
	volcanoQueueAnnotation = "scheduling.volcano.sh/queue-name"
)

// trainerJobName is the replicated job of a runtime that runs the training code: the
// launcher for MPI runtimes (which run it as a node too), else the nodes.
func trainerJobName(framework string) string {
	if framework == "mpi" {
		return "launcher"
	}
	return trainerContainer
}

// trainJob compiles a job to a TrainJob (trainer.kubeflow.org/v1alpha1) on its runtime.
func trainJob(p *model.Platform, target model.TrainingTarget, name, ns string, job model.TrainingJob) map[string]any {
	rtName, rt, _ := p.TrainerRuntime(job)
	trainer := map[string]any{"numNodes": job.Workers}
	if job.Image != "" {
		trainer["image"] = p.ResolveImage(job.Image)
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
	if target.PodTemplateOverrides {
		if overrides := podTemplateOverrides(p, target, job); overrides != nil {
			spec["podTemplateOverrides"] = overrides
		}
	} else if patch := runtimePatch(p, target, job); patch != nil {
		spec["runtimePatches"] = []any{patch}
	}
	if job.Suspend {
		spec["suspend"] = true
	}
	if job.ActiveDeadlineSeconds != nil {
		spec["activeDeadlineSeconds"] = *job.ActiveDeadlineSeconds
	}
	return map[string]any{
		"apiVersion": names.TrainerAPIVersion,
		"kind":       "TrainJob",
		"metadata":   jobMetadata(target, name, ns, job),
		"spec":       spec,
	}
}

// runtimePatch is mlc's entry in runtimePatches: what a TrainJob cannot say in its
// trainer section (service account, volumes, GPU scheduling, Volcano queue); nil when
// there is nothing to patch. MPI runtimes run the training code in the launcher too.
func runtimePatch(p *model.Platform, target model.TrainingTarget, job model.TrainingJob) map[string]any {
	template := map[string]any{}
	if podSpec := patchPodSpec(p, job); len(podSpec) > 0 {
		replicatedJobs := []string{trainerContainer}
		if job.Framework == "mpi" {
			replicatedJobs = append(replicatedJobs, "launcher")
		}
		var jobs []any
		for _, rj := range replicatedJobs {
			pod := map[string]any{"spec": patchPodSpec(p, job)}
			if len(job.PodLabels) > 0 {
				pod["metadata"] = map[string]any{"labels": stringMap(job.PodLabels)}
			}
			jobs = append(jobs, map[string]any{
				"name":     rj,
				"template": map[string]any{"spec": map[string]any{"template": pod}},
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

// podTemplateOverrides is runtimePatch for a Trainer that takes pod settings as
// podTemplateOverrides (v2.1): the same pod spec and queue annotation, for the same
// replicated jobs; nil when there is nothing to override.
func podTemplateOverrides(p *model.Platform, target model.TrainingTarget, job model.TrainingJob) []any {
	override := map[string]any{}
	if podSpec := patchPodSpec(p, job); len(podSpec) > 0 {
		override["spec"] = podSpec
	}
	meta := map[string]any{}
	if job.Queue != "" && target.Scheduler == model.SchedulerVolcano {
		meta["annotations"] = map[string]any{volcanoQueueAnnotation: job.Queue}
	}
	if len(job.PodLabels) > 0 {
		meta["labels"] = stringMap(job.PodLabels)
	}
	if len(meta) > 0 {
		override["metadata"] = meta
	}
	if len(override) == 0 {
		return nil
	}
	targets := []any{map[string]any{"name": trainerContainer}}
	if job.Framework == "mpi" {
		targets = append(targets, map[string]any{"name": "launcher"})
	}
	override["targetJobs"] = targets
	return []any{override}
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
