package model

import (
	"encoding/json"
	"strings"
	"testing"
)

// shape writes a node and its children as name(child child ...), kinds in brackets for
// groups.
func shape(n *PipelineNode) string {
	s := n.IRName
	if n.Kind == NodeRoot {
		s = "root"
	}
	if n.IsGroup() && n.Kind != NodeRoot {
		s += "[" + n.Kind + "]"
	}
	if len(n.Children) == 0 {
		return s
	}
	var kids []string
	for _, c := range n.Children {
		kids = append(kids, shape(c))
	}
	return s + "(" + strings.Join(kids, " ") + ")"
}

func TestNewPipelineTree(t *testing.T) {
	t.Parallel()
	step := func(image string) PipelineTask { return PipelineTask{Image: image} }
	cases := []struct {
		name string
		pl   Pipeline
		want string
		// deps are tasks' dependencies, by declared name: IR names joined by commas.
		deps map[string]string
	}{
		{
			name: "steps sorted by IR name, fed by an output",
			pl: Pipeline{Tasks: map[string]PipelineTask{
				"train": {Image: "t", Inputs: map[string]Binding{"d": {Task: "prep", Output: "d"}}},
				"prep":  {Image: "p", Outputs: map[string]string{"d": "Dataset"}},
			}},
			want: "root(prep train)",
			deps: map[string]string{"prep": "", "train": "prep"},
		},
		{
			name: "an exit task watches a group of the others",
			pl: Pipeline{ExitTask: "notify", Tasks: map[string]PipelineTask{
				"notify": step("n"), "a": step("a"), "b": {Image: "b", After: []string{"a"}},
			}},
			want: "root(exit-handler-1[exit-handler](a b) notify)",
			deps: map[string]string{"a": "", "b": "a", "notify": "exit-handler-1"},
		},
		{
			name: "branches, a loop and a condition",
			pl: Pipeline{Tasks: map[string]PipelineTask{
				"flip": {Image: "f", Outputs: map[string]string{"side": "string"}},
				"pick": {Branches: []Branch{
					{If: &Condition{Task: "flip", Output: "side", Ops: map[string]json.RawMessage{"==": json.RawMessage(`"heads"`)}}, Tasks: map[string]PipelineTask{"heads": step("h")}},
					{Tasks: map[string]PipelineTask{"tails": step("t")}},
				}},
				"each": {Loop: &Loop{Items: []json.RawMessage{json.RawMessage("1"), json.RawMessage("2.5")}}, Tasks: map[string]PipelineTask{"work": step("w")}},
			}},
			want: "root(each[loop](work) flip pick[branches](pick-1[branch](heads) pick-2[branch](tails)))",
			// The branches wait for what their conditions read; inside, heads waits for none.
			deps: map[string]string{"pick": "flip", "heads": "", "each": ""},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tree := NewPipelineTree("pipelines.p", tc.pl)
			if got := shape(tree.Root); got != tc.want {
				t.Errorf("tree %s, want %s", got, tc.want)
			}
			for name, want := range tc.deps {
				var names []string
				for _, d := range tree.Dependencies(tree.ByName[name]) {
					names = append(names, d.IRName)
				}
				if got := strings.Join(names, ","); got != want {
					t.Errorf("%s waits for %q, want %q", name, got, want)
				}
			}
		})
	}
}

// TestPipelineTreeTypes: the types of loop items and bound inputs.
func TestPipelineTreeTypes(t *testing.T) {
	t.Parallel()
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tree := NewPipelineTree("pipelines.p", Pipeline{
		Parameters: map[string]PipelineParameter{"sizes": {Default: raw(`[1, 2]`)}, "name": {Default: raw(`"x"`)}},
		Tasks: map[string]PipelineTask{
			"prep":  {Image: "p", Outputs: map[string]string{"model": "Model", "rows": "int"}},
			"mixed": {Loop: &Loop{Items: []json.RawMessage{raw("1"), raw("2.5")}}, Tasks: map[string]PipelineTask{"a": {Image: "a"}}},
			"sized": {Loop: &Loop{Parameter: "sizes"}, Tasks: map[string]PipelineTask{"b": {Image: "b"}}},
			"rec":   {Loop: &Loop{Items: []json.RawMessage{raw(`{"lr": 0.1}`), raw(`{"lr": 1}`), raw(`{}`)}}, Tasks: map[string]PipelineTask{"c": {Image: "c"}}},
		},
	})
	for _, tc := range []struct {
		loop, want string
	}{{"mixed", TypeFloat}, {"sized", TypeInt}, {"rec", TypeStruct}} {
		if got := tree.LoopItemType(tree.ByName[tc.loop]); got != tc.want {
			t.Errorf("loop %s: items of type %s, want %s", tc.loop, got, tc.want)
		}
	}
	if values, missing, ok := tree.LoopFieldValues(tree.ByName["rec"], "lr"); !ok || len(values) != 2 || missing != 2 {
		t.Errorf("rec's lr: %d values, first missing at %d, ok %v; want 2, 2, true", len(values), missing, ok)
	}
	for _, tc := range []struct {
		bind     Binding
		artifact bool
		typ      string
	}{
		{Binding{Task: "prep", Output: "model"}, true, "Model"},
		{Binding{Task: "prep", Output: "rows"}, false, TypeInt},
		{Binding{Parameter: "name"}, false, TypeString},
		{Binding{Value: raw("true")}, false, TypeBool},
		{Binding{Item: "rec", Field: "lr"}, false, TypeFloat},
		{Binding{Item: "sized", Type: TypeString}, false, TypeString},
	} {
		if artifact, typ := tree.InputType(tc.bind); artifact != tc.artifact || typ != tc.typ {
			t.Errorf("%+v: artifact %v of type %s, want %v, %s", tc.bind, artifact, typ, tc.artifact, tc.typ)
		}
	}
}

// TestPipelineTreeBuiltOnce: the checks and lowering ask the declarations for a
// pipeline's tree and get the one built first.
func TestPipelineTreeBuiltOnce(t *testing.T) {
	t.Parallel()
	d := &Declarations{Pipelines: map[string]Pipeline{"nightly": {Tasks: map[string]PipelineTask{"a": {Image: "a"}}}}}
	first := d.PipelineTree("nightly")
	if first.Root.Path != "pipelines.nightly" || first.ByName["a"].Path != "pipelines.nightly.tasks.a" {
		t.Errorf("paths %q, %q", first.Root.Path, first.ByName["a"].Path)
	}
	if again := d.PipelineTree("nightly"); again != first {
		t.Error("a second call built the tree again")
	}
}
