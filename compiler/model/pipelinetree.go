package model

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// Kinds of pipeline nodes.
const (
	NodeStep     = "step"
	NodeIf       = "if"
	NodeBranches = "branches"
	NodeBranch   = "branch"
	NodeLoop     = "loop"
	NodeGroup    = "group"
	NodeExit     = "exit-handler"
	NodeRoot     = "root"
)

// ExitHandlerName is the IR name of the group an exit task watches, as the KFP SDK
// names its first exit handler.
const ExitHandlerName = "exit-handler-1"

// PipelineNode is a step or a group of steps of a pipeline, in the tree the groups make.
type PipelineNode struct {
	// Name is the declared name; a branch is named after its chain and position.
	Name string
	// IRName is the task's name in the pipeline spec.
	IRName string
	// Path is the CUE path of the declaration.
	Path string
	Kind string
	// Task is the declaration; nil for the root, branches and the exit handler group.
	Task     *PipelineTask
	Parent   *PipelineNode
	Children []*PipelineNode
	// Conditions hold for a branch: the negations of the earlier branches' conditions,
	// then its own (nil for an else).
	Conditions []BranchCondition
}

// BranchCondition is a condition that must hold, or must not when Negate.
type BranchCondition struct {
	*Condition
	Negate bool
}

// IsGroup reports whether the node holds other nodes.
func (n *PipelineNode) IsGroup() bool { return n.Kind != NodeStep }

// Within reports whether the node is g or inside g.
func (n *PipelineNode) Within(g *PipelineNode) bool {
	for x := n; x != nil; x = x.Parent {
		if x == g {
			return true
		}
	}
	return false
}

// PipelineTree is a pipeline's tasks arranged in the groups they form: what the checks
// walk and what lowering compiles to the KFP IR.
type PipelineTree struct {
	// Pipeline is the declaration.
	Pipeline *Pipeline
	Root     *PipelineNode
	// ByName finds a node by declared name; a name declared twice maps to the first.
	ByName map[string]*PipelineNode
	// Duplicates are nodes whose declared name another node has, with the first.
	Duplicates []*PipelineNode
	// Steps are the step nodes in declaration-path order.
	Steps []*PipelineNode
}

// PipelineTree returns the tree of the pipeline declared under name, built on first use
// and kept, so that the checks and lowering (once per cluster target) share one. It is
// not safe for concurrent use: one goroutine checks, then lowers, a tenant.
func (d *Declarations) PipelineTree(name string) *PipelineTree {
	if t, ok := d.pipelineTrees[name]; ok {
		return t
	}
	if d.pipelineTrees == nil {
		d.pipelineTrees = map[string]*PipelineTree{}
	}
	t := NewPipelineTree(Path("pipelines", name), d.Pipelines[name])
	d.pipelineTrees[name] = t
	return t
}

// NewPipelineTree arranges a pipeline's tasks into their groups; path is the
// pipeline's CUE path. With an exit task, every other top-level task goes into the exit
// handler group it watches.
func NewPipelineTree(path string, p Pipeline) *PipelineTree {
	t := &PipelineTree{Pipeline: &p, ByName: map[string]*PipelineNode{}}
	t.Root = &PipelineNode{Kind: NodeRoot, Path: path}
	top := t.Root
	if p.ExitTask != "" {
		if _, ok := p.Tasks[p.ExitTask]; ok {
			top = &PipelineNode{Kind: NodeExit, Name: ExitHandlerName, IRName: ExitHandlerName, Path: path + ".exitTask", Parent: t.Root}
			t.Root.Children = append(t.Root.Children, top)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Tasks)) {
		parent := top
		if name == p.ExitTask {
			parent = t.Root
		}
		t.add(parent, name, path+"."+Path("tasks", name), p.Tasks[name])
	}
	sortChildren(t.Root)
	return t
}

func (t *PipelineTree) add(parent *PipelineNode, name, path string, task PipelineTask) {
	n := &PipelineNode{Name: name, IRName: NormalizeName(name), Path: path, Task: &task, Parent: parent}
	parent.Children = append(parent.Children, n)
	if _, dup := t.ByName[name]; dup {
		t.Duplicates = append(t.Duplicates, n)
	} else {
		t.ByName[name] = n
	}
	switch {
	case task.Branches != nil:
		n.Kind = NodeBranches
		var earlier []BranchCondition
		for i, b := range task.Branches {
			bn := &PipelineNode{
				Kind: NodeBranch, Name: name + "-" + strconv.Itoa(i+1), IRName: n.IRName + "-" + strconv.Itoa(i+1),
				Path: path + ".branches[" + strconv.Itoa(i) + "]", Parent: n,
			}
			bn.Conditions = slices.Clone(earlier)
			if b.If != nil {
				bn.Conditions = append(bn.Conditions, BranchCondition{Condition: b.If})
				earlier = append(earlier, BranchCondition{Condition: b.If, Negate: true})
			}
			n.Children = append(n.Children, bn)
			for _, child := range slices.Sorted(maps.Keys(b.Tasks)) {
				t.add(bn, child, bn.Path+"."+Path("tasks", child), b.Tasks[child])
			}
		}
	case task.Loop != nil:
		n.Kind = NodeLoop
	case task.If != nil:
		n.Kind = NodeIf
		n.Conditions = []BranchCondition{{Condition: task.If}}
	case task.Tasks != nil:
		n.Kind = NodeGroup
	default:
		n.Kind = NodeStep
		t.Steps = append(t.Steps, n)
	}
	if n.Kind != NodeBranches {
		for _, child := range slices.Sorted(maps.Keys(task.Tasks)) {
			t.add(n, child, path+"."+Path("tasks", child), task.Tasks[child])
		}
	}
}

func sortChildren(n *PipelineNode) {
	if n.Kind != NodeBranches {
		slices.SortFunc(n.Children, func(a, b *PipelineNode) int {
			if a.IRName < b.IRName {
				return -1
			}
			if a.IRName > b.IRName {
				return 1
			}
			return 0
		})
	}
	for _, c := range n.Children {
		sortChildren(c)
	}
}

// SiblingUnder returns the ancestor-or-self of n whose parent is scope: the task of
// scope's DAG that n runs in; nil when n is not inside scope.
func (n *PipelineNode) SiblingUnder(scope *PipelineNode) *PipelineNode {
	for x := n; x != nil; x = x.Parent {
		if x.Parent == scope {
			return x
		}
	}
	return nil
}

// InputType returns whether a bound input is an artifact, and its type: the binding's
// type when set, else its source's.
func (t *PipelineTree) InputType(bind Binding) (artifact bool, typ string) {
	switch {
	case bind.Parameter != "":
		typ = t.Pipeline.Parameters[bind.Parameter].Kind()
	case bind.Task != "":
		if n := t.ByName[bind.Task]; n != nil && n.Task != nil {
			typ = n.Task.Outputs[bind.Output]
		}
		if typ != "" && !IsParameterType(typ) {
			return true, typ
		}
	case bind.Value != nil:
		typ = ValueType(bind.Value)
	case bind.Item != "":
		n := t.ByName[bind.Item]
		switch {
		case n == nil || n.Kind != NodeLoop:
		case bind.Field != "":
			values, _, _ := t.LoopFieldValues(n, bind.Field)
			typ, _ = ValuesType(values)
		default:
			typ = t.LoopItemType(n)
		}
	}
	if bind.Type != "" {
		typ = bind.Type
	}
	if typ == "" {
		typ = TypeString
	}
	return false, typ
}

// LoopItemType is the type of a loop's items: declared, or that of the constant items
// (float for a mix of int and float) or of the list parameter default's items; string
// when it cannot tell.
func (t *PipelineTree) LoopItemType(n *PipelineNode) string {
	l := n.Task.Loop
	if l.ItemType != "" {
		return l.ItemType
	}
	if typ, _ := ValuesType(t.loopValues(n)); typ != "" {
		return typ
	}
	return TypeString
}

// loopValues are a loop's constant items, or its list parameter's default's.
func (t *PipelineTree) loopValues(n *PipelineNode) []json.RawMessage {
	l := n.Task.Loop
	if l.Parameter != "" {
		var items []json.RawMessage
		_ = json.Unmarshal(t.Pipeline.Parameters[l.Parameter].Default, &items)
		return items
	}
	return l.Items
}

// LoopFieldValues are the values of field in a loop's constant struct items (or its list
// parameter default's), and the index of the first item without it (-1 when all have
// it). ok is false when there are no such items.
func (t *PipelineTree) LoopFieldValues(n *PipelineNode, field string) (values []json.RawMessage, missing int, ok bool) {
	items := t.loopValues(n)
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

// Dependencies are the tasks beside n in its DAG that n waits for: those that produce
// what n or anything inside it uses, those named in after (or the groups holding them),
// and, for the exit task, the group it watches. They are sorted by IR name.
func (t *PipelineTree) Dependencies(n *PipelineNode) []*PipelineNode {
	deps := map[string]*PipelineNode{}
	add := func(producer *PipelineNode) {
		if producer == nil || producer.Within(n) {
			return
		}
		if p := producer.SiblingUnder(n.Parent); p != nil && p != n {
			deps[p.IRName] = p
		}
	}
	var visit func(x *PipelineNode)
	visit = func(x *PipelineNode) {
		if x.Task != nil {
			for _, bind := range x.Task.Inputs {
				if bind.Task != "" {
					add(t.ByName[bind.Task])
				}
			}
			for _, a := range x.Task.After {
				add(t.ByName[a])
			}
			if l := x.Task.Loop; l != nil && l.Task != "" {
				add(t.ByName[l.Task])
			}
		}
		for _, c := range x.Conditions {
			if c.Task != "" {
				add(t.ByName[c.Task])
			}
		}
		for _, c := range x.Children {
			visit(c)
		}
	}
	visit(n)
	if n.Kind == NodeStep && n.Name == t.Pipeline.ExitTask && n.Parent == t.Root {
		for _, c := range t.Root.Children {
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
