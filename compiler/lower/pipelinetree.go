package lower

import (
	"maps"
	"slices"
	"strconv"

	"github.com/mlc-gitops/mlc/compiler/model"
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
	Task     *model.PipelineTask
	Parent   *PipelineNode
	Children []*PipelineNode
	// Conditions hold for a branch: the negations of the earlier branches' conditions,
	// then its own (nil for an else).
	Conditions []BranchCondition
}

// BranchCondition is a condition that must hold, or must not when Negate.
type BranchCondition struct {
	*model.Condition
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

// PipelineTree is a pipeline's nodes.
type PipelineTree struct {
	Root *PipelineNode
	// ByName finds a node by declared name; a name declared twice maps to the first.
	ByName map[string]*PipelineNode
	// Duplicates are nodes whose declared name another node has, with the first.
	Duplicates []*PipelineNode
	// Steps are the step nodes in declaration-path order.
	Steps []*PipelineNode
}

// BuildPipelineTree arranges a pipeline's tasks into their groups. With an exit task,
// every other top-level task goes into the exit handler group it watches.
func BuildPipelineTree(path string, p model.Pipeline) *PipelineTree {
	t := &PipelineTree{ByName: map[string]*PipelineNode{}}
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
		t.add(parent, name, path+"."+model.Path("tasks", name), p.Tasks[name])
	}
	sortChildren(t.Root)
	return t
}

func (t *PipelineTree) add(parent *PipelineNode, name, path string, task model.PipelineTask) {
	n := &PipelineNode{Name: name, IRName: model.NormalizeName(name), Path: path, Task: &task, Parent: parent}
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
				t.add(bn, child, bn.Path+"."+model.Path("tasks", child), b.Tasks[child])
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
			t.add(n, child, path+"."+model.Path("tasks", child), task.Tasks[child])
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
func SiblingUnder(n, scope *PipelineNode) *PipelineNode {
	for x := n; x != nil; x = x.Parent {
		if x.Parent == scope {
			return x
		}
	}
	return nil
}
