package names

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// The API versions training jobs compile to.
const (
	// TrainerAPIVersion is Kubeflow Trainer's: TrainJob.
	TrainerAPIVersion = "trainer.kubeflow.org/v1alpha1"
	// OperatorAPIVersion is the Training Operator's: PyTorchJob, TFJob, ...
	OperatorAPIVersion = "kubeflow.org/v1"
)

// TrainerNode names the replicated job, and its container, that runs a TrainJob's
// training code in every Kubeflow Trainer runtime.
const TrainerNode = "node"

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
		return OperatorAPIVersion, Operator(framework).Kind
	}
	return TrainerAPIVersion, "TrainJob"
}

// KatibTrialResource is how Katib's configuration names the kind of job's trials
// (init.controller.trialResources): Kind.version.group.
func KatibTrialResource(target model.TrainingTarget, job model.TrainingJob) string {
	apiVersion, kind := TrainingKind(target.Backend, job.Framework)
	group, version, _ := strings.Cut(apiVersion, "/")
	return kind + "." + version + "." + group
}

// OperatorKind is how the Training Operator names a framework's job: its kind, the key
// of its replica specs, the container it looks for and the port it adds by default.
type OperatorKind struct {
	Kind, SpecKey, Container, PortName string
}

// HasPort reports whether the Training Operator gives the framework's pods a port to
// meet on (MPI jobs talk over SSH instead).
func (k OperatorKind) HasPort() bool { return k.PortName != "" }

// operatorKinds are the Training Operator v1 kinds (kubeflow.org/v1), by framework.
var operatorKinds = map[string]OperatorKind{
	"pytorch":    {"PyTorchJob", "pytorchReplicaSpecs", "pytorch", "pytorchjob-port"},
	"tensorflow": {"TFJob", "tfReplicaSpecs", "tensorflow", "tfjob-port"},
	"xgboost":    {"XGBoostJob", "xgbReplicaSpecs", "xgboost", "xgboostjob-port"},
	"mpi":        {"MPIJob", "mpiReplicaSpecs", "mpi", ""},
	"jax":        {"JAXJob", "jaxReplicaSpecs", "jax", "jaxjob-port"},
	"paddle":     {"PaddleJob", "paddleReplicaSpecs", "paddle", "master"},
}

// Operator returns the Training Operator's names for a framework's jobs.
func Operator(framework string) OperatorKind { return operatorKinds[framework] }

// OperatorFrameworks returns the frameworks the Training Operator runs, sorted.
func OperatorFrameworks() []string { return slices.Sorted(maps.Keys(operatorKinds)) }

// Replica is one replica type of a Training Operator job.
type Replica struct {
	// Type is the replica type: Master, Chief, PS, Worker or Launcher.
	Type  string
	Count int64
	// Launcher runs MPI's launcher: the command, and the launcher's resources.
	Launcher bool
}

// Resources are what each pod of the replica requests.
func (r Replica) Resources(job model.TrainingJob) *model.TrainingResources {
	if r.Launcher {
		if job.Launcher == nil {
			return nil
		}
		return job.Launcher.Resources
	}
	return job.Resources
}

// Most is how many pods of the replica can run at once: an elastic job's workers grow
// to maxWorkers.
func (r Replica) Most(job model.TrainingJob) int64 {
	if job.Elastic != nil && r.Type == "Worker" {
		return max(r.Count, job.Elastic.MaxWorkers)
	}
	return r.Count
}

// OperatorReplicas lays a job's workers out as the Training Operator's replica types:
// one of them is the master (PyTorch, XGBoost) or chief (TensorFlow, when asked); MPI
// adds a launcher.
func OperatorReplicas(job model.TrainingJob) []Replica {
	n := job.Workers
	var out []Replica
	add := func(typ string, count int64) {
		if count > 0 {
			out = append(out, Replica{Type: typ, Count: count})
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
		out = append(out, Replica{Type: "Launcher", Count: 1, Launcher: true})
		add("Worker", n)
	default:
		add("Worker", n)
	}
	return out
}

// replicatedJob is one of a TrainJob's JobSet's replicated jobs and how many pods it runs.
type replicatedJob struct {
	name string
	pods int64
}

// trainerReplicatedJobs are the replicated jobs a TrainJob's JobSet has.
func trainerReplicatedJobs(p *model.Platform, job model.TrainingJob) []replicatedJob {
	out := []replicatedJob{{name: TrainerNode, pods: max(job.Workers, 1)}}
	if job.Framework == "mpi" {
		out = append(out, replicatedJob{name: "launcher", pods: 1})
	}
	_, rt, _ := p.TrainerRuntime(job)
	for _, step := range rt.Initializers {
		out = append(out, replicatedJob{name: step + "-initializer", pods: 1})
	}
	return out
}

// PodGroup is a number of pods that request the same.
type PodGroup struct {
	Count     int64
	Resources *model.TrainingResources
}

// TrainingPods lists the pods a job runs on the target, each with what it requests, so
// that the checks can charge them to the tenant's quota.
func TrainingPods(target model.TrainingTarget, job model.TrainingJob) []PodGroup {
	if target.Backend == model.BackendTrainingOperator {
		var out []PodGroup
		for _, r := range OperatorReplicas(job) {
			out = append(out, PodGroup{Count: r.Most(job), Resources: r.Resources(job)})
		}
		return out
	}
	return []PodGroup{{Count: job.Workers, Resources: job.Resources}}
}

// MaxTrainingJobName is the longest name a job can have on the target: the controllers
// derive pod, job and service names from it, and those must stay DNS labels.
func MaxTrainingJobName(p *model.Platform, target model.TrainingTarget, job model.TrainingJob) int {
	longest := 0
	if target.Backend == model.BackendTrainingOperator {
		for _, r := range OperatorReplicas(job) {
			suffix := "-" + strings.ToLower(r.Type)
			if r.Type != "Launcher" {
				suffix += "-" + strconv.FormatInt(r.Most(job)-1, 10)
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
