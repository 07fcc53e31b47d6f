package lower

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// KFPSchemaVersion is the pipeline spec schema the KFP backend accepts.
const KFPSchemaVersion = "2.1.0"

// channelPrefix starts the names the KFP SDK gives values passed into a group.
const channelPrefix = "pipelinechannel--"

// PipelineIR is a pipeline compiled to the KFP v2 IR: the PipelineSpec and, when a step
// needs Kubernetes options, the PlatformSpec.
type PipelineIR struct {
	Spec     map[string]any
	Platform map[string]any
}

// source is where a value comes from, seen from anywhere in the pipeline.
type source struct {
	param    string
	producer *model.PipelineNode
	output   string
	loop     *model.PipelineNode
	field    string
}

// groupInput is a value passed into a group.
type groupInput struct {
	artifact bool
	typ      string
	src      source
}

// irBuilder compiles one pipeline.
type irBuilder struct {
	plat       *model.Platform
	pipe       model.Pipeline
	tree       *model.PipelineTree
	components map[string]any
	executors  map[string]any
	k8s        map[string]any
	// inputs are, per group, the values passed into it by channel name.
	inputs map[*model.PipelineNode]map[string]groupInput
	// tasks are the task specs of every node, filled as the DAGs are built.
	tasks map[*model.PipelineNode]map[string]any
	// channels name every value that can be passed into a group, uniquely.
	channels map[channelKey]string
}

// channelKey is a value that can be passed into a group: a pipeline parameter, a
// step's output or a loop's item.
type channelKey struct {
	param    string
	producer *model.PipelineNode
	output   string
	loop     *model.PipelineNode
}

// CompilePipeline compiles a pipeline, arranged as its tree, to the KFP v2 IR. name is
// the pipeline's object name.
func CompilePipeline(p *model.Platform, name string, tree *model.PipelineTree) PipelineIR {
	pl := *tree.Pipeline
	b := &irBuilder{
		plat: p, pipe: pl, tree: tree,
		components: map[string]any{}, executors: map[string]any{}, k8s: map[string]any{},
		inputs: map[*model.PipelineNode]map[string]groupInput{}, tasks: map[*model.PipelineNode]map[string]any{},
	}
	b.channels = ChannelNames(pl, b.tree)
	root := b.root()
	info := map[string]any{"name": name}
	if pl.Description != "" {
		info["description"] = pl.Description
	}
	if pl.DisplayName != "" {
		info["displayName"] = pl.DisplayName
	}
	spec := map[string]any{
		"pipelineInfo":   info,
		"root":           root,
		"schemaVersion":  KFPSchemaVersion,
		"deploymentSpec": map[string]any{"executors": b.executors},
		"components":     b.components,
	}
	if len(b.executors) == 0 {
		delete(spec, "deploymentSpec")
	}
	out := PipelineIR{Spec: spec}
	if len(b.k8s) > 0 {
		out.Platform = map[string]any{"platforms": map[string]any{"kubernetes": map[string]any{
			"deploymentSpec": map[string]any{"executors": b.k8s},
		}}}
	}
	return out
}

// root builds the root component: the pipeline's parameters, DAG and outputs.
func (b *irBuilder) root() map[string]any {
	r := b.tree.Root
	b.dag(r)
	dag := map[string]any{"tasks": b.dagTasks(r)}
	comp := map[string]any{"dag": dag}
	params := map[string]any{}
	for _, pname := range slices.Sorted(maps.Keys(b.pipe.Parameters)) {
		p := b.pipe.Parameters[pname]
		def := map[string]any{"parameterType": parameterType(p.Kind())}
		if len(p.Default) > 0 {
			def["defaultValue"] = jsonValue(p.Default)
			def["isOptional"] = true
		}
		if p.Description != "" {
			def["description"] = p.Description
		}
		params[pname] = def
	}
	if len(params) > 0 {
		comp["inputDefinitions"] = map[string]any{"parameters": params}
	}
	if outs, defs := b.pipelineOutputs(); len(defs) > 0 {
		dag["outputs"] = outs
		comp["outputDefinitions"] = defs
	}
	return comp
}

// pipelineOutputs are the DAG outputs and output definitions of the pipeline's outputs.
func (b *irBuilder) pipelineOutputs() (map[string]any, map[string]any) {
	outs, defs := map[string]any{}, map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(b.pipe.Outputs)) {
		ref := b.pipe.Outputs[name]
		n := b.tree.ByName[ref.Task]
		if n == nil || n.Task == nil {
			continue
		}
		typ := n.Task.Outputs[ref.Output]
		if model.IsParameterType(typ) {
			put(outs, "parameters", name, map[string]any{"valueFromParameter": map[string]any{
				"producerSubtask": n.IRName, "outputParameterKey": ref.Output,
			}})
			put(defs, "parameters", name, map[string]any{"parameterType": parameterType(typ)})
		} else {
			put(outs, "artifacts", name, map[string]any{"artifactSelectors": []any{map[string]any{
				"producerSubtask": n.IRName, "outputArtifactKey": ref.Output,
			}}})
			put(defs, "artifacts", name, map[string]any{"artifactType": artifactType(typ)})
		}
	}
	return outs, defs
}

// dag builds the task specs of a group's children, depth first, so that every value a
// nested task needs is declared as an input of each group it passes through.
func (b *irBuilder) dag(g *model.PipelineNode) {
	for _, n := range g.Children {
		spec := map[string]any{
			"componentRef": map[string]any{"name": "comp-" + n.IRName},
			"taskInfo":     map[string]any{"name": n.IRName},
		}
		b.tasks[n] = spec
		if n.Kind == model.NodeStep {
			b.step(n, spec)
		} else {
			b.group(n, spec)
		}
	}
	for _, n := range g.Children {
		if deps := b.dependencies(n); len(deps) > 0 {
			b.tasks[n]["dependentTasks"] = strings2any(deps)
		}
	}
}

// dagTasks returns the task specs of a group's children by IR name.
func (b *irBuilder) dagTasks(g *model.PipelineNode) map[string]any {
	out := map[string]any{}
	for _, n := range g.Children {
		out[n.IRName] = b.tasks[n]
	}
	return out
}

// group builds a group's component and task: its condition or loop, and its DAG.
func (b *irBuilder) group(n *model.PipelineNode, spec map[string]any) {
	if n.Kind == model.NodeLoop {
		b.loop(n, spec)
	}
	if len(n.Conditions) > 0 {
		var parts []string
		for _, c := range n.Conditions {
			parts = append(parts, b.condition(n, c))
		}
		spec["triggerPolicy"] = map[string]any{"condition": strings.Join(parts, " && ")}
	}
	b.dag(n)
	comp := map[string]any{"dag": map[string]any{"tasks": b.dagTasks(n)}}
	if defs := b.groupDefinitions(n); len(defs) > 0 {
		comp["inputDefinitions"] = defs
	}
	b.components["comp-"+n.IRName] = comp
	b.bindGroupInputs(n, spec)
}

// groupDefinitions declares the values passed into a group.
func (b *irBuilder) groupDefinitions(n *model.PipelineNode) map[string]any {
	defs := map[string]any{}
	for ch, in := range b.inputs[n] {
		if in.artifact {
			put(defs, "artifacts", ch, map[string]any{"artifactType": artifactType(in.typ)})
		} else {
			put(defs, "parameters", ch, map[string]any{"parameterType": parameterType(in.typ)})
		}
	}
	return defs
}

// bindGroupInputs binds the values passed into a group in the DAG that holds it.
func (b *irBuilder) bindGroupInputs(n *model.PipelineNode, spec map[string]any) {
	ins := map[string]any{}
	for _, ch := range slices.Sorted(maps.Keys(b.inputs[n])) {
		in := b.inputs[n][ch]
		if in.src.loop == n {
			continue // the loop's own item
		}
		kind := "parameters"
		if in.artifact {
			kind = "artifacts"
		}
		put(ins, kind, ch, b.resolve(n.Parent, in.src, in.artifact, in.typ))
	}
	if len(ins) > 0 {
		spec["inputs"] = ins
	}
}

// declare makes a value an input of group g under a channel name.
func (b *irBuilder) declare(g *model.PipelineNode, ch string, in groupInput) {
	if b.inputs[g] == nil {
		b.inputs[g] = map[string]groupInput{}
	}
	if _, ok := b.inputs[g][ch]; !ok {
		b.inputs[g][ch] = in
	}
}

// resolve returns how a task of scope's DAG reads a value, declaring it as an input of
// every group between the scope and where the value is.
func (b *irBuilder) resolve(scope *model.PipelineNode, src source, artifact bool, typ string) map[string]any {
	switch {
	case src.param != "":
		if scope == b.tree.Root {
			return map[string]any{"componentInputParameter": src.param}
		}
	case src.producer != nil:
		if scope == src.producer.Parent {
			if artifact {
				return map[string]any{"taskOutputArtifact": map[string]any{"producerTask": src.producer.IRName, "outputArtifactKey": src.output}}
			}
			return map[string]any{"taskOutputParameter": map[string]any{"producerTask": src.producer.IRName, "outputParameterKey": src.output}}
		}
	case src.loop != nil:
		ch := b.channel(src)
		if scope != src.loop {
			b.declare(scope, ch, groupInput{typ: b.itemType(src.loop), src: source{loop: src.loop}})
		}
		spec := map[string]any{"componentInputParameter": ch}
		if src.field != "" {
			spec["parameterExpressionSelector"] = "parseJson(string_value)[" + celString(src.field, '"') + "]"
		}
		return spec
	}
	ch := b.channel(src)
	b.declare(scope, ch, groupInput{artifact: artifact, typ: typ, src: src})
	if artifact {
		return map[string]any{"componentInputArtifact": ch}
	}
	return map[string]any{"componentInputParameter": ch}
}

// channel is the name of a value passed into a group.
func (b *irBuilder) channel(src source) string {
	return b.channels[channelKey{param: src.param, producer: src.producer, output: src.output, loop: src.loop}]
}

// ChannelNames names every value of a pipeline that can be passed into a group: as the
// KFP SDK names it (pipelinechannel--PARAM, pipelinechannel--TASK-OUTPUT, the item of a
// loop over a list parameter or output that name with -loop-item, the item of a loop
// over a constant list pipelinechannel--loop-item-param-N), and, where two values would
// get the same name (mlc allows '-' in parameter names and writes '_' in task names as
// '-'), the later ones in this order (step outputs, parameters, loop items, each in
// declaration-path order) with -2, -3, ... added: a name no other value has.
func ChannelNames(pl model.Pipeline, tree *model.PipelineTree) map[channelKey]string {
	type want struct {
		key  channelKey
		base string
	}
	var wants []want
	base := map[channelKey]string{}
	add := func(k channelKey, name string) {
		wants = append(wants, want{k, name})
		base[k] = name
	}
	var steps, loops []*model.PipelineNode
	groups := 0
	rawItem := map[*model.PipelineNode]int{}
	var walk func(n *model.PipelineNode)
	walk = func(n *model.PipelineNode) {
		for _, c := range n.Children {
			if c.Kind == model.NodeStep {
				steps = append(steps, c)
			} else {
				// Groups are numbered as the SDK numbers them, depth first; a loop over a
				// constant list numbers its item first.
				if c.Kind == model.NodeLoop {
					loops = append(loops, c)
					if l := c.Task.Loop; l.Parameter == "" && l.Task == "" {
						groups++
						rawItem[c] = groups
					}
				}
				groups++
			}
			walk(c)
		}
	}
	walk(tree.Root)
	for _, s := range steps {
		for _, out := range slices.Sorted(maps.Keys(s.Task.Outputs)) {
			add(channelKey{producer: s, output: out}, channelPrefix+s.IRName+"-"+out)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(pl.Parameters)) {
		add(channelKey{param: p}, channelPrefix+p)
	}
	for _, n := range loops {
		l := n.Task.Loop
		var name string
		switch {
		case l.Parameter != "":
			name = channelPrefix + l.Parameter + "-loop-item"
		case l.Task != "":
			name = channelPrefix + model.NormalizeName(l.Task) + "-" + l.Output + "-loop-item"
		default:
			name = channelPrefix + "loop-item-param-" + strconv.Itoa(rawItem[n])
		}
		add(channelKey{loop: n}, name)
	}
	bases := map[string]bool{}
	for _, w := range wants {
		bases[w.base] = true
	}
	taken := map[string]bool{}
	out := map[channelKey]string{}
	for _, w := range wants {
		name := w.base
		for i := 2; taken[name]; i++ {
			if next := w.base + "-" + strconv.Itoa(i); !bases[next] {
				name = next // else another value's own name: try the next number
			}
		}
		taken[name] = true
		out[w.key] = name
	}
	return out
}

// put sets m[kind][key] = v, making m[kind].
func put(m map[string]any, kind, key string, v any) {
	inner, ok := m[kind].(map[string]any)
	if !ok {
		inner = map[string]any{}
		m[kind] = inner
	}
	inner[key] = v
}

// jsonValue decodes a JSON value for the spec, keeping whole numbers as integers.
func jsonValue(raw json.RawMessage) any {
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil
	}
	return plainNumbers(v)
}

func plainNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = plainNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = plainNumbers(x[k])
		}
	}
	return v
}

// parameterType is the IR's name of a parameter type.
func parameterType(t string) string {
	switch t {
	case model.TypeInt:
		return "NUMBER_INTEGER"
	case model.TypeFloat:
		return "NUMBER_DOUBLE"
	case model.TypeBool:
		return "BOOLEAN"
	case model.TypeList:
		return "LIST"
	case model.TypeStruct:
		return "STRUCT"
	}
	return "STRING"
}

// artifactType is the IR's type of an artifact: its ML Metadata schema.
func artifactType(t string) map[string]any {
	return map[string]any{"schemaTitle": "system." + t, "schemaVersion": "0.0.1"}
}
