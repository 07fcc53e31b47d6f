package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// trainingTarget is one way the clusters that run the tenant run training jobs.
type trainingTarget struct {
	model.TrainingTarget
	// clusters run the tenant this way, sorted.
	clusters []string
}

// trainingTargets groups the clusters that run the tenant by how they run training.
// With no such cluster, it is the platform's default, for no cluster.
func (r *reporter) trainingTargets(p *model.Platform) []trainingTarget {
	var out []trainingTarget
	for _, c := range r.clusters {
		t := p.TrainingTarget(c)
		i := slices.IndexFunc(out, func(x trainingTarget) bool { return x.TrainingTarget == t })
		if i < 0 {
			out = append(out, trainingTarget{TrainingTarget: t})
			i = len(out) - 1
		}
		out[i].clusters = append(out[i].clusters, c.Name)
	}
	if len(out) == 0 {
		out = append(out, trainingTarget{TrainingTarget: p.DefaultTrainingTarget()})
	}
	return out
}

// where names the clusters of a target for a message.
func (t trainingTarget) where() string {
	if len(t.clusters) == 1 {
		return "cluster " + t.clusters[0]
	}
	return "clusters " + strings.Join(t.clusters, ", ")
}

// standaloneJob checks a training job declared in trainingJobs and returns what it
// requests with every pod running.
func (r *reporter) standaloneJob(p *model.Platform, declared string, job model.TrainingJob, targets []trainingTarget, q *quota) usage {
	path := model.Path("trainingJobs", declared)
	name := model.NormalizeName(declared)
	if r.dns1035(path, name, "training job name") {
		for _, t := range targets {
			if limit := names.MaxTrainingJobName(p, t.TrainingTarget, job); len(name) > limit && len(t.clusters) > 0 {
				r.errorf(path, "training job name %q is %d characters long; %s derives pod names from it, so at most %d fit (%s)",
					name, len(name), names.BackendName(t.Backend), limit, t.where())
			}
		}
	}
	for _, s := range trainingStrings(path, job) {
		if m := placeholderPattern.FindString(s.value); m != "" {
			r.errorf(s.path, "%s is a Katib trial parameter: only an experiment's trial can use one; write the value here", m)
		}
	}
	return r.trainingJob(p, path, job, targets, q)
}

// trainingJob checks a training job, standalone or an experiment's trial, against every
// way the clusters running the tenant run it, and returns what it requests with every
// pod running (the most of any backend).
func (r *reporter) trainingJob(p *model.Platform, path string, job model.TrainingJob, targets []trainingTarget, q *quota) usage {
	if job.Image != "" {
		r.catalogImage(p, path+".image", samplePlaceholders(job.Image))
	}
	r.trainingShape(path, job)
	r.trainingVolumes(path+".volumes", job.Volumes)
	r.trainingMounts(p, path, job, targets)
	needsRequests := q.cpu != nil || q.memory != nil
	if job.Resources == nil && needsRequests {
		r.errorf(path, "set resources (cpu and memory per node): the tenant's quota limits them, and mlc counts what each node requests against it (a node that requests none gets only defaults.containerDefaults)")
	}
	r.trainingResources(p, path+".resources", job.Resources, q)
	if job.Framework == "mpi" && needsRequests && (job.Launcher == nil || job.Launcher.Resources == nil) && anyOperator(targets) {
		r.errorf(path, "set launcher.resources: the tenant has a quota, and the Training Operator runs the MPI launcher as a pod of its own")
	}
	if job.Launcher != nil {
		r.trainingResources(p, path+".launcher.resources", job.Launcher.Resources, q)
	}
	if job.Queue != "" {
		if errs := validation.IsDNS1123Subdomain(job.Queue); len(errs) > 0 {
			r.errorf(path+".queue", "%q is not a valid queue name: %s", job.Queue, strings.Join(errs, "; "))
		}
	}
	r.trainingGaps(p, path, job, targets)

	var worst usage
	for _, t := range targets {
		if job.Suspend && job.Queue != "" && t.Scheduler == model.SchedulerKueue && len(t.clusters) > 0 {
			r.errorf(path+".suspend", "Kueue suspends and resumes queued jobs itself; with suspend here Flux would suspend the job again each time Kueue admits it (%s): remove suspend", t.where())
		}
		var u usage
		for _, g := range names.TrainingPods(t.TrainingTarget, job) {
			u.add(nodeRequests(g.Resources).times(g.Count))
		}
		worst = maxUsage(worst, u)
	}
	return worst
}

// trainingShape checks the job's nodes against what its framework has.
func (r *reporter) trainingShape(path string, job model.TrainingJob) {
	fw := job.Framework
	if job.ProcsPerWorker != nil && fw != "pytorch" && fw != "mpi" {
		r.errorf(path+".procsPerWorker", "procsPerWorker is for pytorch and mpi jobs; %s jobs run one process per node", fw)
	}
	if fw != "tensorflow" {
		if job.Chief {
			r.errorf(path+".chief", "only TensorFlow jobs have a chief; remove it")
		}
		if job.ParameterServers != nil {
			r.errorf(path+".parameterServers", "only TensorFlow jobs have parameter servers; remove them")
		}
	}
	if job.Launcher != nil && fw != "mpi" {
		r.errorf(path+".launcher", "only MPI jobs have a launcher; remove it")
	}
	if job.Port != nil && !names.Operator(fw).HasPort() {
		r.errorf(path+".port", "%s jobs talk over SSH and take no port; remove it", fw)
	}
	if e := job.Elastic; e != nil {
		epath := path + ".elastic"
		switch {
		case fw != "pytorch":
			r.errorf(epath, "elastic training is for PyTorch jobs; remove it")
		case e.MinWorkers > e.MaxWorkers:
			r.errorf(epath, "minWorkers (%d) is more than maxWorkers (%d)", e.MinWorkers, e.MaxWorkers)
		case job.Workers < e.MinWorkers || job.Workers > e.MaxWorkers:
			r.errorf(path+".workers", "an elastic job starts with between minWorkers and maxWorkers nodes (%d to %d), not %d", e.MinWorkers, e.MaxWorkers, job.Workers)
		}
	}
}

// trainingGaps reports every setting a backend of the tenant's clusters cannot express,
// naming the clusters.
func (r *reporter) trainingGaps(p *model.Platform, path string, job model.TrainingJob, targets []trainingTarget) {
	type key struct{ field, reason string }
	var order []key
	where := map[key][]string{}
	for _, t := range targets {
		if len(t.clusters) == 0 {
			continue
		}
		for _, g := range trainingGapsOn(p, t.TrainingTarget, job) {
			k := key{g.field, g.reason}
			if _, seen := where[k]; !seen {
				order = append(order, k)
			}
			where[k] = append(where[k], t.clusters...)
		}
	}
	for _, k := range order {
		clusters := where[k]
		slices.Sort(clusters)
		what := "cluster " + clusters[0]
		if len(clusters) > 1 {
			what = "clusters " + strings.Join(clusters, ", ")
		}
		r.errorf(path+"."+k.field, "%s: %s", what, k.reason)
	}
}

// trainingStrings are the strings of a job a Katib placeholder can be in, with their paths.
func trainingStrings(path string, job model.TrainingJob) []pathString {
	var out []pathString
	add := func(p, v string) { out = append(out, pathString{p, v}) }
	add(path+".image", job.Image)
	for i, s := range job.Command {
		add(fmt.Sprintf("%s.command[%d]", path, i), s)
	}
	for i, s := range job.Args {
		add(fmt.Sprintf("%s.args[%d]", path, i), s)
	}
	for _, k := range slices.Sorted(maps.Keys(job.Env)) {
		add(path+".env."+model.Path(k), job.Env[k].Value)
	}
	for _, in := range []struct {
		field string
		v     *model.TrainingInitializer
	}{{"dataset", job.Dataset}, {"model", job.Model}} {
		if in.v != nil {
			add(path+"."+in.field+".storageUri", in.v.StorageURI)
		}
	}
	for _, m := range []struct {
		field  string
		values map[string]string
	}{{"labels", job.Labels}, {"annotations", job.Annotations}} {
		for _, k := range slices.Sorted(maps.Keys(m.values)) {
			add(path+"."+m.field+"."+model.Path(k), m.values[k])
		}
	}
	return out
}

// trainingWhat names a training job and its most nodes, for the quota's message.
func trainingWhat(job model.TrainingJob) string {
	switch {
	case job.Elastic != nil:
		return fmt.Sprintf("training job (up to %d nodes)", max(job.Workers, job.Elastic.MaxWorkers))
	case job.Workers == 1:
		return "training job (1 node)"
	}
	return fmt.Sprintf("training job (%d nodes)", job.Workers)
}

// experimentWhat names an experiment and how many trials it runs at once.
func experimentWhat(exp model.Experiment) string {
	if exp.ParallelTrials == 1 {
		return "experiment at 1 trial at a time"
	}
	return fmt.Sprintf("experiment at %d trials at once", exp.ParallelTrials)
}

// pathString is a string of a declaration and where it is.
type pathString struct{ path, value string }

// anyOperator reports whether a target runs on the Training Operator.
func anyOperator(targets []trainingTarget) bool {
	for _, t := range targets {
		if t.Backend == model.BackendTrainingOperator {
			return true
		}
	}
	return false
}

// dns1035 reports a name that is not a DNS-1035 label, as the training controllers
// and Katib require: lower case letters, digits and '-', starting with a letter.
func (r *reporter) dns1035(path, name, what string) bool {
	if !r.dnsLabel(path, name, what, 63) {
		return false
	}
	if name[0] < 'a' || name[0] > 'z' {
		r.errorf(path, "%s %q must start with a letter", what, name)
		return false
	}
	return true
}
