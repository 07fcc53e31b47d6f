package lower

import (
	"maps"
	"strconv"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// kueueQueueLabel names the Kueue LocalQueue that admits a job.
const kueueQueueLabel = "kueue.x-k8s.io/queue-name"

// TrainingTarget is how a cluster runs training jobs.
type TrainingTarget struct {
	// Backend is model.BackendTrainer or model.BackendTrainingOperator.
	Backend string
	// Scheduler is model.SchedulerKueue or model.SchedulerVolcano.
	Scheduler string
}

// TrainingTargetOf returns how cluster c runs training jobs: its own settings, else the
// platform's defaults.
func TrainingTargetOf(p *model.Platform, c model.Cluster) TrainingTarget {
	t := TrainingTarget{Backend: p.Defaults.Training.Backend, Scheduler: p.Defaults.Training.Scheduler}
	if c.Training.Backend != "" {
		t.Backend = c.Training.Backend
	}
	if c.Training.Scheduler != "" {
		t.Scheduler = c.Training.Scheduler
	}
	return t
}

// BackendName is how messages name a training backend.
func BackendName(backend string) string {
	if backend == model.BackendTrainingOperator {
		return "the Training Operator"
	}
	return "Kubeflow Trainer"
}

// TrainingKind returns the apiVersion and kind a job of the framework compiles to on
// the backend.
func TrainingKind(backend, framework string) (apiVersion, kind string) {
	if backend == model.BackendTrainingOperator {
		return "kubeflow.org/v1", operatorKinds[framework].kind
	}
	return trainerAPIVersion, "TrainJob"
}

// Gap is a setting of a training job that a backend cannot express.
type Gap struct {
	// Field is the setting's path inside the job declaration, such as "restartPolicy".
	Field string
	// Reason says why, and what to do instead.
	Reason string
}

// TrainingGaps lists what of job the target cannot express. Lowering a job with gaps
// would drop settings, so the checks report every gap as an error.
func TrainingGaps(p *model.Platform, target TrainingTarget, job model.TrainingJob) []Gap {
	if target.Backend == model.BackendTrainingOperator {
		return operatorGaps(job)
	}
	return trainerGaps(p, target, job)
}

// TrainingPods lists the pods a job runs, each with what it requests, so that the
// checks can charge them to the tenant's quota.
func TrainingPods(target TrainingTarget, job model.TrainingJob) []PodGroup {
	if target.Backend == model.BackendTrainingOperator {
		var out []PodGroup
		for _, r := range operatorReplicas(job) {
			out = append(out, PodGroup{Count: r.most(job), Resources: r.resources(job)})
		}
		return out
	}
	return []PodGroup{{Count: job.Workers, Resources: job.Resources}}
}

// PodGroup is a number of pods that request the same.
type PodGroup struct {
	Count     int64
	Resources *model.TrainingResources
}

// MaxTrainingJobName is the longest name a job can have on the target: the controllers
// derive pod, job and service names from it, and those must stay DNS labels.
func MaxTrainingJobName(p *model.Platform, target TrainingTarget, job model.TrainingJob) int {
	longest := 0
	if target.Backend == model.BackendTrainingOperator {
		for _, r := range operatorReplicas(job) {
			suffix := "-" + strings.ToLower(r.typ)
			if r.typ != "Launcher" {
				suffix += "-" + strconv.FormatInt(r.most(job)-1, 10)
			}
			longest = max(longest, len(suffix))
		}
	} else {
		// JobSet names pods <name>-<replicated job>-<job index>-<pod index>-<5 random>.
		for _, rj := range trainerReplicatedJobs(p, job) {
			suffix := "-" + rj.name + "-0-" + strconv.FormatInt(rj.pods-1, 10) + "-abcde"
			longest = max(longest, len(suffix))
		}
	}
	return 63 - longest
}

// trainingJob compiles a training job for the target.
func trainingJob(p *model.Platform, target TrainingTarget, name, ns string, job model.TrainingJob) map[string]any {
	if target.Backend == model.BackendTrainingOperator {
		return operatorJob(p, target, name, ns, job)
	}
	return trainJob(p, target, name, ns, job)
}

// trainingJobObject is a standalone training job.
func trainingJobObject(p *model.Platform, target TrainingTarget, ns, declared string, job model.TrainingJob) manifest.Object {
	return manifest.Object{
		Source:  model.Path("trainingJobs", declared),
		Content: trainingJob(p, target, model.NormalizeName(declared), ns, job),
	}
}

// jobMetadata is a training job's metadata: its labels, with the Kueue queue label when
// Kueue admits it, and annotations.
func jobMetadata(target TrainingTarget, name, ns string, job model.TrainingJob) map[string]any {
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
		case v.Claim != "":
			claim := map[string]any{"claimName": v.Claim}
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
