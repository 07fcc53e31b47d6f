package model

// ServingEndpoint is a model endpoint.
type ServingEndpoint struct {
	Model       *ServedModel      `json:"model"`
	Container   *ServingContainer `json:"container"`
	Canary      *Canary           `json:"canary"`
	Resources   Resources         `json:"resources"`
	Replicas    *Replicas         `json:"replicas"`
	Autoscaling *Autoscaling      `json:"autoscaling"`
	Mode        string            `json:"mode,omitempty"`
	// ServiceAccount gives access to the model's storage.
	ServiceAccount string            `json:"serviceAccount,omitempty"`
	Timeout        *int64            `json:"timeout"`
	Batching       *Batching         `json:"batching"`
	Logging        *Logging          `json:"logging"`
	Transformer    *ServingContainer `json:"transformer"`
	Explainer      *ServingContainer `json:"explainer"`
	Labels         map[string]string `json:"labels"`
	Annotations    map[string]string `json:"annotations"`

	// PodLabels are labels lowering puts on the endpoint's pods, such as the one Azure
	// workload identity needs; not declared.
	PodLabels map[string]string `json:"-"`
}

// ServedModel is a model in a format KServe serves.
type ServedModel struct {
	Format     string `json:"format"`
	Version    string `json:"version,omitempty"`
	StorageURI string `json:"storageUri"`
	Runtime    string `json:"runtime,omitempty"`
	// RuntimeVersion is the runtime image's tag to use instead of its default.
	RuntimeVersion string              `json:"runtimeVersion,omitempty"`
	Protocol       string              `json:"protocol,omitempty"`
	Args           []string            `json:"args"`
	Env            map[string]EnvValue `json:"env"`
}

// ServingContainer is a custom predictor, a transformer or an explainer.
type ServingContainer struct {
	Image     string              `json:"image"`
	Command   []string            `json:"command"`
	Args      []string            `json:"args"`
	Env       map[string]EnvValue `json:"env"`
	Resources Resources           `json:"resources"`
}

// Canary is a new version taking part of an endpoint's traffic.
type Canary struct {
	StorageURI string `json:"storageUri,omitempty"`
	Image      string `json:"image,omitempty"`
	Traffic    int64  `json:"traffic"`
}

// Resources are what a container requests.
type Resources struct {
	CPU     Quantity      `json:"cpu,omitempty"`
	Memory  string        `json:"memory,omitempty"`
	GPU     int64         `json:"gpu,omitempty"`
	GPUType GPUPreference `json:"gpuType,omitempty"`
}

// Replicas bound an endpoint's scale.
type Replicas struct {
	Min *int64 `json:"min"`
	Max *int64 `json:"max"`
}

// Autoscaling is the metric an endpoint scales on and its target per replica.
type Autoscaling struct {
	Metric string `json:"metric"`
	Target int64  `json:"target"`
}

// Batching is server-side request batching.
type Batching struct {
	MaxBatchSize *int64 `json:"maxBatchSize"`
	MaxLatency   *int64 `json:"maxLatency"`
	Timeout      *int64 `json:"timeout"`
}

// Logging sends requests and responses to a CloudEvents sink.
type Logging struct {
	URL  string `json:"url"`
	Mode string `json:"mode"`
}

// ServingRuntime is a tenant's own model server.
type ServingRuntime struct {
	Image     string              `json:"image"`
	Args      []string            `json:"args"`
	Env       map[string]EnvValue `json:"env"`
	Formats   []RuntimeFormat     `json:"formats"`
	Protocols []string            `json:"protocols"`
	Resources Resources           `json:"resources"`
}
