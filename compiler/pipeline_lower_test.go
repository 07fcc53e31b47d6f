package compiler_test

import (
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/graph"
)

// compilePipelineSpec compiles a repository whose only pipeline file is file and returns
// the spec of its pipeline nightly.
func compilePipelineSpec(t *testing.T, file string) map[string]any {
	t.Helper()
	dir := writeRepo(t, map[string]string{pl: file})
	res, err := compiler.Compile(t.Context(), dir, compiler.Options{NoCache: true})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	spec := graph.PipelineSpec(res.Clusters[0].Tenants[0].Workloads, "nightly")
	if spec == nil {
		t.Fatal("no PipelineVersion of nightly")
	}
	return irRoundTrip(t, spec)
}

// irTasks returns the task specs along a path of task names from the root DAG.
func irTasks(t *testing.T, spec map[string]any, path ...string) []map[string]any {
	t.Helper()
	comps, _ := spec["components"].(map[string]any)
	comp, _ := spec["root"].(map[string]any)
	var chain []map[string]any
	for _, name := range path {
		dag, _ := comp["dag"].(map[string]any)
		tasks, _ := dag["tasks"].(map[string]any)
		task, ok := tasks[name].(map[string]any)
		if !ok {
			t.Fatalf("no task %s on %v", name, path)
		}
		chain = append(chain, task)
		ref := task["componentRef"].(map[string]any)["name"].(string)
		comp, _ = comps[ref].(map[string]any)
	}
	return chain
}

// irOrigin follows an input of the step at path up through the groups that hold it and
// says where its value comes from: "parameter P", "task T.O", "item of G", each with
// [selector] when a field of it is picked, or "constant".
func irOrigin(t *testing.T, spec map[string]any, kind, input string, path ...string) string {
	t.Helper()
	chain := irTasks(t, spec, path...)
	m := func(v any, keys ...string) map[string]any {
		for _, k := range keys {
			next, _ := v.(map[string]any)
			v = next[k]
		}
		out, _ := v.(map[string]any)
		return out
	}
	bind := m(chain[len(chain)-1], "inputs", kind, input)
	sel := ""
	for i := len(chain) - 1; ; i-- {
		if bind == nil {
			t.Fatalf("%s %s of %v is not bound at %v", kind, input, path, path[:i+1])
		}
		if s, ok := bind["parameterExpressionSelector"].(string); ok {
			sel = " [" + s + "]"
		}
		for _, k := range []string{"taskOutputParameter", "taskOutputArtifact"} {
			if out := m(bind, k); out != nil {
				key, _ := out["outputParameterKey"].(string)
				if key == "" {
					key, _ = out["outputArtifactKey"].(string)
				}
				return "task " + out["producerTask"].(string) + "." + key + sel
			}
		}
		if bind["runtimeValue"] != nil {
			return "constant"
		}
		ch, _ := bind["componentInputParameter"].(string)
		if ch == "" {
			ch, _ = bind["componentInputArtifact"].(string)
		}
		if i == 0 {
			return "parameter " + ch + sel
		}
		group := chain[i-1]
		if it := m(group, "parameterIterator"); it != nil && it["itemInput"] == ch {
			return "item of " + path[i-1] + sel
		}
		bind = m(group, "inputs", kind, ch)
	}
}

// TestPipelineChannelNamesUnique passes values whose SDK channel names are the same
// (a parameter named a-o and output o of task a; output c of task a_b and output b-c of
// task a) into a group, and wants each step input to read its own value.
func TestPipelineChannelNamesUnique(t *testing.T) {
	spec := compilePipelineSpec(t, pipelineFile(`	parameters: "a-o": default: "from the parameter"
	tasks: {
		a: {image: "ghcr.io/acme/a:1", outputs: {o: "string", "b-c": "string"}}
		a_b: {image: "ghcr.io/acme/a:1", outputs: c: "string"}
		g: {
			if: {parameter: "a-o", "!=": ""}
			tasks: use: {
				image: "ghcr.io/acme/use:1"
				inputs: {
					p: parameter: "a-o"
					o: {task: "a", output: "o"}
					bc: {task: "a", output: "b-c"}
					c: {task: "a_b", output: "c"}
				}
			}
		}
	}
`))
	for input, want := range map[string]string{
		"p": "parameter a-o", "o": "task a.o", "bc": "task a.b-c", "c": "task a-b.c",
	} {
		if got := irOrigin(t, spec, "parameters", input, "g", "use"); got != want {
			t.Errorf("input %s reads %s, want %s", input, got, want)
		}
	}
	// The SDK's names where they do not clash.
	ins := irTasks(t, spec, "g", "use")[1]["inputs"].(map[string]any)["parameters"].(map[string]any)
	if got := ins["bc"].(map[string]any)["componentInputParameter"]; got != "pipelinechannel--a-b-c" {
		t.Errorf("a.b-c is passed in as %v, want pipelinechannel--a-b-c", got)
	}
}

// TestPipelineNestedLoopItems nests two loops over the same list parameter (and two over
// the same task output) and wants a step in the inner one to see both items.
func TestPipelineNestedLoopItems(t *testing.T) {
	spec := compilePipelineSpec(t, pipelineFile(`	parameters: xs: default: ["a", "b"]
	tasks: {
		gen: {image: "ghcr.io/acme/gen:1", outputs: ys: "list"}
		outer: {
			loop: parameter: "xs"
			tasks: inner: {
				loop: parameter: "xs"
				tasks: pair: {
					image: "ghcr.io/acme/pair:1"
					inputs: {left: item: "outer", right: item: "inner"}
				}
			}
		}
		louter: {
			loop: {task: "gen", output: "ys", itemType: "string"}
			tasks: linner: {
				loop: {task: "gen", output: "ys", itemType: "string"}
				tasks: lpair: {
					image: "ghcr.io/acme/pair:1"
					inputs: {left: item: "louter", right: item: "linner"}
				}
			}
		}
	}
`))
	for _, c := range []struct{ path []string }{{[]string{"outer", "inner", "pair"}}, {[]string{"louter", "linner", "lpair"}}} {
		if got, want := irOrigin(t, spec, "parameters", "left", c.path...), "item of "+c.path[0]; got != want {
			t.Errorf("%v: left reads %s, want %s", c.path, got, want)
		}
		if got, want := irOrigin(t, spec, "parameters", "right", c.path...), "item of "+c.path[1]; got != want {
			t.Errorf("%v: right reads %s, want %s", c.path, got, want)
		}
	}
	chain := irTasks(t, spec, "outer", "inner")
	outer := chain[0]["parameterIterator"].(map[string]any)["itemInput"]
	inner := chain[1]["parameterIterator"].(map[string]any)["itemInput"]
	if outer != "pipelinechannel--xs-loop-item" || inner == outer {
		t.Errorf("item inputs: outer %v, inner %v: want the SDK's name for the outer and another for the inner", outer, inner)
	}
}

// TestPipelineConditionEscaped compares with strings holding quotes and backslashes,
// and picks a field whose name holds a quote: CEL must read them as written.
func TestPipelineConditionEscaped(t *testing.T) {
	spec := compilePipelineSpec(t, pipelineFile(`	parameters: who: default: "me"
	tasks: {
		g: {
			if: {parameter: "who", "!=": "it's a \\ \"test\""}
			tasks: say: {image: "ghcr.io/acme/say:1"}
		}
		l: {
			loop: items: [{"a\"b": "x"}]
			tasks: use: {image: "ghcr.io/acme/use:1", inputs: v: {item: "l", field: "a\"b"}}
		}
	}
`))
	cond := irTasks(t, spec, "g")[0]["triggerPolicy"].(map[string]any)["condition"]
	if want := `inputs.parameter_values['pipelinechannel--who'] != 'it\'s a \\ "test"'`; cond != want {
		t.Errorf("condition:\n got %v\nwant %s", cond, want)
	}
	if got, want := irOrigin(t, spec, "parameters", "v", "l", "use"), `item of l [parseJson(string_value)["a\"b"]]`; got != want {
		t.Errorf("field: got %s, want %s", got, want)
	}
}

// TestPipelineLoopFieldTypes declares a step input that picks a field of constant
// struct items with the field's type, not always a string, and the items of a mix of
// ints and floats as floats.
func TestPipelineLoopFieldTypes(t *testing.T) {
	spec := compilePipelineSpec(t, pipelineFile(`	tasks: {
		l: {
			loop: items: [{n: 1, s: "a"}, {n: 2, s: "b"}]
			tasks: w: {image: "ghcr.io/acme/a:1", inputs: {n: {item: "l", field: "n"}, s: {item: "l", field: "s"}}}
		}
		f: {
			loop: items: [1, 2.5]
			tasks: v: {image: "ghcr.io/acme/a:1", inputs: x: item: "f"}
		}
	}
`))
	comps := spec["components"].(map[string]any)
	types := func(comp, input string) any {
		defs := comps[comp].(map[string]any)["inputDefinitions"].(map[string]any)["parameters"].(map[string]any)
		return defs[input].(map[string]any)["parameterType"]
	}
	for _, c := range []struct{ comp, input, want string }{
		{"comp-w", "n", "NUMBER_INTEGER"}, {"comp-w", "s", "STRING"}, {"comp-v", "x", "NUMBER_DOUBLE"},
	} {
		if got := types(c.comp, c.input); got != c.want {
			t.Errorf("%s input %s: %v, want %s", c.comp, c.input, got, c.want)
		}
	}
}

// TestPipelineRawItemsAsPython writes a loop's constant items as the SDK does, with
// Python's json.dumps(items, sort_keys=True): keys sorted, <, > and & as they are,
// non-ASCII escaped.
func TestPipelineRawItemsAsPython(t *testing.T) {
	spec := compilePipelineSpec(t, pipelineFile(`	tasks: l: {
		loop: items: [{b: "<é & ü>", a: 1.5}]
		tasks: w: {image: "ghcr.io/acme/a:1", inputs: n: {item: "l", field: "a"}}
	}
`))
	raw := irTasks(t, spec, "l")[0]["parameterIterator"].(map[string]any)["items"].(map[string]any)["raw"]
	if want := `[{"a": 1.5, "b": "<\u00e9 & \u00fc>"}]`; raw != want {
		t.Errorf("raw items:\n got %v\nwant %s", raw, want)
	}
}
