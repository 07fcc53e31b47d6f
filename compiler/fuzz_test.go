package compiler_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/lower"
)

// FuzzTenantFile compiles the base repository of the bad-input cases, with Flux wiring,
// and one more tenant file of any content: whatever it holds, the compilation does not
// fail (only the repository has errors), every problem is placed in a file of the
// repository, and what compiles stays inside the tenant that declared it (belongs). The
// seeds are the examples' tenant files and the tenant files of the bad-input corpus.
func FuzzTenantFile(f *testing.F) {
	for _, seed := range tenantFileSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := writeRepo(t, map[string]string{
			"platform.cue":            baseRepo["platform.cue"] + "flux: repository: \"oci://registry.example.com/ml\"\n",
			"tenants/team-a/fuzz.cue": string(src),
		})
		res, err := compiler.Compile(t.Context(), dir, compiler.Options{NoCache: true})
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		for _, d := range res.Diagnostics {
			if f := d.Pos.File; filepath.IsAbs(f) || strings.HasPrefix(f, "..") || strings.HasPrefix(f, "mlc:") {
				t.Errorf("a problem placed outside the repository: %s", d)
			}
		}
		for _, c := range res.Clusters {
			for _, tenant := range c.Tenants {
				out := map[string]*lower.Output{c.Name: &tenant.Output}
				if !compiler.Belongs(tenant.Name, []string{c.Name}, out) {
					t.Errorf("tenant %s compiled objects outside itself", tenant.Name)
				}
			}
		}
	})
}

// tenantFileSeeds are tenant files of the examples and of the bad-input corpus.
func tenantFileSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	examples, _ := filepath.Glob("../examples/*/tenants/*/*.cue")
	for _, p := range examples {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	corpus, _ := filepath.Glob("../cmd/mlc/testdata/badinput/*.txtar")
	for _, p := range corpus {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		for _, file := range ar.Files {
			if strings.HasPrefix(file.Name, "tenants/nlp/") {
				seeds = append(seeds, file.Data)
			}
		}
	}
	if len(seeds) < 50 {
		tb.Fatalf("only %d seeds", len(seeds))
	}
	return seeds
}
