package model

import (
	"encoding/json"
	"regexp"
	"slices"
)

// Pipeline is a Kubeflow Pipelines pipeline: a graph of container steps.
type Pipeline struct {
	DisplayName string                       `json:"displayName,omitempty"`
	Description string                       `json:"description,omitempty"`
	Parameters  map[string]PipelineParameter `json:"parameters"`
	Tasks       map[string]PipelineTask      `json:"tasks"`
	ExitTask    string                       `json:"exitTask,omitempty"`
	Outputs     map[string]OutputRef         `json:"outputs"`
	Schedule    *PipelineSchedule            `json:"schedule"`
	Labels      map[string]string            `json:"labels"`
	Annotations map[string]string            `json:"annotations"`

	// PodLabels are labels lowering puts on every step's pod, such as the one Azure
	// workload identity needs when the schedule's runs use an Azure account; not declared.
	PodLabels map[string]string `json:"-"`
}

// PipelineParameter is a run parameter.
type PipelineParameter struct {
	Type        string          `json:"type,omitempty"`
	Default     json.RawMessage `json:"default,omitempty"`
	Description string          `json:"description,omitempty"`
}

// Kind returns the parameter's type: the declared one, or its default's.
func (p PipelineParameter) Kind() string {
	if p.Type != "" {
		return p.Type
	}
	return ValueType(p.Default)
}

// ValueType returns the parameter type of a JSON value: string, int, float, bool, list
// or struct; "" for none.
func ValueType(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case '[':
		return "list"
	case '{':
		return "struct"
	case 'n':
		return ""
	}
	if slices.ContainsFunc(v, func(c byte) bool { return c == '.' || c == 'e' || c == 'E' }) {
		return "float"
	}
	return "int"
}

// ValuesType is the type of a list of values: "" for none, float for ints and floats;
// when the values have other types that differ, it returns the first's type and the
// index of the first value of another.
func ValuesType(values []json.RawMessage) (typ string, other int) {
	for i, v := range values {
		t := ValueType(v)
		switch {
		case i == 0 || typ == "":
			typ = t
		case t == typ || t == "":
		case (t == TypeInt && typ == TypeFloat) || (t == TypeFloat && typ == TypeInt):
			typ = TypeFloat
		default:
			return ValueType(values[0]), i
		}
	}
	return typ, -1
}

// PipelineTask is a step (Image set) or a group of steps (Tasks or Branches set).
type PipelineTask struct {
	Image        string                  `json:"image,omitempty"`
	Command      []string                `json:"command"`
	Args         []string                `json:"args"`
	Env          map[string]EnvValue     `json:"env"`
	Inputs       map[string]Binding      `json:"inputs"`
	Outputs      map[string]string       `json:"outputs"`
	After        []string                `json:"after"`
	Resources    *PipelineResources      `json:"resources"`
	Caching      bool                    `json:"caching"`
	Retry        *Retry                  `json:"retry"`
	Timeout      string                  `json:"timeout,omitempty"`
	Volumes      map[string]TaskVolume   `json:"volumes"`
	NodeSelector map[string]string       `json:"nodeSelector"`
	Tolerations  []Toleration            `json:"tolerations"`
	Tasks        map[string]PipelineTask `json:"tasks"`
	If           *Condition              `json:"if"`
	Branches     []Branch                `json:"branches"`
	Loop         *Loop                   `json:"loop"`
}

// IsGroup reports whether the task is a group of steps rather than a step.
func (t PipelineTask) IsGroup() bool {
	return t.Tasks != nil || t.Branches != nil || t.If != nil || t.Loop != nil
}

// Branch is one branch of an if / elif / else chain; If is nil for the else.
type Branch struct {
	If    *Condition              `json:"if"`
	Tasks map[string]PipelineTask `json:"tasks"`
}

// Binding is where an input's value comes from.
type Binding struct {
	Parameter string          `json:"parameter,omitempty"`
	Task      string          `json:"task,omitempty"`
	Output    string          `json:"output,omitempty"`
	Value     json.RawMessage `json:"value,omitempty"`
	Item      string          `json:"item,omitempty"`
	Field     string          `json:"field,omitempty"`
	Type      string          `json:"type,omitempty"`
}

// Sources counts how many sources the binding names.
func (b Binding) Sources() int {
	n := 0
	for _, set := range []bool{b.Parameter != "", b.Task != "" || b.Output != "", b.Value != nil, b.Item != ""} {
		if set {
			n++
		}
	}
	return n
}

// OutputRef names an output of a step.
type OutputRef struct {
	Task   string `json:"task"`
	Output string `json:"output"`
}

// Condition compares a parameter or an output with a constant.
type Condition struct {
	Parameter string `json:"parameter,omitempty"`
	Task      string `json:"task,omitempty"`
	Output    string `json:"output,omitempty"`
	// Ops are the operators and their operands as written, such as "==": "heads".
	Ops map[string]json.RawMessage `json:"-"`
}

// ConditionOperators are the comparisons a condition may make.
var ConditionOperators = []string{"==", "!=", "<", "<=", ">", ">="}

// UnmarshalJSON reads the reference and the operators.
func (c *Condition) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	type plain Condition
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Condition(p)
	c.Ops = map[string]json.RawMessage{}
	for _, op := range ConditionOperators {
		if v, ok := all[op]; ok {
			c.Ops[op] = v
		}
	}
	return nil
}

// Operator returns the condition's operator and operand: the first it has of
// ConditionOperators, else == "".
func (c *Condition) Operator() (string, json.RawMessage) {
	for _, op := range ConditionOperators {
		if v, ok := c.Ops[op]; ok {
			return op, v
		}
	}
	return "==", json.RawMessage(`""`)
}

// Loop runs a group once per item.
type Loop struct {
	Items       []json.RawMessage `json:"items"`
	Parameter   string            `json:"parameter,omitempty"`
	Task        string            `json:"task,omitempty"`
	Output      string            `json:"output,omitempty"`
	ItemType    string            `json:"itemType,omitempty"`
	Parallelism *int64            `json:"parallelism"`
}

// PipelineResources are what a step's container requests.
type PipelineResources struct {
	CPU     Quantity        `json:"cpu,omitempty"`
	Memory  string          `json:"memory,omitempty"`
	GPU     int64           `json:"gpu,omitempty"`
	GPUType GPUPreference   `json:"gpuType,omitempty"`
	Limits  *TrainingLimits `json:"limits"`
}

// Retry is how a failed step is retried.
type Retry struct {
	Count      int64    `json:"count"`
	Backoff    string   `json:"backoff,omitempty"`
	Factor     *float64 `json:"factor"`
	MaxBackoff string   `json:"maxBackoff,omitempty"`
}

// TaskVolume mounts a Secret, ConfigMap or claim into a step.
type TaskVolume struct {
	MountPath string `json:"mountPath"`
	Secret    string `json:"secret,omitempty"`
	ConfigMap string `json:"configMap,omitempty"`
	Claim     string `json:"claim,omitempty"`
	// Volume names a volume of the tenant's volumes.
	Volume string `json:"volume,omitempty"`
}

// PipelineSchedule starts runs on a schedule.
type PipelineSchedule struct {
	Cron           string                     `json:"cron"`
	TimeZone       string                     `json:"timeZone"`
	Parameters     map[string]json.RawMessage `json:"parameters"`
	Enabled        bool                       `json:"enabled"`
	Experiment     string                     `json:"experiment"`
	ServiceAccount string                     `json:"serviceAccount,omitempty"`
}

// PipelineDefaults say how the clusters' Kubeflow Pipelines is reached.
type PipelineDefaults struct {
	// APIEndpoint is the URL of KFP's API server, as pods in a tenant's namespace reach it.
	APIEndpoint string `json:"apiEndpoint"`
	// ScheduleImage is the image of the job that starts a scheduled run: any image with
	// Python 3.
	ScheduleImage string `json:"scheduleImage"`
}

// Parameter types of pipeline values.
const (
	TypeString = "string"
	TypeInt    = "int"
	TypeFloat  = "float"
	TypeBool   = "bool"
	TypeList   = "list"
	TypeStruct = "struct"
)

// IsParameterType reports whether an output type is a parameter type rather than an
// artifact type.
func IsParameterType(t string) bool {
	switch t {
	case TypeString, TypeInt, TypeFloat, TypeBool, TypeList, TypeStruct:
		return true
	}
	return false
}

// placeholderPattern matches mlc's short placeholders in a step's command and args:
// {{inputs.<name>}}, {{outputs.<name>}}, and either with .uri for an artifact's URI.
var placeholderPattern = regexp.MustCompile(`\{\{(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_-]*)(\.uri)?\}\}`)

// Placeholder is one of mlc's short placeholders in a step's command or args.
type Placeholder struct {
	// Dir is "inputs" or "outputs".
	Dir, Name string
	// URI is set for the .uri form.
	URI bool
}

// Placeholders returns the short placeholders in s.
func Placeholders(s string) []Placeholder {
	var out []Placeholder
	for _, m := range placeholderPattern.FindAllStringSubmatch(s, -1) {
		out = append(out, Placeholder{Dir: m[1], Name: m[2], URI: m[3] != ""})
	}
	return out
}

// ReplacePlaceholders returns s with each short placeholder replaced by what replace
// returns for it; a placeholder replace returns ok false for is left as written.
func ReplacePlaceholders(s string, replace func(Placeholder) (string, bool)) string {
	return placeholderPattern.ReplaceAllStringFunc(s, func(m string) string {
		g := placeholderPattern.FindStringSubmatch(m)
		if out, ok := replace(Placeholder{Dir: g[1], Name: g[2], URI: g[3] != ""}); ok {
			return out
		}
		return m
	})
}

// DurationSeconds parses a duration of the schemas' #Duration form, such as "1h30m",
// into seconds; 0 when it does not parse.
func DurationSeconds(d string) int64 {
	var total, n int64
	for _, c := range d {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int64(c-'0')
		case c == 's':
			total, n = total+n, 0
		case c == 'm':
			total, n = total+n*60, 0
		case c == 'h':
			total, n = total+n*3600, 0
		default:
			return 0
		}
	}
	return total
}
