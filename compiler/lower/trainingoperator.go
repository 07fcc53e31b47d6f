package lower

import (
	"strconv"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// operatorKind is how the Training Operator names a framework's job: its kind, the key
// of its replica specs, the container it looks for and the port it adds by default.
type operatorKind struct {
	kind, specKey, container, portName string
}

// operatorKinds are the Training Operator v1 kinds (kubeflow.org/v1), by framework.
var operatorKinds = map[string]operatorKind{
	"pytorch":    {"PyTorchJob", "pytorchReplicaSpecs", "pytorch", "pytorchjob-port"},
	"tensorflow": {"TFJob", "tfReplicaSpecs", "tensorflow", "tfjob-port"},
	"xgboost":    {"XGBoostJob", "xgbReplicaSpecs", "xgboost", "xgboostjob-port"},
	"mpi":        {"MPIJob", "mpiReplicaSpecs", "mpi", ""},
	"jax":        {"JAXJob", "jaxReplicaSpecs", "jax", "jaxjob-port"},
	"paddle":     {"PaddleJob", "paddleReplicaSpecs", "paddle", "master"},
}

// operatorContainer is the container the Training Operator requires in a framework's pods.
func operatorContainer(framework string) string { return operatorKinds[framework].container }

// HasPort reports whether the Training Operator gives the framework's pods a port to
// meet on (MPI jobs talk over SSH instead).
func HasPort(framework string) bool { return operatorKinds[framework].portName != "" }

// replica is one replica type of a Training Operator job.
type replica struct {
	typ   string
	count int64
	// launcher runs MPI's launcher: the command, and the launcher's resources.
	launcher bool
}

// resources are what each pod of the replica requests.
func (r replica) resources(job model.TrainingJob) *model.TrainingResources {
	if r.launcher {
		if job.Launcher == nil {
			return nil
		}
		return job.Launcher.Resources
	}
	return job.Resources
}

// most is how many pods of the replica can run at once: an elastic job's workers grow
// to maxWorkers.
func (r replica) most(job model.TrainingJob) int64 {
	if job.Elastic != nil && r.typ == "Worker" {
		return max(r.count, job.Elastic.MaxWorkers)
	}
	return r.count
}

// operatorReplicas lays a job's workers out as the Training Operator's replica types:
// one of them is the master (PyTorch, XGBoost) or chief (TensorFlow, when asked); MPI
// adds a launcher.
func operatorReplicas(job model.TrainingJob) []replica {
	n := job.Workers
	var out []replica
	add := func(typ string, count int64) {
		if count > 0 {
			out = append(out, replica{typ: typ, count: count})
		}
	}
	switch job.Framework {
	case "pytorch":
		if job.Elastic != nil {
			add("Worker", n)
			break
		}
		add("Master", 1)
		add("Worker", n-1)
	case "xgboost":
		add("Master", 1)
		add("Worker", n-1)
	case "tensorflow":
		if job.Chief {
			add("Chief", 1)
			n--
		}
		if job.ParameterServers != nil {
			add("PS", *job.ParameterServers)
		}
		add("Worker", n)
	case "mpi":
		out = append(out, replica{typ: "Launcher", count: 1, launcher: true})
		add("Worker", n)
	default:
		add("Worker", n)
	}
	return out
}

// operatorGaps lists what the Training Operator cannot express of a job.
func operatorGaps(job model.TrainingJob) []Gap {
	var gaps []Gap
	if job.Runtime != "" {
		gaps = append(gaps, Gap{"runtime", "the Training Operator has no runtimes (they are Kubeflow Trainer's); remove runtime, " +
			"or run the tenant on clusters whose training backend is trainer"})
	}
	if job.Image == "" {
		gaps = append(gaps, Gap{"image", "the Training Operator needs an image: set image (Kubeflow Trainer would use its runtime's)"})
	}
	for _, in := range []struct {
		field string
		set   bool
	}{{"dataset", job.Dataset != nil}, {"model", job.Model != nil}} {
		if in.set {
			gaps = append(gaps, Gap{in.field, "the Training Operator has no initializers; mount the data with volumes, " +
				"or run the tenant on clusters whose training backend is trainer"})
		}
	}
	return gaps
}

// operatorJob compiles a job to the Training Operator's kind for its framework.
func operatorJob(p *model.Platform, target TrainingTarget, name, ns string, job model.TrainingJob) map[string]any {
	k := operatorKinds[job.Framework]
	specs := map[string]any{}
	for _, r := range operatorReplicas(job) {
		rs := map[string]any{
			"replicas": r.count,
			"template": map[string]any{"spec": operatorPod(p, k, job, r)},
		}
		if job.RestartPolicy != "" {
			rs["restartPolicy"] = job.RestartPolicy
		}
		specs[r.typ] = rs
	}
	spec := map[string]any{k.specKey: specs}
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
		"apiVersion": "kubeflow.org/v1",
		"kind":       k.kind,
		"metadata":   jobMetadata(target, name, ns, job),
		"spec":       spec,
	}
}

// operatorPod is the pod template of one replica type.
func operatorPod(p *model.Platform, k operatorKind, job model.TrainingJob, r replica) map[string]any {
	c := map[string]any{"name": k.container, "image": ResolveImage(p, job.Image)}
	if job.ImagePullPolicy != "" {
		c["imagePullPolicy"] = job.ImagePullPolicy
	}
	// MPI workers run what the launcher starts over SSH: only the launcher runs the command.
	if job.Framework != "mpi" || r.launcher {
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
	if job.Port != nil && k.portName != "" {
		c["ports"] = []any{map[string]any{"name": k.portName, "containerPort": *job.Port}}
	}
	resources, pod := trainingResources(p, r.resources(job))
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
func runPolicy(target TrainingTarget, job model.TrainingJob) map[string]any {
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
