package check

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// step checks a pipeline step and returns what its pod requests.
func (c *pipelineCheck) step(n *model.PipelineNode) stepPod {
	t := n.Task
	if t.Image == "" {
		c.errorf(n.Path, "set image for a step, or tasks for a group of steps")
	} else {
		c.catalogImage(c.plat, n.Path+".image", t.Image)
	}
	for _, name := range slices.Sorted(maps.Keys(t.Inputs)) {
		c.input(n, name, t.Inputs[name])
		if _, dup := t.Outputs[name]; dup {
			c.errorf(n.Path+"."+model.Path("outputs", name), "%s is also an input of this step: an input and an output need different names", name)
		}
	}
	for i, s := range t.Command {
		c.placeholders(n, fmt.Sprintf("%s.command[%d]", n.Path, i), s)
	}
	for i, s := range t.Args {
		c.placeholders(n, fmt.Sprintf("%s.args[%d]", n.Path, i), s)
	}
	for _, name := range slices.Sorted(maps.Keys(t.Env)) {
		if v := t.Env[name]; !v.IsRef() && strings.Contains(v.Value, "{{") {
			c.errorf(n.Path+"."+model.Path("env", name), "Kubeflow Pipelines fills placeholders only in command and args: the container would get %q as written; pass the value as an argument", v.Value)
		}
	}
	c.stepMounts(n.Path, t.Volumes)
	for _, name := range slices.Sorted(maps.Keys(t.Volumes)) {
		v := t.Volumes[name]
		set := 0
		for _, s := range []string{v.Secret, v.ConfigMap, v.Claim, v.Volume} {
			if s != "" {
				set++
			}
		}
		if set != 1 {
			c.errorf(n.Path+"."+model.Path("volumes", name), "mount one of secret, configMap, claim or volume")
		}
	}
	if t.Timeout != "" && model.DurationSeconds(t.Timeout) < 1 {
		c.errorf(n.Path+".timeout", "must be a second or more")
	}
	if t.Resources == nil {
		return newStepPod(c.plat, nil)
	}
	res := &model.TrainingResources{CPU: t.Resources.CPU, Memory: t.Resources.Memory, GPU: t.Resources.GPU, GPUType: t.Resources.GPUType, Limits: t.Resources.Limits}
	c.trainingResources(c.plat, n.Path+".resources", res, &quota{})
	return newStepPod(c.plat, res)
}

// fits checks that what a step's pod requests fits the tenant's quota by itself: a
// pipeline's steps run now and then, one or a few at a time, so they are not added to
// what always runs, but a step larger than the whole quota could never start. The pod
// holds Argo's wait container beside the step's, with the namespace's default requests
// (defaults.containerDefaults), as has the step for what it leaves unset.
func (c *pipelineCheck) fits(n *model.PipelineNode, s stepPod) {
	q := c.quota
	if q == nil {
		return
	}
	path := n.Path + ".resources"
	quantity := func(field, noun string, own bool, step, pod resource.Quantity, limit *resource.Quantity) {
		if limit == nil || pod.Cmp(*limit) <= 0 {
			return
		}
		wait := pod.DeepCopy()
		wait.Sub(step)
		if own {
			c.errorf(path+"."+field, "step %s's pod requests %s %s: the step's %s, and %s for Argo's wait container beside it (defaults.containerDefaults.%s), more than the tenant's whole quota of %s (tenant.quota.%s): it could never start",
				n.Name, pod.String(), noun, step.String(), wait.String(), field, limit.String(), field)
			return
		}
		c.errorf(n.Path, "step %s's pod requests %s %s: the step sets none and gets %s, and Argo's wait container beside it as much (defaults.containerDefaults.%s), more than the tenant's whole quota of %s (tenant.quota.%s): it could never start",
			n.Name, pod.String(), noun, step.String(), field, limit.String(), field)
	}
	quantity("cpu", "CPU", s.ownCPU, s.step.cpu, s.pod.cpu, q.cpu)
	quantity("memory", "memory", s.ownMemory, s.step.memory, s.pod.memory, q.memory)
	if q.gpu != nil && s.pod.gpu > *q.gpu {
		c.errorf(path+".gpu", "step %s alone requests %d GPUs, more than the tenant's whole quota of %d (tenant.quota.gpu): it could never start", n.Name, s.pod.gpu, *q.gpu)
	}
}

// input checks an input's binding: one source, that exists upstream, of a type the
// step can take.
func (c *pipelineCheck) input(n *model.PipelineNode, name string, b model.Binding) {
	path := n.Path + "." + model.Path("inputs", name)
	if b.Sources() != 1 {
		c.errorf(path, "bind the input to one source: parameter, task and output, value, or item")
		return
	}
	var from string
	artifact := false
	switch {
	case b.Parameter != "":
		p, ok := c.pl.Parameters[b.Parameter]
		if !ok {
			c.errorf(path+".parameter", "no parameter %q in the pipeline (have %s)", b.Parameter, keyList(c.pl.Parameters))
			return
		}
		from = p.Kind()
	case b.Task != "" || b.Output != "":
		if b.Task == "" {
			c.errorf(path, "name the task whose output %s to use", b.Output)
			return
		}
		typ, ok := c.upstream(n, path, b.Task, b.Output)
		if !ok {
			return
		}
		from, artifact = typ, !model.IsParameterType(typ)
	case b.Item != "":
		l := c.tree.ByName[b.Item]
		if l == nil || l.Kind != model.NodeLoop || !n.Within(l) {
			c.errorf(path+".item", "%q is not a loop this step runs in", b.Item)
			return
		}
		from = c.tree.LoopItemType(l)
		if b.Field != "" {
			lp := l.Task.Loop
			switch {
			case from != model.TypeStruct && lp.Task != "" && lp.ItemType == "":
				c.errorf(path+".field", "field picks a key of a struct item, and mlc cannot tell the type of the items of %s.%s: set loop.itemType: \"struct\" on loop %s", lp.Task, lp.Output, b.Item)
				return
			case from != model.TypeStruct:
				c.errorf(path+".field", "field picks a key of a struct item; the items of loop %s are %ss", b.Item, from)
				return
			}
			values, missing, ok := c.tree.LoopFieldValues(l, b.Field)
			from = model.TypeString
			if ok {
				if missing >= 0 {
					c.errorf(path+".field", "item %d of loop %s has no field %q", missing, b.Item, b.Field)
					return
				}
				typ, other := model.ValuesType(values)
				if other >= 0 && b.Type == "" {
					c.errorf(path+".field", "field %s is %s in item 0 of loop %s and %s in item %d: set type on this input", b.Field, an(typ), b.Item, an(model.ValueType(values[other])), other)
					return
				}
				if typ != "" {
					from = typ
				}
			}
		}
		if b.Type != "" && model.IsParameterType(b.Type) {
			return // the binding says what the items are
		}
	case b.Value != nil:
		from = model.ValueType(b.Value)
		for _, m := range braces.FindAllString(string(b.Value), -1) {
			// KFP fills its own {{$.inputs.parameters['NAME']}} in a constant (the SDK's
			// f-strings), but nothing else.
			if !strings.HasPrefix(m, "{{$.") {
				c.errorf(path+".value", "a constant is passed as written, and %s would reach the step as it is: mlc's placeholders work in command and args", m)
				break
			}
		}
	}
	if b.Field != "" && b.Item == "" {
		c.errorf(path+".field", "field picks a key of a loop's item; this input is not one")
	}
	want := b.Type
	switch {
	case want == "":
	case artifact && model.IsParameterType(want):
		c.errorf(path, "%s.%s is %s artifact, wired here to %s parameter: artifacts are files, passed to artifact inputs", b.Task, b.Output, an(from), an(want))
	case !artifact && !model.IsParameterType(want):
		c.errorf(path, "this input expects %s artifact, but is fed %s parameter value", an(want), an(from))
	case !assignable(from, want):
		if artifact {
			c.errorf(path, "this input expects %s artifact, but %s.%s is %s", an(want), b.Task, b.Output, an(from))
		} else {
			c.errorf(path, "this input expects %s, but is fed %s", an(want), an(from))
		}
	}
}

// braces finds what a reader would take for a placeholder: anything in {{ }}.
var braces = regexp.MustCompile(`\{\{.*?\}\}`)

// runtimePlaceholders are KFP's placeholders for the run and the task, which it fills in
// command and args as it fills mlc's.
var runtimePlaceholders = []string{
	"{{$.pipeline_job_name}}", "{{$.pipeline_job_resource_name}}", "{{$.pipeline_job_uuid}}",
	"{{$.pipeline_task_name}}", "{{$.pipeline_task_uuid}}",
}

// placeholders checks that a string's placeholders are well formed and name the step's
// inputs and outputs.
func (c *pipelineCheck) placeholders(n *model.PipelineNode, path, s string) {
	for _, m := range braces.FindAllString(s, -1) {
		if slices.Contains(runtimePlaceholders, m) {
			continue
		}
		ph := model.Placeholders(m)
		if len(ph) != 1 || placeholderText(ph[0]) != m {
			c.errorf(path, "%s is not a placeholder: write {{inputs.NAME}} or {{outputs.NAME}} (a parameter's value or file, an artifact's local path), {{inputs.NAME.uri}} or {{outputs.NAME.uri}} (an artifact's URI)%s", m, placeholderHint(m))
			continue
		}
		dir, name, uri := ph[0].Dir, ph[0].Name, ph[0].URI
		var artifact bool
		if dir == "inputs" {
			b, ok := n.Task.Inputs[name]
			if !ok {
				c.errorf(path, "{{inputs.%s}}: the step has no input %s (has %s)", name, name, keyList(n.Task.Inputs))
				continue
			}
			artifact, _ = c.tree.InputType(b)
		} else {
			typ, ok := n.Task.Outputs[name]
			if !ok {
				c.errorf(path, "{{outputs.%s}}: the step has no output %s (has %s)", name, name, keyList(n.Task.Outputs))
				continue
			}
			artifact = !model.IsParameterType(typ)
		}
		if uri && !artifact {
			c.errorf(path, "{{%s.%s.uri}}: only artifacts have a URI; %s is a parameter", dir, name, name)
		}
	}
}

// placeholderText is a placeholder as written.
func placeholderText(ph model.Placeholder) string {
	s := "{{" + ph.Dir + "." + ph.Name
	if ph.URI {
		s += ".uri"
	}
	return s + "}}"
}

// placeholderHint says what is likely wrong with something that is not a placeholder.
func placeholderHint(m string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(m, "{{"), "}}")
	switch {
	case strings.TrimSpace(inner) != inner || strings.Contains(inner, " "):
		return "; no spaces inside the braces"
	case strings.HasPrefix(inner, "input.") || strings.HasPrefix(inner, "output."):
		return "; inputs and outputs are plural"
	case strings.HasSuffix(inner, ".path"):
		return "; {{inputs.NAME}} is already an artifact's local path"
	case strings.HasPrefix(inner, "$."):
		return "; of KFP's own placeholders mlc passes on " + strings.Join(runtimePlaceholders, ", ")
	}
	return ""
}

// an writes a type name with its article: "an int", "a string", "an HTML".
func an(typ string) string {
	if typ == "" {
		return "a value of no type"
	}
	if strings.ContainsRune("aeiouAEIOU", rune(typ[0])) || typ == "HTML" {
		return "an " + typ
	}
	return "a " + typ
}
