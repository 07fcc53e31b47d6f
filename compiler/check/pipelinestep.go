package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// step checks a pipeline step and returns what its container requests.
func (c *pipelineCheck) step(n *lower.PipelineNode) usage {
	t := n.Task
	if t.Image == "" {
		c.errorf(n.Path, "set image for a step, or tasks for a group of steps")
	} else {
		image := lower.ResolveImage(c.plat, t.Image)
		if image == t.Image && !strings.ContainsAny(t.Image, "/:@") {
			c.errorf(n.Path+".image", "%q is neither in the platform's image catalog (%s) nor a full image reference", t.Image, keyList(c.plat.Defaults.ImageCatalog))
		} else {
			c.image(n.Path+".image", image, c.plat.Policy.AllowedRegistries)
		}
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
	c.trainingEnv(n.Path+".env", t.Env)
	for _, name := range slices.Sorted(maps.Keys(t.Volumes)) {
		v := t.Volumes[name]
		set := 0
		for _, s := range []string{v.Secret, v.ConfigMap, v.Claim} {
			if s != "" {
				set++
			}
		}
		if set != 1 {
			c.errorf(n.Path+"."+model.Path("volumes", name), "mount one of secret, configMap or claim")
		}
	}
	if t.Retry != nil && t.Retry.Factor != nil && *t.Retry.Factor < 1 {
		c.errorf(n.Path+".retry.factor", "the backoff grows by factor each retry: it must be 1 or more (got %v)", *t.Retry.Factor)
	}
	if t.Timeout != "" && lower.DurationSeconds(t.Timeout) < 1 {
		c.errorf(n.Path+".timeout", "must be a second or more")
	}
	if t.Resources == nil {
		return usage{}
	}
	res := &model.TrainingResources{CPU: t.Resources.CPU, Memory: t.Resources.Memory, GPU: t.Resources.GPU, GPUType: t.Resources.GPUType, Limits: t.Resources.Limits}
	c.trainingResources(c.plat, n.Path+".resources", res, &quota{})
	return nodeRequests(res)
}

// input checks an input's binding: one source, that exists upstream, of a type the
// step can take.
func (c *pipelineCheck) input(n *lower.PipelineNode, name string, b model.Binding) {
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
		typ, ok := c.upstream(n, path+".task", b.Task, b.Output)
		if !ok {
			return
		}
		from, artifact = typ, !model.IsParameterType(typ)
	case b.Item != "":
		l := c.tree.ByName[b.Item]
		if l == nil || l.Kind != lower.NodeLoop || !n.Within(l) {
			c.errorf(path+".item", "%q is not a loop this step runs in", b.Item)
			return
		}
		from = lower.LoopItemType(c.pl, c.tree, l)
		if b.Field != "" {
			if from != model.TypeStruct {
				c.errorf(path+".field", "field picks a key of a struct item; the items of loop %s are %s", b.Item, from)
			}
			from = model.TypeString
		}
		if b.Type != "" && model.IsParameterType(b.Type) {
			return // the binding says what the items are
		}
	case b.Value != nil:
		from = model.ValueType(b.Value)
	}
	if b.Field != "" && b.Item == "" {
		c.errorf(path+".field", "field picks a key of a loop's item; this input is not one")
	}
	want := b.Type
	switch {
	case want == "":
	case artifact && model.IsParameterType(want):
		c.errorf(path, "%s.%s is a %s artifact, wired here to a %s parameter: artifacts are files, passed to artifact inputs", b.Task, b.Output, from, want)
	case !artifact && !model.IsParameterType(want):
		c.errorf(path, "this input expects a %s artifact, but is fed a %s parameter value", want, from)
	case !assignable(from, want):
		if artifact {
			c.errorf(path, "this input expects a %s artifact, but %s.%s is a %s", want, b.Task, b.Output, from)
		} else {
			c.errorf(path, "this input expects a %s, but is fed a %s", want, from)
		}
	}
}

// placeholders checks that a string's placeholders name the step's inputs and outputs.
func (c *pipelineCheck) placeholders(n *lower.PipelineNode, path, s string) {
	for _, ph := range lower.Placeholders(s) {
		dir, name, uri := ph[0], ph[1], ph[2] != ""
		var artifact bool
		if dir == "inputs" {
			b, ok := n.Task.Inputs[name]
			if !ok {
				c.errorf(path, "{{inputs.%s}}: the step has no input %s (has %s)", name, name, keyList(n.Task.Inputs))
				continue
			}
			artifact, _ = lower.InputType(c.pl, c.tree, b)
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
