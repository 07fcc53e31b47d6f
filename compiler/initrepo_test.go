package compiler_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/scaffold"
)

// TestInitRepositoryErrorsAtUserLines: in a repository made by `mlc init`, whose
// schema.cue binds every field to mlc's schemas, each problem is still reported at the
// user's own line, and every problem is reported, not only the first.
func TestInitRepositoryErrorsAtUserLines(t *testing.T) {
	dir := t.TempDir()
	if _, err := scaffold.Write(dir, scaffold.Options{Module: "example.com/p@v0", Owner: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	nb := filepath.Join(dir, "tenants", "example", "notebooks.cue")
	src := "package ml\n\nnotebooks: a: {\n\timage: \"jupyter-scipy\"\n\tresources: {cpu: true}\n\tworkspace: size: 5\n}\n"
	if err := os.WriteFile(nb, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(context.Background(), dir, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var cpu, size bool
	for _, d := range res.Diagnostics {
		if d.Pos.File == "schema.cue" || d.Pos.File == "" {
			t.Errorf("diagnostic not at the user's line: %s", d)
		}
		cpu = cpu || strings.HasPrefix(d.String(), "tenants/example/notebooks.cue:5:")
		size = size || strings.HasPrefix(d.String(), "tenants/example/notebooks.cue:6:")
	}
	if !cpu || !size {
		t.Errorf("want both the cpu (line 5) and the size (line 6) errors:\n%s", res.Diagnostics.Error())
	}
}
