package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// volumeUse is a workload that mounts one of the tenant's volumes.
type volumeUse struct {
	// volume is the name it is mounted by; path the field that names it.
	volume, path string
	// what names the workload in messages: "notebook dev".
	what string
	// pods is how many of the workload's pods may mount it at once, on as many nodes;
	// several says the number has no bound mlc knows.
	pods    int64
	several bool
	// readOnly is set when the workload mounts it read-only; canReadOnly when it can.
	readOnly, canReadOnly bool
	// byClaim is set when the workload names the volume's claim (existingClaim, claim,
	// pvc://) rather than the volume: a claim mlc does not declare is not an error.
	byClaim bool
}

// podsText says how many pods a use runs.
func (u volumeUse) podsText() string {
	if u.several {
		return "several pods"
	}
	return fmt.Sprintf("up to %d pods", u.pods)
}

// volumeUses checks the workloads' references to the tenant's volumes: each names a
// declared volume, and a volume that workloads may mount on several nodes at once can
// be: ReadWriteMany, or ReadOnlyMany mounted read-only.
func (r *reporter) volumeUses(p *model.Platform, d *model.Declarations) {
	declared := map[string]model.Volume{}
	for name, v := range d.Volumes {
		declared[model.NormalizeName(name)] = v
	}
	byVolume := map[string][]volumeUse{}
	for _, u := range volumeUsesOf(d) {
		if _, ok := declared[u.volume]; !ok {
			if !u.byClaim {
				r.errorf(u.path, "no volume %q: declare it in volumes (have %s)", u.volume, keyList(declared))
			}
			continue
		}
		byVolume[u.volume] = append(byVolume[u.volume], u)
	}
	for _, name := range slices.Sorted(maps.Keys(byVolume)) {
		r.volumeSharing(name, declared[name], byVolume[name])
	}
}

// volumeSharing reports the uses of a volume that its access mode does not allow.
func (r *reporter) volumeSharing(name string, v model.Volume, uses []volumeUse) {
	if v.AccessMode == "ReadOnlyMany" {
		for _, u := range uses {
			if u.canReadOnly && !u.readOnly {
				r.errorf(u.path, "volume %s is ReadOnlyMany: mount it with readOnly: true", name)
			}
		}
		return
	}
	if v.ReadMany() {
		return
	}
	// Report the later use, naming the first, so that the one a change adds shows.
	slices.SortStableFunc(uses, func(a, b volumeUse) int { return comparePositions(r.locate(a.path), r.locate(b.path)) })
	hint := "make it ReadWriteMany, or ReadOnlyMany and mount it read-only"
	if len(uses) > 1 {
		first := uses[0]
		for _, u := range uses[1:] {
			r.errorf(u.path, "volume %s is %s, which one node mounts at a time, and %s (%s) mounts it too: the two may run on different nodes at once; %s",
				name, v.AccessMode, first.what, r.locate(first.path), hint)
		}
		return
	}
	if u := uses[0]; u.several || u.pods > 1 {
		r.errorf(u.path, "volume %s is %s, which one node mounts at a time, and %s runs %s, which may be on different nodes; %s",
			name, v.AccessMode, u.what, u.podsText(), hint)
	}
}

// volumeUsesOf lists where the tenant's workloads name a volume or a claim, in a
// fixed order: every volume field, every claim field, and the pvc:// model locations
// of serving endpoints.
func volumeUsesOf(d *model.Declarations) []volumeUse {
	var out []volumeUse
	for _, k := range slices.Sorted(maps.Keys(d.Notebooks)) {
		nb := d.Notebooks[k]
		for _, key := range slices.Sorted(maps.Keys(nb.DataVolumes)) {
			dv := nb.DataVolumes[key]
			use := volumeUse{volume: dv.Volume, path: model.Path("notebooks", k, "dataVolumes", key, "volume"),
				what: "notebook " + k, pods: 1, readOnly: dv.ReadOnly, canReadOnly: true}
			if dv.Volume == "" {
				use.volume, use.path, use.byClaim = dv.ExistingClaim, model.Path("notebooks", k, "dataVolumes", key, "existingClaim"), true
			}
			if use.volume != "" {
				out = append(out, use)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(d.Training)) {
		out = append(out, jobVolumeUses(model.Path("trainingJobs", k), "training job "+k, d.Training[k], 1)...)
	}
	for _, k := range slices.Sorted(maps.Keys(d.Experiments)) {
		exp := d.Experiments[k]
		out = append(out, jobVolumeUses(model.Path("experiments", k, "trial"), "experiment "+k+"'s trials", exp.Trial, max(exp.ParallelTrials, 1))...)
	}
	for _, k := range slices.Sorted(maps.Keys(d.Pipelines)) {
		for _, n := range d.PipelineTree(k).Steps {
			for _, key := range slices.Sorted(maps.Keys(n.Task.Volumes)) {
				v := n.Task.Volumes[key]
				use := volumeUse{volume: v.Volume, path: n.Path + "." + model.Path("volumes", key, "volume"),
					what: "pipeline " + k + "'s step " + n.Name, pods: 1, several: inLoop(n)}
				if v.Volume == "" {
					use.volume, use.path, use.byClaim = v.Claim, n.Path+"."+model.Path("volumes", key, "claim"), true
				}
				if use.volume != "" {
					out = append(out, use)
				}
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(d.Serving)) {
		ep := d.Serving[k]
		if ep.Model == nil {
			continue
		}
		uris := []struct{ path, uri string }{{model.Path("servingEndpoints", k, "model", "storageUri"), ep.Model.StorageURI}}
		if ep.Canary != nil {
			uris = append(uris, struct{ path, uri string }{model.Path("servingEndpoints", k, "canary", "storageUri"), ep.Canary.StorageURI})
		}
		for _, u := range uris {
			rest, ok := strings.CutPrefix(u.uri, "pvc://")
			claim, _, _ := strings.Cut(rest, "/")
			if !ok || claim == "" {
				continue
			}
			// KServe mounts a model's claim read-only.
			use := volumeUse{volume: claim, path: u.path, what: "serving endpoint " + k, readOnly: true, canReadOnly: true, several: true, byClaim: true}
			if rp := ep.Replicas; rp != nil && rp.Max != nil {
				use.pods, use.several = *rp.Max, false
			}
			out = append(out, use)
		}
	}
	return out
}

// jobVolumeUses lists the volumes a training job (or a trial, runs at once) mounts.
func jobVolumeUses(path, what string, job model.TrainingJob, runs int64) []volumeUse {
	var out []volumeUse
	for _, key := range slices.Sorted(maps.Keys(job.Volumes)) {
		v := job.Volumes[key]
		use := volumeUse{volume: v.Volume, path: path + "." + model.Path("volumes", key, "volume"),
			what: what, pods: runs * jobPods(job), readOnly: v.ReadOnly, canReadOnly: true}
		if v.Volume == "" {
			use.volume, use.path, use.byClaim = v.Claim, path+"."+model.Path("volumes", key, "claim"), true
		}
		if use.volume != "" {
			out = append(out, use)
		}
	}
	return out
}

// jobPods is the most pods a training job runs at once: its nodes, TensorFlow's
// parameter servers and MPI's launcher.
func jobPods(job model.TrainingJob) int64 {
	n := max(job.Workers, 1)
	if job.Elastic != nil {
		n = max(n, job.Elastic.MaxWorkers)
	}
	if job.ParameterServers != nil {
		n += *job.ParameterServers
	}
	if job.Framework == "mpi" {
		n++
	}
	return n
}

// inLoop reports whether a pipeline step runs once per item of a loop, in parallel.
func inLoop(n *model.PipelineNode) bool {
	for g := n.Parent; g != nil; g = g.Parent {
		if g.Kind == model.NodeLoop {
			return true
		}
	}
	return false
}
