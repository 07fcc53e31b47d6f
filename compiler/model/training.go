package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Training backends a cluster runs training jobs on.
const (
	// BackendTrainer is Kubeflow Trainer: TrainJob (trainer.kubeflow.org/v1alpha1).
	BackendTrainer = "trainer"
	// BackendTrainingOperator is the Training Operator v1: PyTorchJob, TFJob, ... (kubeflow.org/v1).
	BackendTrainingOperator = "training-operator"
)

// Schedulers that admit queued training jobs.
const (
	SchedulerKueue   = "kueue"
	SchedulerVolcano = "volcano"
)

// ClusterTraining is how one cluster runs training jobs; empty fields take the
// platform's defaults.
type ClusterTraining struct {
	Backend   string `json:"backend,omitempty"`
	Scheduler string `json:"scheduler,omitempty"`
}

// TrainingDefaults is how the platform's clusters run training jobs.
type TrainingDefaults struct {
	Backend         string                     `json:"backend"`
	Scheduler       string                     `json:"scheduler"`
	Runtimes        map[string]TrainingRuntime `json:"runtimes"`
	DefaultRuntimes map[string]string          `json:"defaultRuntimes"`
}

// TrainingRuntime is a Kubeflow Trainer runtime installed on the clusters.
type TrainingRuntime struct {
	Framework      string   `json:"framework"`
	Kind           string   `json:"kind"`
	Initializers   []string `json:"initializers"`
	PodGroupPolicy string   `json:"podGroupPolicy,omitempty"`
}

// KatibDefaults is how the clusters' Katib is configured.
type KatibDefaults struct {
	// TrialResources are the kinds Katib runs trials of, as Kind.version.group.
	TrialResources []string `json:"trialResources"`
}

// TrainingJob is a distributed training job.
type TrainingJob struct {
	Framework       string              `json:"framework"`
	Runtime         string              `json:"runtime,omitempty"`
	Image           string              `json:"image,omitempty"`
	ImagePullPolicy string              `json:"imagePullPolicy,omitempty"`
	Command         []string            `json:"command"`
	Args            []string            `json:"args"`
	Env             map[string]EnvValue `json:"env"`
	Workers         int64               `json:"workers"`
	ProcsPerWorker  *int64              `json:"procsPerWorker"`
	Chief           bool                `json:"chief"`
	// ParameterServers are TensorFlow's, besides the workers.
	ParameterServers *int64                    `json:"parameterServers"`
	Launcher         *Launcher                 `json:"launcher"`
	Elastic          *Elastic                  `json:"elastic"`
	Resources        *TrainingResources        `json:"resources"`
	Dataset          *TrainingInitializer      `json:"dataset"`
	Model            *TrainingInitializer      `json:"model"`
	Volumes          map[string]TrainingVolume `json:"volumes"`
	ServiceAccount   string                    `json:"serviceAccount,omitempty"`
	RestartPolicy    string                    `json:"restartPolicy,omitempty"`
	BackoffLimit     *int64                    `json:"backoffLimit"`
	// ActiveDeadlineSeconds bounds how long the job may run.
	ActiveDeadlineSeconds   *int64            `json:"activeDeadlineSeconds"`
	TTLSecondsAfterFinished *int64            `json:"ttlSecondsAfterFinished"`
	CleanPods               string            `json:"cleanPods,omitempty"`
	Port                    *int64            `json:"port"`
	Suspend                 bool              `json:"suspend"`
	Queue                   string            `json:"queue,omitempty"`
	Labels                  map[string]string `json:"labels"`
	Annotations             map[string]string `json:"annotations"`

	// PodLabels are labels lowering puts on the job's pods, such as the one Azure
	// workload identity needs; not declared.
	PodLabels map[string]string `json:"-"`
}

// Launcher is an MPI job's launcher pod.
type Launcher struct {
	Resources *TrainingResources `json:"resources"`
}

// Elastic is PyTorch elastic training's range of workers.
type Elastic struct {
	MinWorkers  int64  `json:"minWorkers"`
	MaxWorkers  int64  `json:"maxWorkers"`
	MaxRestarts *int64 `json:"maxRestarts"`
}

// TrainingResources are what one training node requests.
type TrainingResources struct {
	CPU     Quantity        `json:"cpu,omitempty"`
	Memory  string          `json:"memory,omitempty"`
	GPU     int64           `json:"gpu,omitempty"`
	GPUType GPUPreference   `json:"gpuType,omitempty"`
	Limits  *TrainingLimits `json:"limits"`
}

// TrainingLimits are limits above a training node's requests.
type TrainingLimits struct {
	CPU    Quantity `json:"cpu,omitempty"`
	Memory string   `json:"memory,omitempty"`
}

// TrainingInitializer is data Kubeflow Trainer downloads before training.
type TrainingInitializer struct {
	StorageURI string `json:"storageUri"`
	Secret     string `json:"secret,omitempty"`
}

// TrainingVolume is a volume of a training job, from one source.
type TrainingVolume struct {
	MountPath string    `json:"mountPath"`
	Claim     string    `json:"claim,omitempty"`
	Secret    string    `json:"secret,omitempty"`
	ConfigMap string    `json:"configMap,omitempty"`
	EmptyDir  *EmptyDir `json:"emptyDir"`
	ReadOnly  bool      `json:"readOnly"`
	// Volume names a volume of the tenant's volumes.
	Volume string `json:"volume,omitempty"`
}

// EmptyDir is scratch space for a pod's lifetime.
type EmptyDir struct {
	Medium    string `json:"medium,omitempty"`
	SizeLimit string `json:"sizeLimit,omitempty"`
}

// Experiment is a Katib hyperparameter search.
type Experiment struct {
	Trial             TrainingJob          `json:"trial"`
	Parameters        map[string]Parameter `json:"parameters"`
	Objective         Objective            `json:"objective"`
	Algorithm         string               `json:"algorithm"`
	AlgorithmSettings map[string]Setting   `json:"algorithmSettings"`
	EarlyStopping     *EarlyStopping       `json:"earlyStopping"`
	MetricsCollector  *MetricsCollector    `json:"metricsCollector"`
	MaxTrials         *int64               `json:"maxTrials"`
	ParallelTrials    int64                `json:"parallelTrials"`
	MaxFailedTrials   *int64               `json:"maxFailedTrials"`
	ResumePolicy      string               `json:"resumePolicy,omitempty"`
	RetainTrials      bool                 `json:"retainTrials"`
	PrimaryPodLabels  map[string]string    `json:"primaryPodLabels"`
	Labels            map[string]string    `json:"labels"`
	Annotations       map[string]string    `json:"annotations"`
}

// Objective is what an experiment optimises.
type Objective struct {
	Metric            string   `json:"metric"`
	Type              string   `json:"type"`
	Goal              *Setting `json:"goal"`
	AdditionalMetrics []string `json:"additionalMetrics"`
}

// EarlyStopping stops unpromising trials.
type EarlyStopping struct {
	Algorithm string             `json:"algorithm"`
	Settings  map[string]Setting `json:"settings"`
}

// MetricsCollector is where Katib reads a trial's metrics.
type MetricsCollector struct {
	Kind   string   `json:"kind"`
	Path   string   `json:"path,omitempty"`
	Format string   `json:"format,omitempty"`
	Filter []string `json:"filter"`
	Port   *int64   `json:"port"`
}

// Parameter is one dimension of a search space.
type Parameter struct {
	Type         string    `json:"type,omitempty"`
	Min          *Setting  `json:"min"`
	Max          *Setting  `json:"max"`
	Step         *Setting  `json:"step"`
	Values       []Setting `json:"values"`
	Distribution string    `json:"distribution,omitempty"`
	Description  string    `json:"description,omitempty"`
}

// Katib parameter types.
const (
	ParameterDouble      = "double"
	ParameterInt         = "int"
	ParameterCategorical = "categorical"
	ParameterDiscrete    = "discrete"
)

// Kind returns the parameter's type: the declared one, or the one its fields imply.
func (p Parameter) Kind() string {
	if p.Type != "" {
		return p.Type
	}
	if len(p.Values) > 0 {
		for _, v := range p.Values {
			if !v.IsNumber() {
				return ParameterCategorical
			}
		}
		return ParameterDiscrete
	}
	return ParameterDouble
}

// Setting is a number or a string as the user wrote it, kept as text: Katib takes every
// setting, bound and value as a string.
type Setting struct {
	text   string
	number bool
}

// NumberSetting returns a setting holding a number written as text.
func NumberSetting(text string) Setting { return Setting{text: text, number: true} }

// StringSetting returns a setting holding a string.
func StringSetting(s string) Setting { return Setting{text: s} }

// String returns the text of the setting: the number as written, or the string.
func (s Setting) String() string { return s.text }

// Float returns the setting as a number; zero when it is not one.
func (s Setting) Float() float64 {
	f, _ := strconv.ParseFloat(s.text, 64)
	return f
}

// IsNumber reports whether the user wrote a number.
func (s Setting) IsNumber() bool { return s.number }

// UnmarshalJSON keeps a number's literal text, or a string.
func (s *Setting) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		s.number = false
		return json.Unmarshal(b, &s.text)
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a number or a string, got %s", b)
	}
	*s = Setting{text: n.String(), number: true}
	return nil
}

// MarshalJSON writes the setting back as it was read.
func (s Setting) MarshalJSON() ([]byte, error) {
	if s.number {
		return []byte(s.text), nil
	}
	return json.Marshal(s.text)
}
