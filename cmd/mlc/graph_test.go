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
	for _, format := range []string{"mermaid", "dot"} {
		t.Run(format, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run([]string{"graph", "pipeline", "nightly", "--repo", "../../examples/quickstart", "--tenant", "vision", "--format", format}, &out, &errOut)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			file := filepath.Join("testdata", "graph", "nightly."+format)
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

// TestGraphUnknownPipeline is a usage error.
func TestGraphUnknownPipeline(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"graph", "pipeline", "nope", "--repo", "../../examples/quickstart"}, &out, &errOut); code != exitUsage {
		t.Fatalf("exit %d, want %d: %s", code, exitUsage, errOut.String())
	}
}
