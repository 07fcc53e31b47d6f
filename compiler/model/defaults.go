package model

// What a declaration means once the platform's defaults fill what it leaves unset. The
// checks and lowering both read declarations through these, so they agree.

// DefaultScheduleImage is the default of defaults.pipelines.scheduleImage (in
// schemas/platform.cue).
const DefaultScheduleImage = "docker.io/library/python:3.13-slim"

// ResolveImage returns the full reference of an image: the catalog's entry for a name in
// the platform's image catalog, otherwise the image as written.
func (p *Platform) ResolveImage(image string) string {
	if ref, ok := p.Defaults.ImageCatalog[image]; ok {
		return ref
	}
	return image
}

// GPUType returns the name and definition of the GPU type a request gets: the first of
// the requested types that the platform declares (and, on a platform seen from a cluster,
// that the cluster has), or the platform's default when it requests none. A platform that
// declares no GPU types has NVIDIA GPUs, and one that declares a single type needs no
// default. ok is false when there is no such type, and the name is empty too when the
// platform has several and names no default.
func (p *Platform) GPUType(requested GPUPreference) (name string, g GPUType, ok bool) {
	if len(requested) > 0 {
		for _, name := range requested {
			if g, ok := p.Defaults.GPUTypes[name]; ok && p.hasGPUType(name) {
				return name, g, true
			}
		}
		return requested[0], GPUType{}, false
	}
	name = p.Defaults.GPUType
	switch {
	case name == "" && len(p.Defaults.GPUTypes) == 0:
		name, g, ok = "nvidia", GPUType{Vendor: "nvidia"}, true
	case name == "" && len(p.Defaults.GPUTypes) == 1:
		for n, t := range p.Defaults.GPUTypes {
			name, g, ok = n, t, true
		}
	default:
		g, ok = p.Defaults.GPUTypes[name]
	}
	return name, g, ok && p.hasGPUType(name)
}

// OnCluster returns the platform as lowering for a cluster with the given GPU types
// sees it (all of the platform's when types is nil): GPUType picks, of the types a
// request accepts, the first the cluster has.
func (p *Platform) OnCluster(types []string) *Platform {
	q := *p
	q.here = &Cluster{GPUTypes: types}
	return &q
}

// hasGPUType reports whether the cluster the platform is seen from has the GPU type;
// true when it is seen from no cluster.
func (p *Platform) hasGPUType(name string) bool { return p.here == nil || p.here.HasGPUType(name) }

// GPUTypeOn returns the GPU type a request gets on cluster c (see GPUType).
func (p *Platform) GPUTypeOn(c Cluster, requested GPUPreference) (name string, g GPUType, ok bool) {
	return p.OnCluster(c.GPUTypes).GPUType(requested)
}

// NotebookRequests returns a notebook's cpu and memory requests with the platform's
// defaults applied.
func (p *Platform) NotebookRequests(nb Notebook) (cpu, memory string) {
	cpu, memory = string(nb.Resources.CPU), nb.Resources.Memory
	if cpu == "" {
		cpu = string(p.Defaults.Notebook.CPU)
	}
	if memory == "" {
		memory = p.Defaults.Notebook.Memory
	}
	return cpu, memory
}

// WorkspaceEnabled reports whether the notebook has a workspace volume: unless it says not.
func (nb Notebook) WorkspaceEnabled() bool {
	return nb.Workspace.Enabled == nil || *nb.Workspace.Enabled
}

// WorkspaceSize returns the size of a notebook's workspace claim.
func (p *Platform) WorkspaceSize(nb Notebook) string {
	if nb.Workspace.Size != "" {
		return nb.Workspace.Size
	}
	return p.Defaults.Notebook.WorkspaceSize
}

// ServingMode returns an endpoint's mode ("serverless" or "raw"), the platform's default
// when it names none.
func (p *Platform) ServingMode(ep ServingEndpoint) string {
	if ep.Mode != "" {
		return ep.Mode
	}
	return p.Defaults.Serving.Mode
}

// ProtocolVersion returns the protocol the model is served with: the declared one, or
// the one its format needs (KServe's own default is v1, which no built-in runtime serves
// MLflow or ONNX models with; Triton models are v2).
func (m *ServedModel) ProtocolVersion() string {
	if m.Protocol != "" {
		return m.Protocol
	}
	switch m.Format {
	case "mlflow", "onnx", "triton":
		return "v2"
	}
	return "v1"
}

// TrainingTarget is how a cluster runs training jobs.
type TrainingTarget struct {
	// Backend is BackendTrainer or BackendTrainingOperator.
	Backend string
	// Scheduler is SchedulerKueue, SchedulerVolcano or empty.
	Scheduler string
	// PodTemplateOverrides is true when the cluster's Kubeflow Trainer takes a TrainJob's
	// pod settings as spec.podTemplateOverrides (v2.1, in Kubeflow v1.11), not as
	// spec.runtimePatches (later releases).
	PodTemplateOverrides bool
}

// DefaultTrainingTarget is how the platform's clusters run training jobs unless a
// cluster says otherwise.
func (p *Platform) DefaultTrainingTarget() TrainingTarget {
	return TrainingTarget{Backend: p.Defaults.Training.Backend, Scheduler: p.Defaults.Training.Scheduler}
}

// TrainingTarget returns how cluster c runs training jobs: its own settings, else the
// platform's defaults.
func (p *Platform) TrainingTarget(c Cluster) TrainingTarget {
	t := p.DefaultTrainingTarget()
	if c.Training.Backend != "" {
		t.Backend = c.Training.Backend
	}
	if c.Training.Scheduler != "" {
		t.Scheduler = c.Training.Scheduler
	}
	return t
}

// TrainerRuntime returns the Kubeflow Trainer runtime a job runs on: the one it names,
// or the platform's runtime for its framework. ok is false when there is none.
func (p *Platform) TrainerRuntime(job TrainingJob) (name string, rt TrainingRuntime, ok bool) {
	name = job.Runtime
	if name == "" {
		name = p.Defaults.Training.DefaultRuntimes[job.Framework]
	}
	rt, ok = p.Defaults.Training.Runtimes[name]
	return name, rt, ok
}
