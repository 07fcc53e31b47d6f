package check

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// mount is a volume mounted into a container: one a declaration asks for, or one that
// mlc, Kubernetes or a Kubeflow controller adds for its own use.
type mount struct {
	// path is the mount path as written; where compares it cleaned.
	path string
	// what names the volume in messages.
	what string
	// field is where the declaration asks for it; empty for the mounts others add.
	field string
	// readOnly mounts cannot hold the mount point of another volume.
	readOnly bool
	// hint says how to give way to a mount others add.
	hint string
}

func (m mount) where() string { return path.Clean(m.path) }

// system reports whether the mount is one mlc, Kubernetes or a controller adds.
func (m mount) system() bool { return m.field == "" }

// serviceAccountMount is where Kubernetes mounts the token of the pod's service account
// in every container.
var serviceAccountMount = mount{path: "/var/run/secrets/kubernetes.io/serviceaccount", what: "Kubernetes' token of the pod's service account"}

// kfpTokenMount is where the PodDefault access-ml-pipeline mlc writes mounts the token a
// notebook calls Kubeflow Pipelines' API with.
var kfpTokenMount = mount{path: "/var/run/secrets/kubeflow/pipelines", what: "Kubeflow Pipelines' token (PodDefault access-ml-pipeline)"}

// kfpMounts are the directories Kubeflow Pipelines' launcher mounts into each step's
// container (its Argo compiler's executor template).
var kfpMounts = []mount{
	{path: "/kfp-launcher", what: "Kubeflow Pipelines' launcher"},
	{path: "/gcs", what: "Kubeflow Pipelines' scratch space for artifacts"},
	{path: "/s3", what: "Kubeflow Pipelines' scratch space for artifacts"},
	{path: "/minio", what: "Kubeflow Pipelines' scratch space for artifacts"},
	{path: "/.local", what: "Kubeflow Pipelines' scratch home directories"},
	{path: "/.cache", what: "Kubeflow Pipelines' scratch home directories"},
	{path: "/.config", what: "Kubeflow Pipelines' scratch home directories"},
}

// containerMounts reports, at the later one's field, the mounts of one container that
// the API server refuses or that break the pod: two at one path, a mount at "/", one
// over, under or around a mount others add, and one under a read-only volume (the
// container runtime cannot make its mount point there, and the pod does not start).
// Mounts others add come first in ms.
func (r *reporter) containerMounts(ms []mount) {
	for i, m := range ms {
		if m.system() {
			continue
		}
		if m.where() == "/" {
			r.errorf(m.field, "a volume cannot be mounted at /, over the image's whole file system: choose a directory")
			continue
		}
		for _, o := range ms[:i] {
			if msg := mountClash(m, o); msg != "" {
				r.errorf(m.field, "%s", msg)
				break
			}
		}
	}
}

// mountClash says why mount m cannot be added after mount o, or "" when it can.
func mountClash(m, o mount) string {
	mp, op := m.where(), o.where()
	switch {
	case mp == op && o.system():
		return fmt.Sprintf("%s is where %s is mounted: %s", m.path, o.what, o.hintOr("mount this volume elsewhere"))
	case mp == op:
		return fmt.Sprintf("%s is already where %s is mounted: a path holds one volume", m.path, o.what)
	case under(mp, op) && o.system():
		return fmt.Sprintf("%s is inside %s, where %s is mounted: %s", m.path, op, o.what, o.hintOr("mount this volume elsewhere"))
	case under(op, mp) && o.system():
		return fmt.Sprintf("%s would hold %s, where %s is mounted: mount this volume elsewhere", m.path, op, o.what)
	case under(mp, op) && o.readOnly:
		return fmt.Sprintf("%s is inside %s, where %s is mounted read-only: its mount point cannot be made there and the pod would not start; mount it elsewhere", m.path, op, o.what)
	case under(op, mp) && m.readOnly:
		return fmt.Sprintf("%s would hold %s, where %s is mounted, but is read-only: that mount point cannot be made in it and the pod would not start; mount it elsewhere", m.path, op, o.what)
	}
	return ""
}

func (m mount) hintOr(fallback string) string {
	if m.hint != "" {
		return m.hint
	}
	return fallback
}

// under reports whether path p is strictly inside directory dir (both cleaned).
func under(p, dir string) bool {
	return strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/") && p != dir
}

// notebookMounts checks the mounts of a notebook's container: its workspace, its data
// volumes, the secret volumes of the tenant's PodDefaults it selects, and what mlc and
// Kubernetes mount.
func (r *reporter) notebookMounts(path string, nb model.Notebook, pds map[string]model.PodDefault) {
	ms := []mount{serviceAccountMount}
	if nb.SHM {
		ms = append(ms, mount{path: names.SHMMountPath, what: "the notebook's shared memory (shm)", hint: "mount this volume elsewhere, or set shm: false"})
	}
	if slices.Contains(nb.PodDefaults, names.KFPPodDefault) {
		ms = append(ms, kfpTokenMount)
	}
	if nb.WorkspaceEnabled() {
		ms = append(ms, mount{path: names.WorkspaceMountPath, what: "workspace", field: path + ".workspace"})
	}
	for _, key := range slices.Sorted(maps.Keys(nb.DataVolumes)) {
		dv := nb.DataVolumes[key]
		ms = append(ms, mount{path: dv.MountPath, what: "data volume " + key, field: path + "." + model.Path("dataVolumes", key) + ".mountPath", readOnly: dv.ReadOnly})
	}
	for i, selected := range nb.PodDefaults {
		pd, ok := podDefaultNamed(pds, selected)
		if !ok {
			continue
		}
		for _, secret := range slices.Sorted(maps.Keys(pd.SecretVolumes)) {
			ms = append(ms, mount{
				path:     pd.SecretVolumes[secret].MountPath,
				what:     fmt.Sprintf("secret %s of PodDefault %s", secret, selected),
				field:    fmt.Sprintf("%s.podDefaults[%d]", path, i),
				readOnly: true,
			})
		}
		ms = append(ms, podDefaultVolumeMounts(pd, "", fmt.Sprintf("%s.podDefaults[%d]", path, i), " of PodDefault "+selected)...)
	}
	r.containerMounts(ms)
}

// podDefaultNamed finds the tenant's PodDefault a notebook selects by its name.
func podDefaultNamed(pds map[string]model.PodDefault, name string) (model.PodDefault, bool) {
	for _, declared := range slices.Sorted(maps.Keys(pds)) {
		if model.NormalizeName(declared) == model.NormalizeName(name) {
			return pds[declared], true
		}
	}
	return model.PodDefault{}, false
}

// podDefaultMounts checks the secret volumes of a PodDefault against one another.
func (r *reporter) podDefaultMounts(path string, pd model.PodDefault) {
	ms := []mount{serviceAccountMount}
	for _, secret := range slices.Sorted(maps.Keys(pd.SecretVolumes)) {
		ms = append(ms, mount{
			path:     pd.SecretVolumes[secret].MountPath,
			what:     "secret " + secret,
			field:    path + "." + model.Path("secretVolumes", secret) + ".mountPath",
			readOnly: true,
		})
	}
	r.containerMounts(append(ms, podDefaultVolumeMounts(pd, path, "", "")...))
}

// podDefaultVolumeMounts are the mounts of a PodDefault's volumes in the pod's own
// containers, reported at field, or when it is empty at each volume's mountPath under
// the PodDefault's path.
func podDefaultVolumeMounts(pd model.PodDefault, path, field, of string) []mount {
	var ms []mount
	for _, name := range slices.Sorted(maps.Keys(pd.Volumes)) {
		v := pd.Volumes[name]
		if v.MountPath == "" {
			continue
		}
		at := field
		if at == "" {
			at = path + "." + model.Path("volumes", name) + ".mountPath"
		}
		ms = append(ms, mount{path: v.MountPath, what: "volume " + name + of, field: at, readOnly: v.ReadOnly})
	}
	return ms
}

// trainingMounts checks the volumes of a training job's nodes against one another and
// against what the backends that run it mount.
func (r *reporter) trainingMounts(p *model.Platform, path string, job model.TrainingJob, targets []trainingTarget) {
	ms := []mount{serviceAccountMount}
	for _, t := range targets {
		switch {
		case t.Backend == model.BackendTrainingOperator && job.Framework == "mpi":
			ms = append(ms,
				mount{path: "/etc/mpi", what: "the Training Operator's MPI hostfile (" + t.where() + ")"},
				mount{path: "/opt/kube", what: "the Training Operator's kubectl for MPI (" + t.where() + ")"})
		case t.Backend == model.BackendTrainer && job.Framework == "mpi":
			ms = append(ms, mount{path: "/etc/mpi", what: "Kubeflow Trainer's MPI hostfile (" + t.where() + ")"})
		}
		if t.Backend == model.BackendTrainer {
			name := job.Runtime
			if name == "" {
				name = p.Defaults.Training.DefaultRuntimes[job.Framework]
			}
			if rt, ok := p.Defaults.Training.Runtimes[name]; ok && len(rt.Initializers) > 0 {
				ms = append(ms, mount{path: "/workspace", what: "the volume runtime " + name + " downloads the data set and model into (" + t.where() + ")"})
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(job.Volumes)) {
		v := job.Volumes[name]
		ms = append(ms, mount{
			path:     v.MountPath,
			what:     "volume " + name,
			field:    path + ".volumes." + model.Path(name) + ".mountPath",
			readOnly: v.ReadOnly || v.Secret != "" || v.ConfigMap != "",
		})
	}
	r.containerMounts(ms)
}

// stepMounts checks the volumes of a pipeline step against one another and against
// what Kubeflow Pipelines mounts.
func (r *reporter) stepMounts(path string, vols map[string]model.TaskVolume) {
	ms := append([]mount{serviceAccountMount}, kfpMounts...)
	for _, name := range slices.Sorted(maps.Keys(vols)) {
		v := vols[name]
		ms = append(ms, mount{
			path:     v.MountPath,
			what:     "volume " + name,
			field:    path + "." + model.Path("volumes", name) + ".mountPath",
			readOnly: v.Secret != "" || v.ConfigMap != "",
		})
	}
	r.containerMounts(ms)
}
