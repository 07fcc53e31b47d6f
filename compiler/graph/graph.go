// Package graph draws a compiled pipeline (its KFP v2 pipeline spec) as a graph of
// tasks: Mermaid for Markdown and pull-request comments, DOT for Graphviz. Conditions,
// loops and the exit handler are drawn as subgraphs. The output depends only on the
// spec, in sorted order.
package graph

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Node is a task of a pipeline: a step, or a group holding other nodes.
type Node struct {
	// ID is unique in the graph and safe as a Mermaid or DOT identifier.
	ID    string
	Label string
	// Children are a group's nodes; nil for a step.
	Children []*Node
	Group    bool
}

// Edge is one task waiting for another.
type Edge struct {
	From, To string
	// Label names the data passed, or says why the task waits.
	Label string
	// Order is set when the task waits without taking data (after, exit handler).
	Order bool
}

// Graph is a pipeline's tasks and the edges between them.
type Graph struct {
	Name  string
	Nodes []*Node
	Edges []Edge
	// ids are the nodes' IDs by task path.
	ids map[string]string
}

// FromSpec builds the graph of a pipeline spec (the IR, decoded from JSON or YAML).
func FromSpec(spec map[string]any) *Graph {
	g := &Graph{}
	info, _ := spec["pipelineInfo"].(map[string]any)
	g.Name, _ = info["name"].(string)
	comps, _ := spec["components"].(map[string]any)
	root, _ := spec["root"].(map[string]any)
	g.ids = nodeIDs(comps, root)
	g.Nodes = g.dag(comps, root, "")
	return g
}

// nodeIDs gives every task path an ID: the path with '_' for what an identifier cannot
// hold, and where two paths meet (a-b at the top and b in group a), the later ones in
// depth-first order with _2, _3, ... added: an ID no other path has.
func nodeIDs(comps, root map[string]any) map[string]string {
	var paths []string
	var walk func(comp map[string]any, prefix string)
	walk = func(comp map[string]any, prefix string) {
		dag, _ := comp["dag"].(map[string]any)
		tasks, _ := dag["tasks"].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(tasks)) {
			paths = append(paths, prefix+name)
			task, _ := tasks[name].(map[string]any)
			ref, _ := task["componentRef"].(map[string]any)
			refName, _ := ref["name"].(string)
			if sub, _ := comps[refName].(map[string]any); sub["dag"] != nil {
				walk(sub, prefix+name+"/")
			}
		}
	}
	walk(root, "")
	bases := map[string]bool{}
	for _, p := range paths {
		bases[ident(p)] = true
	}
	ids, taken := map[string]string{}, map[string]bool{}
	for _, p := range paths {
		base := ident(p)
		id := base
		for i := 2; taken[id]; i++ {
			if next := base + "_" + strconv.Itoa(i); !bases[next] {
				id = next
			}
		}
		taken[id] = true
		ids[p] = id
	}
	return ids
}

// id is the ID of the task at path.
func (g *Graph) id(path string) string {
	if id, ok := g.ids[path]; ok {
		return id
	}
	return ident(path)
}

// dag adds the tasks of a component's DAG, and the edges between them.
func (g *Graph) dag(comps, comp map[string]any, prefix string) []*Node {
	dag, _ := comp["dag"].(map[string]any)
	tasks, _ := dag["tasks"].(map[string]any)
	var nodes []*Node
	for _, name := range slices.Sorted(maps.Keys(tasks)) {
		task, _ := tasks[name].(map[string]any)
		id := g.id(prefix + name)
		n := &Node{ID: id, Label: name}
		ref, _ := task["componentRef"].(map[string]any)
		refName, _ := ref["name"].(string)
		if sub, _ := comps[refName].(map[string]any); sub["dag"] != nil {
			n.Group = true
			n.Label = groupLabel(name, task)
			n.Children = g.dag(comps, sub, prefix+name+"/")
		}
		nodes = append(nodes, n)
		g.edges(task, id, prefix)
	}
	return nodes
}

// edges adds the edges into a task: data it takes from its siblings, then the siblings
// it only waits for.
func (g *Graph) edges(task map[string]any, id, prefix string) {
	data := map[string][]string{}
	inputs, _ := task["inputs"].(map[string]any)
	for _, kind := range []string{"parameters", "artifacts"} {
		m, _ := inputs[kind].(map[string]any)
		for _, in := range m {
			spec, _ := in.(map[string]any)
			for _, key := range []string{"taskOutputParameter", "taskOutputArtifact"} {
				if out, ok := spec[key].(map[string]any); ok {
					p, _ := out["producerTask"].(string)
					o, _ := out["outputParameterKey"].(string)
					if o == "" {
						o, _ = out["outputArtifactKey"].(string)
					}
					data[p] = append(data[p], o)
				}
			}
		}
	}
	always := false
	if tp, ok := task["triggerPolicy"].(map[string]any); ok {
		always = tp["strategy"] == "ALL_UPSTREAM_TASKS_COMPLETED"
	}
	deps, _ := task["dependentTasks"].([]any)
	var producers []string
	for _, d := range deps {
		if s, ok := d.(string); ok {
			producers = append(producers, s)
		}
	}
	for p := range data {
		if !slices.Contains(producers, p) {
			producers = append(producers, p)
		}
	}
	slices.Sort(producers)
	for _, p := range producers {
		e := Edge{From: g.id(prefix + p), To: id}
		if outs := data[p]; len(outs) > 0 {
			slices.Sort(outs)
			e.Label = strings.Join(slices.Compact(outs), ", ")
		} else {
			e.Order = true
			if always {
				e.Label = "always"
			}
		}
		g.Edges = append(g.Edges, e)
	}
}

// groupLabel says what a group does: its condition, its loop or that it is watched by
// an exit task.
func groupLabel(name string, task map[string]any) string {
	if tp, ok := task["triggerPolicy"].(map[string]any); ok {
		if c, ok := tp["condition"].(string); ok {
			return name + ": if " + readableCondition(c)
		}
	}
	if it, ok := task["parameterIterator"].(map[string]any); ok {
		label := name + ": for each item"
		if items, ok := it["items"].(map[string]any); ok {
			if p, ok := items["inputParameter"].(string); ok {
				label += " of " + strings.TrimPrefix(p, "pipelinechannel--")
			} else if raw, ok := items["raw"].(string); ok {
				label += " of " + raw
			}
		}
		if pol, ok := task["iteratorPolicy"].(map[string]any); ok {
			label += ", " + numberString(pol["parallelismLimit"]) + " at a time"
		}
		return label
	}
	if strings.HasPrefix(name, "exit-handler") {
		return name + ": watched by the exit task"
	}
	return name
}

// readableCondition shortens the SDK's CEL: inputs.parameter_values['pipelinechannel--x'] to x.
func readableCondition(c string) string {
	c = strings.ReplaceAll(c, "inputs.parameter_values['pipelinechannel--", "")
	c = strings.ReplaceAll(c, "inputs.parameter_values['", "")
	return strings.ReplaceAll(c, "']", "")
}

func numberString(v any) string {
	switch n := v.(type) {
	case int64:
		return strconv.FormatInt(n, 10)
	case int:
		return strconv.Itoa(n)
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return "?"
}

// ident turns a task path into an identifier: letters, digits and '_'; several paths
// can give the same (see nodeIDs).
func ident(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return "t_" + string(b)
}
