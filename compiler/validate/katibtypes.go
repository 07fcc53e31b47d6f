package validate

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
)

// The types below mirror the spec of Katib's Experiment (kubeflow.org/v1beta1,
// pkg/apis/controller/experiments/v1beta1 in github.com/kubeflow/katib) as its
// controller decodes it. Katib's CRD preserves unknown fields, so a field these types
// do not have is kept by the API server and ignored by Katib: mlc decodes strictly to
// find it.

type katibSpec struct {
	Parameters           []katibParameter    `json:"parameters,omitempty"`
	Objective            *katibObjective     `json:"objective,omitempty"`
	Algorithm            *katibAlgorithm     `json:"algorithm,omitempty"`
	EarlyStopping        *katibAlgorithm     `json:"earlyStopping,omitempty"`
	TrialTemplate        *katibTrialTemplate `json:"trialTemplate,omitempty"`
	ParallelTrialCount   *int32              `json:"parallelTrialCount,omitempty"`
	MaxTrialCount        *int32              `json:"maxTrialCount,omitempty"`
	MaxFailedTrialCount  *int32              `json:"maxFailedTrialCount,omitempty"`
	MetricsCollectorSpec *katibMetrics       `json:"metricsCollectorSpec,omitempty"`
	NasConfig            *json.RawMessage    `json:"nasConfig,omitempty"`
	ResumePolicy         string              `json:"resumePolicy,omitempty"`
}

type katibParameter struct {
	Name          string `json:"name,omitempty"`
	ParameterType string `json:"parameterType,omitempty"`
	FeasibleSpace struct {
		Max          string   `json:"max,omitempty"`
		Min          string   `json:"min,omitempty"`
		List         []string `json:"list,omitempty"`
		Step         string   `json:"step,omitempty"`
		Distribution string   `json:"distribution,omitempty"`
	} `json:"feasibleSpace,omitempty"`
}

type katibObjective struct {
	Type                  string   `json:"type,omitempty"`
	Goal                  *float64 `json:"goal,omitempty"`
	ObjectiveMetricName   string   `json:"objectiveMetricName,omitempty"`
	AdditionalMetricNames []string `json:"additionalMetricNames,omitempty"`
	MetricStrategies      []struct {
		Name  string `json:"name,omitempty"`
		Value string `json:"value,omitempty"`
	} `json:"metricStrategies,omitempty"`
}

type katibAlgorithm struct {
	AlgorithmName     string `json:"algorithmName,omitempty"`
	AlgorithmSettings []struct {
		Name  string `json:"name,omitempty"`
		Value string `json:"value,omitempty"`
	} `json:"algorithmSettings,omitempty"`
}

type katibTrialTemplate struct {
	Retain    bool            `json:"retain,omitempty"`
	TrialSpec json.RawMessage `json:"trialSpec,omitempty"`
	ConfigMap *struct {
		ConfigMapName      string `json:"configMapName,omitempty"`
		ConfigMapNamespace string `json:"configMapNamespace,omitempty"`
		TemplatePath       string `json:"templatePath,omitempty"`
	} `json:"configMap,omitempty"`
	TrialParameters []struct {
		Name        string `json:"name,omitempty"`
		Description string `json:"description,omitempty"`
		Reference   string `json:"reference,omitempty"`
	} `json:"trialParameters,omitempty"`
	PrimaryPodLabels     map[string]string `json:"primaryPodLabels,omitempty"`
	PrimaryContainerName string            `json:"primaryContainerName,omitempty"`
	SuccessCondition     string            `json:"successCondition,omitempty"`
	FailureCondition     string            `json:"failureCondition,omitempty"`
}

type katibMetrics struct {
	Source *struct {
		HTTPGet        *corev1.HTTPGetAction `json:"httpGet,omitempty"`
		FileSystemPath *struct {
			Path   string `json:"path,omitempty"`
			Kind   string `json:"kind,omitempty"`
			Format string `json:"format,omitempty"`
		} `json:"fileSystemPath,omitempty"`
		Filter *struct {
			MetricsFormat []string `json:"metricsFormat,omitempty"`
		} `json:"filter,omitempty"`
	} `json:"source,omitempty"`
	Collector *struct {
		Kind            string            `json:"kind,omitempty"`
		CustomCollector *corev1.Container `json:"customCollector,omitempty"`
	} `json:"collector,omitempty"`
}

// trialKind is the kind of the trial spec as Katib reads it: from its JSON, where
// encoding/json takes any key that folds to "kind", the last one winning.
func (t *katibTrialTemplate) trialKind() string {
	var head struct {
		Kind string `json:"kind"`
	}
	_ = json.Unmarshal(t.TrialSpec, &head)
	return head.Kind
}
