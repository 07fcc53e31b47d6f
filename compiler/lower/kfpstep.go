package lower

import (
	"maps"
	"slices"
	"strconv"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// step builds a step's component, executor, Kubernetes options and task spec.
func (b *irBuilder) step(n *model.PipelineNode, spec map[string]any) {
	t := n.Task
	comp := map[string]any{"executorLabel": "exec-" + n.IRName}
	inDefs, ins := map[string]any{}, map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(t.Inputs)) {
		bind := t.Inputs[name]
		artifact, typ := b.tree.InputType(bind)
		if artifact {
			put(inDefs, "artifacts", name, map[string]any{"artifactType": artifactType(typ)})
		} else {
			put(inDefs, "parameters", name, map[string]any{"parameterType": parameterType(typ)})
		}
		kind := "parameters"
		if artifact {
			kind = "artifacts"
		}
		if bind.Value != nil {
			put(ins, kind, name, map[string]any{"runtimeValue": map[string]any{"constant": jsonValue(bind.Value)}})
			continue
		}
		put(ins, kind, name, b.resolve(n.Parent, b.sourceOf(bind), artifact, typ))
	}
	if len(inDefs) > 0 {
		comp["inputDefinitions"] = inDefs
	}
	outDefs := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(t.Outputs)) {
		typ := t.Outputs[name]
		if model.IsParameterType(typ) {
			put(outDefs, "parameters", name, map[string]any{"parameterType": parameterType(typ)})
		} else {
			put(outDefs, "artifacts", name, map[string]any{"artifactType": artifactType(typ)})
		}
	}
	if len(outDefs) > 0 {
		comp["outputDefinitions"] = outDefs
	}
	b.components["comp-"+n.IRName] = comp
	if len(ins) > 0 {
		spec["inputs"] = ins
	}
	caching := map[string]any{}
	if t.Caching {
		caching["enableCache"] = true
	}
	spec["cachingOptions"] = caching
	if r := t.Retry; r != nil {
		factor := 2.0
		if r.Factor != nil {
			factor = *r.Factor
		}
		spec["retryPolicy"] = map[string]any{
			"maxRetryCount":      r.Count,
			"backoffDuration":    protoDuration(r.Backoff, "0s"),
			"backoffFactor":      factor,
			"backoffMaxDuration": protoDuration(r.MaxBackoff, "3600s"),
		}
	}
	if n.Name == b.pipe.ExitTask && n.Parent == b.tree.Root {
		spec["triggerPolicy"] = map[string]any{"strategy": "ALL_UPSTREAM_TASKS_COMPLETED"}
	}
	b.executors["exec-"+n.IRName] = map[string]any{"container": b.container(n)}
	if k := b.kubernetes(n); len(k) > 0 {
		b.k8s["exec-"+n.IRName] = k
	}
}

// sourceOf is where a binding's value comes from.
func (b *irBuilder) sourceOf(bind model.Binding) source {
	switch {
	case bind.Parameter != "":
		return source{param: bind.Parameter}
	case bind.Item != "":
		return source{loop: b.tree.ByName[bind.Item], field: bind.Field}
	}
	return source{producer: b.tree.ByName[bind.Task], output: bind.Output}
}

// container is a step's executor container.
func (b *irBuilder) container(n *model.PipelineNode) map[string]any {
	t := n.Task
	c := map[string]any{"image": b.plat.ResolveImage(t.Image)}
	if len(t.Command) > 0 {
		c["command"] = strings2any(b.placeholders(n, t.Command))
	}
	if len(t.Args) > 0 {
		c["args"] = strings2any(b.placeholders(n, t.Args))
	}
	var env []any
	for _, k := range slices.Sorted(maps.Keys(t.Env)) {
		if v := t.Env[k]; !v.IsRef() {
			env = append(env, map[string]any{"name": k, "value": v.Value})
		}
	}
	if len(env) > 0 {
		c["env"] = env
	}
	if r := b.resources(t.Resources); len(r) > 0 {
		c["resources"] = r
	}
	return c
}

// placeholders replaces mlc's short placeholders with the IR's.
func (b *irBuilder) placeholders(n *model.PipelineNode, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = model.ReplacePlaceholders(s, func(ph model.Placeholder) (string, bool) {
			dir, name := ph.Dir, ph.Name
			var artifact bool
			if dir == "inputs" {
				bind, ok := n.Task.Inputs[name]
				if !ok {
					return "", false
				}
				artifact, _ = b.tree.InputType(bind)
			} else {
				typ, ok := n.Task.Outputs[name]
				if !ok {
					return "", false
				}
				artifact = !model.IsParameterType(typ)
			}
			switch {
			case artifact && ph.URI:
				return "{{$." + dir + ".artifacts['" + name + "'].uri}}", true
			case artifact:
				return "{{$." + dir + ".artifacts['" + name + "'].path}}", true
			case dir == "outputs":
				return "{{$.outputs.parameters['" + name + "'].output_file}}", true
			}
			return "{{$.inputs.parameters['" + name + "']}}", true
		})
	}
	return out
}

// protoDuration writes a duration as protobuf's JSON form: whole seconds with "s".
func protoDuration(d, dflt string) string {
	if d == "" {
		return dflt
	}
	return strconv.FormatInt(model.DurationSeconds(d), 10) + "s"
}

// dependencies are the sibling tasks a task of a DAG waits for.
func (b *irBuilder) dependencies(n *model.PipelineNode) []string {
	var names []string
	for _, d := range b.tree.Dependencies(n) {
		names = append(names, d.IRName)
	}
	return names
}
