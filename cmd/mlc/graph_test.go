package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGraph draws the quickstart's nightly pipeline in both formats and compares them
// with testdata/graph (rewritten with -update).
func TestGraph(t *testing.T) {
	graphGolden(t, "nightly", "../../examples/quickstart")
}

// graphGolden draws a pipeline of tenant vision in both formats and compares the
// drawings with testdata/graph/PIPELINE.FORMAT (rewritten with -update).
func graphGolden(t *testing.T, pipeline, repo string) {
	for _, format := range []string{"mermaid", "dot"} {
		t.Run(format, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run([]string{"graph", "pipeline", pipeline, repo, "--tenant", "vision", "--format", format}, &out, &errOut)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			file := filepath.Join("testdata", "graph", pipeline+"."+format)
			if *update {
				if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
			}
		})
	}
}

// shapesPipeline draws badly with naive escaping: its loops' labels hold the quotes,
// '#', '&' and angle brackets of their items, and task a-b at the top and task b in
// group a have the same readable identifier.
const shapesPipeline = `package ml

pipelines: shapes: tasks: {
	"a-b": {image: "ghcr.io/example/a:1", outputs: o: "string"}
	a: {
		loop: items: ["a", "b", "say \"hi\" #1 \\n"]
		tasks: b: {image: "ghcr.io/example/a:1", inputs: {s: item: "a", o: {task: "a-b", output: "o"}}}
	}
	structs: {
		loop: items: [{k: "v<1>"}, {k: "w & z"}]
		tasks: c: {image: "ghcr.io/example/a:1", inputs: k: {item: "structs", field: "k"}}
	}
}
`

// TestGraphEscaping draws shapesPipeline in both formats and compares them with
// testdata/graph/shapes.* (rewritten with -update): labels are Mermaid and DOT strings
// and every node has an identifier of its own.
func TestGraphEscaping(t *testing.T) {
	repo := t.TempDir()
	if err := os.CopyFS(repo, os.DirFS("../../examples/quickstart")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "tenants", "vision", "shapes.cue"), []byte(shapesPipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	graphGolden(t, "shapes", repo)
}

// TestGraphUnknownPipeline is a usage error.
func TestGraphUnknownPipeline(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"graph", "pipeline", "nope", "../../examples/quickstart"}, &out, &errOut); code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", code, exitUsage, errOut.String())
	}
}

// TestGraphRepoFlag keeps the deprecated --repo DIR working, and refuses it beside DIR.
func TestGraphRepoFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"graph", "pipeline", "nightly", "--repo", "../../examples/quickstart", "--tenant", "vision"}, &out, &errOut)
	if code != exitOK || !bytes.Contains(out.Bytes(), []byte("flowchart")) {
		t.Fatalf("--repo: exit %d: %s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	code = run([]string{"graph", "pipeline", "nightly", "../../examples/quickstart", "--repo", "../../examples/quickstart"}, &out, &errOut)
	if code != exitUsage {
		t.Fatalf("DIR and --repo: exit %d, want %d: %s", code, exitUsage, errOut.String())
	}
}

// TestGraphUsage refuses anything but "pipeline NAME [DIR]".
func TestGraphUsage(t *testing.T) {
	for _, args := range [][]string{{"graph"}, {"graph", "pipeline"}, {"graph", "task", "nightly"}, {"graph", "pipeline", "nightly", ".", "extra"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != exitUsage {
			t.Errorf("%q: exit %d, want %d: %s", args, code, exitUsage, errOut.String())
		}
	}
}
