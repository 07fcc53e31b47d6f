package lower

import (
	"maps"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// kueueQueueLabel names the Kueue LocalQueue that admits a job.
const kueueQueueLabel = "kueue.x-k8s.io/queue-name"

// trainingJob compiles a training job for the target.
func trainingJob(p *model.Platform, target model.TrainingTarget, name, ns string, job model.TrainingJob) map[string]any {
	if target.Backend == model.BackendTrainingOperator {
		return operatorJob(p, target, name, ns, job)
	}
	return trainJob(p, target, name, ns, job)
}

// trainingJobObject is a standalone training job.
func trainingJobObject(p *model.Platform, target model.TrainingTarget, ns, declared string, job model.TrainingJob) manifest.Object {
	return manifest.Object{
		Source:  model.Path("trainingJobs", declared),
		Content: trainingJob(p, target, model.NormalizeName(declared), ns, job),
	}
}

// jobMetadata is a training job's metadata: its labels, with the Kueue queue label when
// Kueue admits it, and annotations.
func jobMetadata(target model.TrainingTarget, name, ns string, job model.TrainingJob) map[string]any {
	labels := maps.Clone(job.Labels)
	if job.Queue != "" && target.Scheduler == model.SchedulerKueue {
		if labels == nil {
			labels = map[string]string{}
		}
		labels[kueueQueueLabel] = job.Queue
	}
	return metadata(name, ns, labels, job.Annotations)
}

// trainingResources returns a node's requests and limits (the requests unless limits
// are declared; GPUs in both), and the scheduling that puts it where its GPU type is.
// Both are nil or empty when nothing is declared.
func trainingResources(p *model.Platform, r *model.TrainingResources) (resources, scheduling map[string]any) {
	if r == nil {
		return nil, map[string]any{}
	}
	gpu, scheduling := gpuScheduling(p, model.Resources{GPU: r.GPU, GPUType: r.GPUType})
	requests := map[string]any{}
	if r.CPU != "" {
		requests["cpu"] = string(r.CPU)
	}
	if r.Memory != "" {
		requests["memory"] = r.Memory
	}
	maps.Copy(requests, gpu)
	if len(requests) == 0 {
		return nil, scheduling
	}
	limits := maps.Clone(requests)
	if l := r.Limits; l != nil {
		if l.CPU != "" {
			limits["cpu"] = string(l.CPU)
		}
		if l.Memory != "" {
			limits["memory"] = l.Memory
		}
	}
	return map[string]any{"requests": requests, "limits": limits}, scheduling
}

// trainingVolumes returns a job's pod volumes and the container's mounts, by name.
func trainingVolumes(vols map[string]model.TrainingVolume) (volumes, mounts []any) {
	for _, name := range sortedKeys(vols) {
		v := vols[name]
		vol := map[string]any{"name": name}
		switch {
		case v.Claim != "" || v.Volume != "":
			claim := map[string]any{"claimName": v.Claim}
			if v.Volume != "" {
				claim["claimName"] = claimOf(v.Volume)
			}
			if v.ReadOnly {
				claim["readOnly"] = true
			}
			vol["persistentVolumeClaim"] = claim
		case v.Secret != "":
			vol["secret"] = map[string]any{"secretName": v.Secret}
		case v.ConfigMap != "":
			vol["configMap"] = map[string]any{"name": v.ConfigMap}
		case v.EmptyDir != nil:
			dir := map[string]any{}
			if v.EmptyDir.Medium != "" {
				dir["medium"] = v.EmptyDir.Medium
			}
			if v.EmptyDir.SizeLimit != "" {
				dir["sizeLimit"] = v.EmptyDir.SizeLimit
			}
			vol["emptyDir"] = dir
		}
		mount := map[string]any{"name": name, "mountPath": v.MountPath}
		if v.ReadOnly {
			mount["readOnly"] = true
		}
		volumes = append(volumes, vol)
		mounts = append(mounts, mount)
	}
	return volumes, mounts
}
