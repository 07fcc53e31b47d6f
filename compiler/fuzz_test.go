package compiler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/mlc-gitops/mlc/compiler/lower"
)

// fuzzRepo is the repository FuzzTenantFile gives its input to, as the file
// tenants/team-a/fuzz.cue.
var fuzzRepo = map[string]string{
	"cue.mod/module.cue": "module: \"example.com/p@v0\"\nlanguage: version: \"v0.17.0\"\n",
	"platform.cue": `package ml

clusters: prod: {}
defaults: gpuTypes: a100: vendor: "nvidia"
defaults: gpuType: "a100"
policy: allowedRegistries: ["ghcr.io/kubeflow/", "ghcr.io/acme/"]
flux: repository: "oci://registry.example.com/ml"
`,
	"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: {cpu: 8, memory: \"32Gi\", gpu: 2}\n}\n",
	"tenants/team-b/tenant.cue": "package ml\n\ntenant: owner: \"bob@example.com\"\n",
}

// FuzzTenantFile compiles a repository with one tenant file of any content: whatever
// it holds, the compilation does not fail (only the repository has errors), every
// problem is placed in a file of the repository, and what compiles stays inside the
// tenant that declared it (belongs). The seeds are the examples' tenant files and the
// tenant files of the bad-input corpus.
func FuzzTenantFile(f *testing.F) {
	for _, seed := range tenantFileSeeds(f) {
		f.Add(seed)
	}
	dir := f.TempDir()
	for name, content := range fuzzRepo {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	fuzzFile := filepath.Join(dir, "tenants", "team-a", "fuzz.cue")
	f.Fuzz(func(t *testing.T, src []byte) {
		if err := os.WriteFile(fuzzFile, src, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Compile(t.Context(), dir, Options{NoCache: true})
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
				if !belongs(tenant.Name, []string{c.Name}, out) {
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
