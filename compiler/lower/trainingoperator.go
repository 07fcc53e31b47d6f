package lower

import (
	"strconv"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// operatorJob compiles a job to the Training Operator's kind for its framework.
func operatorJob(p *model.Platform, target model.TrainingTarget, name, ns string, job model.TrainingJob) map[string]any {
	k := names.Operator(job.Framework)
	specs := map[string]any{}
	for _, r := range names.OperatorReplicas(job) {
		template := map[string]any{"spec": operatorPod(p, k, job, r)}
		if len(job.PodLabels) > 0 {
			template["metadata"] = map[string]any{"labels": stringMap(job.PodLabels)}
		}
		rs := map[string]any{"replicas": r.Count, "template": template}
		if job.RestartPolicy != "" {
			rs["restartPolicy"] = job.RestartPolicy
		}
		specs[r.Type] = rs
	}
	spec := map[string]any{k.SpecKey: specs}
	if rp := runPolicy(target, job); len(rp) > 0 {
		spec["runPolicy"] = rp
	}
	if job.ProcsPerWorker != nil {
		switch job.Framework {
		case "pytorch":
			spec["nprocPerNode"] = strconv.FormatInt(*job.ProcsPerWorker, 10)
		case "mpi":
			spec["slotsPerWorker"] = *job.ProcsPerWorker
		}
	}
	if e := job.Elastic; e != nil {
		ep := map[string]any{"rdzvBackend": "c10d", "minReplicas": e.MinWorkers, "maxReplicas": e.MaxWorkers}
		if e.MaxRestarts != nil {
			ep["maxRestarts"] = *e.MaxRestarts
		}
		spec["elasticPolicy"] = ep
	}
	return map[string]any{
		"apiVersion": names.OperatorAPIVersion,
		"kind":       k.Kind,
		"metadata":   jobMetadata(target, name, ns, job),
		"spec":       spec,
	}
}

// operatorPod is the pod template of one replica type.
func operatorPod(p *model.Platform, k names.OperatorKind, job model.TrainingJob, r names.Replica) map[string]any {
	c := map[string]any{"name": k.Container, "image": p.ResolveImage(job.Image)}
	if job.ImagePullPolicy != "" {
		c["imagePullPolicy"] = job.ImagePullPolicy
	}
	// MPI workers run what the launcher starts over SSH: only the launcher runs the command.
	if job.Framework != "mpi" || r.Launcher {
		if len(job.Command) > 0 {
			c["command"] = strings2any(job.Command)
		}
		if len(job.Args) > 0 {
			c["args"] = strings2any(job.Args)
		}
	}
	if env := envVars(job.Env); len(env) > 0 {
		c["env"] = env
	}
	if job.Port != nil && k.HasPort() {
		c["ports"] = []any{map[string]any{"name": k.PortName, "containerPort": *job.Port}}
	}
	resources, pod := trainingResources(p, r.Resources(job))
	if resources != nil {
		c["resources"] = resources
	}
	volumes, mounts := trainingVolumes(job.Volumes)
	if len(mounts) > 0 {
		c["volumeMounts"] = mounts
		pod["volumes"] = volumes
	}
	if job.ServiceAccount != "" {
		pod["serviceAccountName"] = job.ServiceAccount
	}
	pod["containers"] = []any{c}
	return pod
}

// runPolicy is the job's lifetime and scheduling as the Training Operator takes them.
func runPolicy(target model.TrainingTarget, job model.TrainingJob) map[string]any {
	rp := map[string]any{}
	if job.CleanPods != "" {
		rp["cleanPodPolicy"] = job.CleanPods
	}
	if job.TTLSecondsAfterFinished != nil {
		rp["ttlSecondsAfterFinished"] = *job.TTLSecondsAfterFinished
	}
	if job.ActiveDeadlineSeconds != nil {
		rp["activeDeadlineSeconds"] = *job.ActiveDeadlineSeconds
	}
	if job.BackoffLimit != nil {
		rp["backoffLimit"] = *job.BackoffLimit
	}
	if job.Suspend {
		rp["suspend"] = true
	}
	if job.Queue != "" && target.Scheduler == model.SchedulerVolcano {
		rp["schedulingPolicy"] = map[string]any{"queue": job.Queue}
	}
	return rp
}
