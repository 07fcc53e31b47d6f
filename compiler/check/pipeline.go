package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// pipelineCheck checks one pipeline.
type pipelineCheck struct {
	*reporter
	plat *model.Platform
	path string
	// name is the pipeline's name in Kubernetes.
	name string
	pl   model.Pipeline
	tree *model.PipelineTree
	// quota is the tenant's: each step must fit it by itself.
	quota *quota
}

// pipeline checks a pipeline, arranged as its tree, and that each of its steps fits the
// tenant's quota.
func (r *reporter) pipeline(p *model.Platform, declared string, tree *model.PipelineTree, q *quota) {
	path := model.Path("pipelines", declared)
	pl := *tree.Pipeline
	r.dnsLabel(path, model.NormalizeName(declared), "pipeline name", 63)
	c := &pipelineCheck{reporter: r, plat: p, path: path, name: model.NormalizeName(declared), pl: pl, tree: tree, quota: q}
	if len(pl.Tasks) == 0 {
		r.errorf(path+".tasks", "a pipeline needs at least one task")
		return
	}
	c.names()
	for _, pname := range slices.Sorted(maps.Keys(pl.Parameters)) {
		c.parameter(pname, pl.Parameters[pname])
	}
	c.walk(c.tree.Root, func(n *model.PipelineNode) {
		if n.Kind == model.NodeStep {
			c.fits(n, c.step(n))
		} else {
			c.group(n)
		}
		if n.Task != nil {
			c.after(n)
		}
	})
	if pl.ExitTask != "" {
		switch n := c.tree.ByName[pl.ExitTask]; {
		case n == nil:
			r.errorf(path+".exitTask", "no task %q in the pipeline's tasks", pl.ExitTask)
		case n.Kind != model.NodeStep:
			r.errorf(path+".exitTask", "the exit task must be a step (with an image), not a group")
		case len(pl.Tasks) == 1:
			r.errorf(path+".exitTask", "the exit task runs after the pipeline's other tasks, and there are none")
		}
	}
	c.outputs()
	c.cycles()
	c.schedule()
}

// walk visits every node below n, depth first, in declaration order.
func (c *pipelineCheck) walk(n *model.PipelineNode, fn func(*model.PipelineNode)) {
	for _, child := range n.Children {
		fn(child)
		c.walk(child, fn)
	}
}

// names reports task names declared twice and names that meet in the spec, among the
// tasks or with a name mlc gives a group of its own (the exit handler's, a branch's).
func (c *pipelineCheck) names() {
	for _, d := range c.tree.Duplicates {
		first := c.tree.ByName[d.Name]
		c.errorf(d.Path, "task %q is also declared at %s: task names are unique in a pipeline", d.Name, first.Path)
	}
	generated := func(n *model.PipelineNode) bool { return n.Task == nil }
	seen := map[string]*model.PipelineNode{}
	c.walk(c.tree.Root, func(n *model.PipelineNode) {
		first, dup := seen[n.IRName]
		if !dup {
			seen[n.IRName] = n
			return
		}
		switch {
		case !generated(first) && !generated(n):
			if first.Name != n.Name { // else declared twice, reported above
				c.errorf(n.Path, "%q and %q are both named %q in the pipeline spec; rename one", first.Name, n.Name, n.IRName)
			}
		case generated(first) && generated(n):
		default:
			gen, user := first, n
			if generated(n) {
				gen, user = n, first
			}
			c.errorf(user.Path, "task %q is named %q in the pipeline spec, the name mlc gives %s; rename the task", user.Name, user.IRName, nodeName(gen))
		}
	})
}

// parameter checks a run parameter's type against its default.
func (c *pipelineCheck) parameter(name string, p model.PipelineParameter) {
	path := c.path + "." + model.Path("parameters", name)
	got := model.ValueType(p.Default)
	if p.Type == "" && got == "" {
		c.errorf(path, "set a type or a default for parameter %s", name)
		return
	}
	if p.Type != "" && got != "" && !assignable(got, p.Type) {
		c.errorf(path+".default", "the default is %s, but the parameter is %s", an(got), an(p.Type))
	}
}

// assignable reports whether a value of type from can be given where to is wanted.
func assignable(from, to string) bool {
	return from == to || (from == model.TypeInt && to == model.TypeFloat) || (to == "Artifact" && !model.IsParameterType(from))
}

// group checks a condition or loop group.
func (c *pipelineCheck) group(n *model.PipelineNode) {
	t := n.Task
	switch n.Kind {
	case model.NodeBranch, model.NodeExit:
		if n.Kind == model.NodeBranch && len(n.Children) == 0 {
			c.errorf(n.Path+".tasks", "a branch needs at least one task")
		}
		for _, cond := range n.Conditions {
			if !cond.Negate {
				c.condition(n, n.Path+".if", cond.Condition)
			}
		}
		return
	}
	if t.Image != "" || len(t.Command) > 0 || len(t.Args) > 0 || len(t.Inputs) > 0 || len(t.Outputs) > 0 || t.Resources != nil {
		c.errorf(n.Path, "a group runs its tasks and has no container: move image, command, args, inputs, outputs and resources into a task of it")
	}
	kinds := 0
	for _, set := range []bool{t.If != nil, t.Branches != nil, t.Loop != nil} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		c.errorf(n.Path, "a group is one of a condition (if), an if / elif / else chain (branches) or a loop; nest groups for more")
	}
	switch n.Kind {
	case model.NodeBranches:
		if len(t.Tasks) > 0 {
			c.errorf(n.Path+".tasks", "a group with branches holds its tasks in the branches")
		}
		for i, b := range t.Branches {
			if b.If == nil && i < len(t.Branches)-1 {
				c.errorf(fmt.Sprintf("%s.branches[%d]", n.Path, i), "only the last branch may go without if (it is the else)")
			}
		}
		if len(t.Branches) < 2 {
			c.errorf(n.Path+".branches", "an if / elif / else chain needs two or more branches; use if for one")
		}
		return
	case model.NodeIf:
		c.condition(n, n.Path+".if", t.If)
	case model.NodeLoop:
		c.loop(n)
	}
	if len(t.Tasks) == 0 {
		c.errorf(n.Path+".tasks", "a group needs at least one task")
	}
}

// upstream checks that a task output can be used from node n: the task exists, has the
// output, and runs beside n or beside a group holding n. path is the reference's (its
// task and output fields are path.task and path.output). It returns the output's type.
func (c *pipelineCheck) upstream(n *model.PipelineNode, path, task, output string) (string, bool) {
	p := c.tree.ByName[task]
	tpath := path + ".task"
	switch {
	case p == nil:
		c.errorf(tpath, "no task %q in the pipeline (have %s)", task, strings.Join(c.taskNames(), ", "))
		return "", false
	case p.Kind != model.NodeStep:
		c.errorf(tpath, "%s is a group; name one of its tasks", task)
		return "", false
	case output == "":
		c.errorf(path, "name the output of %s to use (has %s)", task, keyList(p.Task.Outputs))
		return "", false
	}
	typ, ok := p.Task.Outputs[output]
	if !ok {
		c.errorf(path+".output", "task %s has no output %q (has %s)", task, output, keyList(p.Task.Outputs))
		return "", false
	}
	if c.waitsForExitTask(n, p, tpath) {
		return "", false
	}
	if p.Within(n) {
		c.errorf(tpath, "%s runs inside %s and cannot feed it", task, nodeName(n))
		return "", false
	}
	if !n.Within(p.Parent) {
		if p.Parent.Kind == model.NodeExit {
			c.errorf(tpath, "%s is one of the steps the exit task watches: the exit task runs whether they succeeded or failed, and cannot use their outputs", task)
			return "", false
		}
		c.errorf(tpath, "%s runs inside %s: only tasks in it can use its outputs", task, nodeName(p.Parent))
		return "", false
	}
	return typ, true
}

// nodeName names a group as the user knows it.
func nodeName(n *model.PipelineNode) string {
	switch n.Kind {
	case model.NodeRoot:
		return "the pipeline"
	case model.NodeExit:
		return "the group of the steps the exit task watches"
	case model.NodeBranch:
		return fmt.Sprintf("branch %d of %s", slices.Index(n.Parent.Children, n)+1, n.Parent.Name)
	}
	return n.Name
}

// isExitTask reports whether n is the pipeline's exit task.
func (c *pipelineCheck) isExitTask(n *model.PipelineNode) bool {
	return n != nil && n.Task != nil && n.Name == c.pl.ExitTask && n.Parent == c.tree.Root
}

// waitsForExitTask reports, at path, a task in the exit handler that would wait for the
// exit task, which runs after all of them.
func (c *pipelineCheck) waitsForExitTask(n, p *model.PipelineNode, path string) bool {
	if !c.isExitTask(p) || c.isExitTask(n) {
		return false
	}
	c.errorf(path, "%s is the exit task: it runs after every other task, so no task can wait for it or use its outputs", p.Name)
	return true
}

func (c *pipelineCheck) taskNames() []string {
	return slices.Sorted(maps.Keys(c.tree.ByName))
}

// condition checks what a condition compares.
func (c *pipelineCheck) condition(n *model.PipelineNode, path string, cond *model.Condition) {
	var typ string
	switch {
	case cond.Parameter != "" && cond.Task != "":
		c.errorf(path, "compare either a parameter or a task's output, not both")
		return
	case cond.Parameter != "":
		p, ok := c.pl.Parameters[cond.Parameter]
		if !ok {
			c.errorf(path+".parameter", "no parameter %q in the pipeline (have %s)", cond.Parameter, keyList(c.pl.Parameters))
			return
		}
		typ = p.Kind()
	case cond.Task != "":
		t, ok := c.upstream(n, path, cond.Task, cond.Output)
		if !ok {
			return
		}
		typ = t
	default:
		c.errorf(path, "a condition compares a parameter or a task's output: set parameter, or task and output")
		return
	}
	if len(cond.Ops) != 1 {
		c.errorf(path, "set exactly one comparison (one of %s)", strings.Join(model.ConditionOperators, ", "))
		return
	}
	if !model.IsParameterType(typ) {
		c.errorf(path, "a condition compares parameter values; %s.%s is %s artifact", cond.Task, cond.Output, an(typ))
		return
	}
	for op, v := range cond.Ops {
		vt := model.ValueType(v)
		numeric := func(t string) bool { return t == model.TypeInt || t == model.TypeFloat }
		switch {
		case typ == model.TypeList || typ == model.TypeStruct:
			c.errorf(path, "a condition compares strings, numbers or booleans, not %s", an(typ))
		case numeric(typ) && numeric(vt):
		case vt != typ:
			c.errorf(path+"."+model.Path(op), "compares %s with %s", an(typ), an(vt))
		case (op != "==" && op != "!=") && !numeric(typ):
			c.errorf(path+"."+model.Path(op), "%s compares numbers; this is %s", op, an(typ))
		}
	}
}

// loop checks a loop's items and that its item is used.
func (c *pipelineCheck) loop(n *model.PipelineNode) {
	l := n.Task.Loop
	path := n.Path + ".loop"
	sources := 0
	for _, set := range []bool{l.Items != nil, l.Parameter != "", l.Task != "" || l.Output != ""} {
		if set {
			sources++
		}
	}
	switch {
	case sources != 1:
		c.errorf(path, "loop over one of items (a list), parameter (a list parameter), or task and output (a list output)")
	case l.Items != nil && len(l.Items) == 0:
		c.errorf(path+".items", "a loop over no items never runs")
	case l.Items != nil:
		if typ, other := model.ValuesType(l.Items); other >= 0 && l.ItemType == "" {
			c.errorf(fmt.Sprintf("%s.items[%d]", path, other), "the items are of one type, and this one is %s where the first is %s: make them alike, or set loop.itemType", an(model.ValueType(l.Items[other])), an(typ))
		}
	case l.Parameter != "":
		p, ok := c.pl.Parameters[l.Parameter]
		if !ok {
			c.errorf(path+".parameter", "no parameter %q in the pipeline (have %s)", l.Parameter, keyList(c.pl.Parameters))
		} else if p.Kind() != model.TypeList {
			c.errorf(path+".parameter", "a loop runs over a list; parameter %s is %s", l.Parameter, an(p.Kind()))
		}
	case l.Task != "":
		if typ, ok := c.upstream(n, path, l.Task, l.Output); ok && typ != model.TypeList {
			c.errorf(path+".output", "a loop runs over a list; %s.%s is %s", l.Task, l.Output, an(typ))
		}
	}
	used := false
	c.walk(n, func(x *model.PipelineNode) {
		if x.Task != nil {
			for _, b := range x.Task.Inputs {
				if b.Item == n.Name {
					used = true
				}
			}
		}
	})
	if !used {
		c.errorf(path, "no task in the loop uses its item: bind an input to {item: %q}", n.Name)
	}
}

// after checks a task's explicit ordering.
func (c *pipelineCheck) after(n *model.PipelineNode) {
	for i, a := range n.Task.After {
		p := c.tree.ByName[a]
		ipath := fmt.Sprintf("%s.after[%d]", n.Path, i)
		switch {
		case p == nil:
			c.errorf(ipath, "no task %q in the pipeline (have %s)", a, strings.Join(c.taskNames(), ", "))
		case p == n || p.Within(n):
			c.errorf(ipath, "a task cannot wait for itself")
		case c.waitsForExitTask(n, p, ipath):
		case !n.Within(p.Parent) && p.Parent.Kind == model.NodeExit:
			c.errorf(ipath, "%s is one of the steps the exit task watches: the exit task already runs after them", a)
		case !n.Within(p.Parent):
			c.errorf(ipath, "%s runs inside %s: only tasks in it can wait for it", a, nodeName(p.Parent))
		}
	}
}

// outputs checks the pipeline's outputs name outputs of its top-level tasks.
func (c *pipelineCheck) outputs() {
	for _, name := range slices.Sorted(maps.Keys(c.pl.Outputs)) {
		ref := c.pl.Outputs[name]
		path := c.path + "." + model.Path("outputs", name)
		n := c.tree.ByName[ref.Task]
		switch {
		case n == nil || n.Kind != model.NodeStep:
			c.errorf(path+".task", "no step %q in the pipeline (have %s)", ref.Task, strings.Join(c.taskNames(), ", "))
		case n.Parent != c.tree.Root:
			c.errorf(path+".task", "%s runs inside %s: a pipeline's outputs come from its top-level steps", ref.Task, nodeName(n.Parent))
		default:
			if _, ok := n.Task.Outputs[ref.Output]; !ok {
				c.errorf(path+".output", "task %s has no output %q (has %s)", ref.Task, ref.Output, keyList(n.Task.Outputs))
			}
		}
	}
}

// cycles reports tasks that wait for each other, naming the cycle.
func (c *pipelineCheck) cycles() {
	reported := map[*model.PipelineNode]bool{}
	var groups []*model.PipelineNode
	groups = append(groups, c.tree.Root)
	c.walk(c.tree.Root, func(n *model.PipelineNode) {
		if n.IsGroup() {
			groups = append(groups, n)
		}
	})
	for _, g := range groups {
		deps := map[*model.PipelineNode][]*model.PipelineNode{}
		for _, n := range g.Children {
			deps[n] = c.tree.Dependencies(n)
		}
		state := map[*model.PipelineNode]int{}
		var stack []*model.PipelineNode
		var visit func(n *model.PipelineNode) bool
		visit = func(n *model.PipelineNode) bool {
			state[n] = 1
			stack = append(stack, n)
			for _, d := range deps[n] {
				if state[d] == 1 {
					i := slices.Index(stack, d)
					cycle := append(slices.Clone(stack[i:]), d)
					// A task of the exit handler waiting for the exit task is reported
					// where it does so.
					throughExit := slices.ContainsFunc(cycle, func(x *model.PipelineNode) bool { return x.Kind == model.NodeExit })
					if !reported[d] && !throughExit {
						var names []string
						for _, x := range cycle {
							names = append(names, x.Name)
							reported[x] = true
						}
						c.errorf(d.Path, "tasks wait for each other in a cycle: %s", strings.Join(names, " → "))
					}
					return true
				}
				if state[d] == 0 && visit(d) {
					return true
				}
			}
			stack = stack[:len(stack)-1]
			state[n] = 2
			return false
		}
		for _, n := range g.Children {
			if state[n] == 0 {
				stack = stack[:0]
				visit(n)
			}
		}
	}
}
