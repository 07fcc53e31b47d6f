package lower

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// placeholderPattern matches mlc's short placeholders in a step's command and args.
var placeholderPattern = regexp.MustCompile(`\{\{(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_-]*)(\.uri)?\}\}`)

// Placeholders returns the short placeholders in s as (inputs|outputs, name, uri).
func Placeholders(s string) [][3]string {
	var out [][3]string
	for _, m := range placeholderPattern.FindAllStringSubmatch(s, -1) {
		out = append(out, [3]string{m[1], m[2], m[3]})
	}
	return out
}

// step builds a step's component, executor, Kubernetes options and task spec.
func (b *irBuilder) step(n *PipelineNode, spec map[string]any) {
	t := n.Task
	comp := map[string]any{"executorLabel": "exec-" + n.IRName}
	inDefs, ins := map[string]any{}, map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(t.Inputs)) {
		bind := t.Inputs[name]
		artifact, typ := b.InputType(bind)
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

// InputType returns whether an input is an artifact, and its type.
func (b *irBuilder) InputType(bind model.Binding) (artifact bool, typ string) {
	return InputType(b.pipe, b.tree, bind)
}

// InputType returns whether a bound input is an artifact, and its type: the binding's
// type when set, else its source's.
func InputType(pl model.Pipeline, tree *PipelineTree, bind model.Binding) (artifact bool, typ string) {
	switch {
	case bind.Parameter != "":
		typ = pl.Parameters[bind.Parameter].Kind()
	case bind.Task != "":
		if n := tree.ByName[bind.Task]; n != nil && n.Task != nil {
			typ = n.Task.Outputs[bind.Output]
		}
		if typ != "" && !model.IsParameterType(typ) {
			return true, typ
		}
	case bind.Value != nil:
		typ = model.ValueType(bind.Value)
	case bind.Item != "":
		n := tree.ByName[bind.Item]
		switch {
		case n == nil || n.Kind != NodeLoop:
		case bind.Field != "":
			values, _, _ := LoopFieldValues(pl, n, bind.Field)
			typ, _ = ValuesType(values)
		default:
			typ = LoopItemType(pl, tree, n)
		}
	}
	if bind.Type != "" {
		typ = bind.Type
	}
	if typ == "" {
		typ = model.TypeString
	}
	return false, typ
}

// LoopItemType is the type of a loop's items: declared, or that of the constant items
// (float for a mix of int and float) or of the list parameter default's items; string
// when it cannot tell.
func LoopItemType(pl model.Pipeline, tree *PipelineTree, n *PipelineNode) string {
	l := n.Task.Loop
	if l.ItemType != "" {
		return l.ItemType
	}
	if t, _ := ValuesType(loopValues(pl, n)); t != "" {
		return t
	}
	return model.TypeString
}

// loopValues are a loop's constant items, or its list parameter's default's.
func loopValues(pl model.Pipeline, n *PipelineNode) []json.RawMessage {
	l := n.Task.Loop
	if l.Parameter != "" {
		var items []json.RawMessage
		_ = json.Unmarshal(pl.Parameters[l.Parameter].Default, &items)
		return items
	}
	return l.Items
}

// ValuesType is the type of a list of values: "" for none, float for ints and floats;
// when the values have other types that differ, it returns the first's type and the
// index of the first value of another.
func ValuesType(values []json.RawMessage) (typ string, other int) {
	for i, v := range values {
		t := model.ValueType(v)
		switch {
		case i == 0 || typ == "":
			typ = t
		case t == typ || t == "":
		case (t == model.TypeInt && typ == model.TypeFloat) || (t == model.TypeFloat && typ == model.TypeInt):
			typ = model.TypeFloat
		default:
			return model.ValueType(values[0]), i
		}
	}
	return typ, -1
}

// LoopFieldValues are the values of field in a loop's constant struct items (or its list
// parameter default's), and the index of the first item without it (-1 when all have
// it). ok is false when there are no such items.
func LoopFieldValues(pl model.Pipeline, n *PipelineNode, field string) (values []json.RawMessage, missing int, ok bool) {
	items := loopValues(pl, n)
	missing = -1
	for i, it := range items {
		var m map[string]json.RawMessage
		if json.Unmarshal(it, &m) != nil {
			return nil, -1, false
		}
		v, has := m[field]
		if !has {
			if missing < 0 {
				missing = i
			}
			continue
		}
		values = append(values, v)
	}
	return values, missing, len(items) > 0
}

// container is a step's executor container.
func (b *irBuilder) container(n *PipelineNode) map[string]any {
	t := n.Task
	c := map[string]any{"image": ResolveImage(b.plat, t.Image)}
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
func (b *irBuilder) placeholders(n *PipelineNode, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = placeholderPattern.ReplaceAllStringFunc(s, func(m string) string {
			g := placeholderPattern.FindStringSubmatch(m)
			dir, name, uri := g[1], g[2], g[3] != ""
			var artifact bool
			if dir == "inputs" {
				bind, ok := n.Task.Inputs[name]
				if !ok {
					return m
				}
				artifact, _ = b.InputType(bind)
			} else {
				typ, ok := n.Task.Outputs[name]
				if !ok {
					return m
				}
				artifact = !model.IsParameterType(typ)
			}
			switch {
			case artifact && uri:
				return "{{$." + dir + ".artifacts['" + name + "'].uri}}"
			case artifact:
				return "{{$." + dir + ".artifacts['" + name + "'].path}}"
			case dir == "outputs":
				return "{{$.outputs.parameters['" + name + "'].output_file}}"
			}
			return "{{$.inputs.parameters['" + name + "']}}"
		})
	}
	return out
}

// protoDuration writes a duration as protobuf's JSON form: whole seconds with "s".
func protoDuration(d, dflt string) string {
	if d == "" {
		return dflt
	}
	return strconv.FormatInt(DurationSeconds(d), 10) + "s"
}

// DurationSeconds parses a duration such as "1h30m" into seconds; 0 when it does not parse.
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

// dependencies are the sibling tasks a task of a DAG waits for.
func (b *irBuilder) dependencies(n *PipelineNode) []string {
	var names []string
	for _, d := range Dependencies(b.pipe, b.tree, n) {
		names = append(names, d.IRName)
	}
	return names
}

// Dependencies are the tasks beside n in its DAG that n waits for: those that produce
// what n or anything inside it uses, those named in after (or the groups holding them),
// and, for the exit task, the group it watches. They are sorted by IR name.
func Dependencies(pl model.Pipeline, tree *PipelineTree, n *PipelineNode) []*PipelineNode {
	deps := map[string]*PipelineNode{}
	add := func(producer *PipelineNode) {
		if producer == nil || producer.Within(n) {
			return
		}
		if p := SiblingUnder(producer, n.Parent); p != nil && p != n {
			deps[p.IRName] = p
		}
	}
	var visit func(x *PipelineNode)
	visit = func(x *PipelineNode) {
		if x.Task != nil {
			for _, bind := range x.Task.Inputs {
				if bind.Task != "" {
					add(tree.ByName[bind.Task])
				}
			}
			for _, a := range x.Task.After {
				add(tree.ByName[a])
			}
			if l := x.Task.Loop; l != nil && l.Task != "" {
				add(tree.ByName[l.Task])
			}
		}
		for _, c := range x.Conditions {
			if c.Task != "" {
				add(tree.ByName[c.Task])
			}
		}
		for _, c := range x.Children {
			visit(c)
		}
	}
	visit(n)
	if n.Kind == NodeStep && n.Name == pl.ExitTask && n.Parent == tree.Root {
		for _, c := range tree.Root.Children {
			if c.Kind == NodeExit {
				deps[c.IRName] = c
			}
		}
	}
	var out []*PipelineNode
	for _, k := range slices.Sorted(maps.Keys(deps)) {
		out = append(out, deps[k])
	}
	return out
}
