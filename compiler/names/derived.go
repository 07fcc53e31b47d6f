package names

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// Derived is an object in the tenant's namespace that a declaration gives rise to:
// one mlc writes, or one an upstream controller makes from what mlc writes. Two
// declarations that give rise to the same object (kind and name) break each other.
//
// The lists below leave out the objects named as the declaration itself of a kind
// that only declarations of its own field make (a notebook's Notebook and StatefulSet,
// an endpoint's InferenceService and Ingress, an experiment's Experiment and
// Suggestion, a pipeline's Pipeline and CronJob, a Trainer job's JobSet): only a
// declaration of the same name could need them, and that is an error of its own.
type Derived struct {
	// Kind is the object's kind, with its group where two groups share a kind name.
	Kind string
	// Name is the object's name or, with Series set, the start of the names of a series
	// of objects (a Knative revision's, a Katib trial's): Name, "-", then a suffix that
	// Series matches whole.
	Name   string
	Series *regexp.Regexp
	// By is who makes it, for messages: "mlc", "the notebook controller", ...
	By string
}

// The suffixes of series of objects.
var (
	// Knative numbers a service's revisions 00001, 00002, ...
	revisionSuffix           = regexp.MustCompile(`^[0-9]{5}(-private)?$`)
	revisionDeploymentSuffix = regexp.MustCompile(`^[0-9]{5}-deployment$`)
	// Katib names trials <experiment>-<8 characters of k8s.io/apimachinery's rand.String>.
	trialSuffix = regexp.MustCompile(`^[bcdfghjklmnpqrstvwxz2456789]{8}$`)
	// A CronJob names its jobs <cronjob>-<minutes since 1970>.
	cronJobSuffix = regexp.MustCompile(`^[0-9]{8,10}$`)
)

// KubeflowObjects are the objects Kubeflow keeps in every profile namespace under fixed
// names, which no declaration may also need: Kubeflow Pipelines' artifact and
// visualization servers.
func KubeflowObjects() []Derived {
	const by = "Kubeflow Pipelines (in every profile namespace)"
	var out []Derived
	for _, name := range []string{"ml-pipeline-ui-artifact", "ml-pipeline-visualizationserver"} {
		out = append(out, Derived{Kind: "Deployment", Name: name, By: by}, Derived{Kind: "Service", Name: name, By: by})
	}
	return out
}

// NotebookObjects are a notebook's claims and what the notebook controller makes of it:
// its pod, a Service and an Istio VirtualService.
func NotebookObjects(tenant, name string, nb model.Notebook) []Derived {
	const controller = "the notebook controller"
	out := make([]Derived, 0, 4+len(nb.DataVolumes))
	out = append(out,
		Derived{Kind: "Pod", Name: name + "-0", By: "the notebook's StatefulSet"},
		Derived{Kind: "Service", Name: name, By: controller},
		Derived{Kind: "VirtualService", Name: "notebook-" + tenant + "-" + name, By: controller})
	if nb.WorkspaceEnabled() {
		out = append(out, Derived{Kind: "PersistentVolumeClaim", Name: WorkspaceClaimName(name), By: "mlc (the workspace)"})
	}
	if len(nb.DataVolumes) == 0 {
		return out
	}
	for _, key := range slices.Sorted(maps.Keys(nb.DataVolumes)) {
		if dv := nb.DataVolumes[key]; dv.ExistingClaim == "" && dv.Volume == "" {
			out = append(out, Derived{Kind: "PersistentVolumeClaim", Name: DataVolumeClaimName(name, key), By: "mlc (data volume " + key + ")"})
		}
	}
	return out
}

// EndpointObjects are what KServe (and, serverless, Knative) make of an endpoint: per component (predictor, transformer, explainer) a Deployment
// and Service named <endpoint>-<component>, or a Knative Service whose route and
// revisions are named after it; and the endpoint's own address.
func EndpointObjects(p *model.Platform, name string, ep model.ServingEndpoint) []Derived {
	const kserve = "KServe"
	var out []Derived
	components := []string{"predictor"}
	if ep.Transformer != nil {
		components = append(components, "transformer")
	}
	if ep.Explainer != nil {
		components = append(components, "explainer")
	}
	if p.ServingMode(ep) == "raw" {
		for _, c := range components {
			by := kserve + " (the " + c + ")"
			out = append(out, Derived{Kind: "Deployment", Name: name + "-" + c, By: by}, Derived{Kind: "Service", Name: name + "-" + c, By: by})
		}
		return out
	}
	out = append(out,
		Derived{Kind: "Service", Name: name, By: kserve + " (the endpoint's address)"},
		Derived{Kind: "VirtualService", Name: name, By: kserve})
	for _, c := range components {
		comp := name + "-" + c
		out = append(out,
			Derived{Kind: "Service.serving.knative.dev", Name: comp, By: kserve + " (the " + c + ")"},
			Derived{Kind: "Service", Name: comp, By: "Knative (the " + c + "'s route)"},
			Derived{Kind: "Service", Name: comp, Series: revisionSuffix, By: "Knative (the " + c + "'s revisions)"},
			Derived{Kind: "Deployment", Name: comp, Series: revisionDeploymentSuffix, By: "Knative (the " + c + "'s revisions)"})
	}
	return out
}

// TrainingObjects are a training job's object on the target (which an experiment's
// trials may also need) and what its controllers make of it: on Kubeflow Trainer the
// JobSet's headless Service and a Job per
// replicated job (and MPI's hostfile and SSH key); on the Training Operator a pod, and
// but for MPI a Service, per replica, named <job>-<replica type>-<index>, and MPI's
// launcher objects.
func TrainingObjects(p *model.Platform, target model.TrainingTarget, name string, job model.TrainingJob) []Derived {
	_, kind := TrainingKind(target.Backend, job.Framework)
	out := []Derived{{Kind: kind, Name: name, By: "mlc"}}
	if target.Backend != model.BackendTrainingOperator {
		const jobset = "JobSet (Kubeflow Trainer)"
		out = append(out, Derived{Kind: "Service", Name: name, By: "JobSet (Kubeflow Trainer's headless Service for the nodes)"})
		for _, rj := range trainerReplicatedJobs(p, job) {
			out = append(out, Derived{Kind: "Job", Name: name + "-" + rj.name + "-0", By: jobset})
		}
		if job.Framework == "mpi" {
			out = append(out,
				Derived{Kind: "ConfigMap", Name: name + "-mpi-hostfile", By: "Kubeflow Trainer (the MPI hostfile)"},
				Derived{Kind: "Secret", Name: name + "-mpi-ssh-auth", By: "Kubeflow Trainer (the MPI SSH key)"})
		}
		return out
	}
	const operator = "the Training Operator"
	for _, r := range OperatorReplicas(job) {
		typ := strings.ToLower(r.Type)
		if r.Launcher {
			out = append(out, Derived{Kind: "Pod", Name: name + "-" + typ, By: operator + " (the MPI launcher)"}, Derived{Kind: "ConfigMap", Name: name + "-config", By: operator + " (the MPI hostfile)"})
			for _, k := range []string{"ServiceAccount", "Role", "RoleBinding"} {
				out = append(out, Derived{Kind: k, Name: name + "-" + typ, By: operator + " (the MPI launcher)"})
			}
			continue
		}
		for i := range r.Most(job) {
			pod := name + "-" + typ + "-" + strconv.FormatInt(i, 10)
			out = append(out, Derived{Kind: "Pod", Name: pod, By: operator})
			if job.Framework != "mpi" {
				out = append(out, Derived{Kind: "Service", Name: pod, By: operator})
			}
		}
	}
	return out
}

// ExperimentObjects are what Katib makes of an experiment: its suggestion service's
// Deployment and Service (and claim, to
// resume from a volume) named <experiment>-<algorithm>, and its trials with their jobs,
// named <experiment>-<8 random characters>.
func ExperimentObjects(target model.TrainingTarget, name string, exp model.Experiment) []Derived {
	const katib = "Katib"
	suggestion := name + "-" + exp.Algorithm
	_, trialKind := TrainingKind(target.Backend, exp.Trial.Framework)
	out := []Derived{
		{Kind: "Deployment", Name: suggestion, By: katib + " (the suggestion service)"},
		{Kind: "Service", Name: suggestion, By: katib + " (the suggestion service)"},
		{Kind: "Trial", Name: name, Series: trialSuffix, By: katib + " (the trials)"},
		{Kind: trialKind, Name: name, Series: trialSuffix, By: katib + " (the trials' jobs)"},
	}
	if exp.ResumePolicy == "FromVolume" {
		out = append(out, Derived{Kind: "PersistentVolumeClaim", Name: suggestion, By: katib + " (the suggestion service's volume)"})
	}
	if target.Backend != model.BackendTrainingOperator {
		out = append(out, Derived{Kind: "Service", Name: name, Series: trialSuffix, By: "JobSet (Kubeflow Trainer's headless Services for the trials' nodes)"})
	}
	return out
}

// PipelineObjects are the Jobs a pipeline's schedule starts. (Its PipelineVersions are
// named after it and a hash of their spec, so only pipelines name them.)
func PipelineObjects(name string, pl model.Pipeline) []Derived {
	if pl.Schedule == nil {
		return nil
	}
	return []Derived{{Kind: "Job", Name: name, Series: cronJobSuffix, By: "the schedule's CronJob"}}
}
