package validate_test

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/kfpir"
	"github.com/mlc-gitops/mlc/compiler/synth"
	"github.com/mlc-gitops/mlc/compiler/validate"
)

// pipelinePlatform allows any registry: the pipelines of compiler/testdata run
// python:3.11.
const pipelinePlatform = `package ml

clusters: prod: {}
defaults: gpuTypes: a100: vendor: "nvidia"
`

const pipelineTenant = `package ml

tenant: {
	owner: "alice@example.com"
	quota: {cpu: 64, memory: "256Gi", gpu: 8}
}
`

// compiledPipelineVersions returns the PipelineVersions mlc compiles from
// compiler/testdata/pipelines, one tenant each, and the first of a synthetic
// platform's (they differ only in names and numbers).
func compiledPipelineVersions(t testing.TB) []map[string]any {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "pipelines", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatal("no pipelines in ../testdata/pipelines", err)
	}
	files := map[string]string{
		"cue.mod/module.cue": "module: \"example.com/p@v0\"\nlanguage: version: \"v0.17.0\"\n",
		"platform.cue":       pipelinePlatform,
	}
	for _, dir := range dirs {
		cue, err := os.ReadFile(filepath.Join(dir, "pipelines.cue"))
		if err != nil {
			t.Fatal(err)
		}
		tenant := "tenants/" + strings.ReplaceAll(filepath.Base(dir), "_", "-")
		files[tenant+"/tenant.cue"] = pipelineTenant
		files[tenant+"/pipelines.cue"] = string(cue)
	}
	repo := t.TempDir()
	for name, content := range files {
		p := filepath.Join(repo, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := pipelineVersionsOf(t, repo)
	if len(out) != len(dirs) {
		t.Fatalf("%d PipelineVersions from %d pipelines", len(out), len(dirs))
	}
	synthRepo := t.TempDir()
	if err := synth.Write(synthRepo, synth.ForWorkloads(1, 5)); err != nil {
		t.Fatal(err)
	}
	pvs := pipelineVersionsOf(t, synthRepo)
	if len(pvs) == 0 {
		t.Fatal("the synthetic platform has no PipelineVersion")
	}
	return append(out, pvs[0])
}

func pipelineVersionsOf(t testing.TB, repo string) []map[string]any {
	t.Helper()
	res, err := compiler.Compile(t.Context(), repo, compiler.Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	var out []map[string]any
	for _, c := range res.Clusters {
		for _, tn := range c.Tenants {
			for _, o := range tn.Workloads {
				if o.Kind() == "PipelineVersion" {
					out = append(out, treeOf(t, o))
				}
			}
		}
	}
	return out
}

// specsOf returns a PipelineVersion's pipelineSpec and platformSpec (nil when
// absent).
func specsOf(pv map[string]any) (pipeline, platform any) {
	spec := pv["spec"].(map[string]any)
	return spec["pipelineSpec"], spec["platformSpec"]
}

// slowSpecErr is what ValidateDocuments says of the specs' JSON encodings.
func slowSpecErr(pipeline, platform any) error {
	ps, err := json.Marshal(pipeline)
	if err != nil {
		return err
	}
	var pl []byte
	if platform != nil {
		if pl, err = json.Marshal(platform); err != nil {
			return err
		}
	}
	return kfpir.ValidateDocuments(ps, pl)
}

// TestPipelineVersionFastPath wants kfpir.ValidSpecs to vouch for every
// PipelineVersion mlc compiles, as they are handed to the validator, and the
// decoder and the validator (over the embedded CRDs, and Kubeflow v1.11.0's
// unless -short) to agree.
func TestPipelineVersionFastPath(t *testing.T) {
	validators := []*validate.Validator{validate.New()}
	if !testing.Short() && validate.HaveManifests() {
		release, err := validate.NewFromCRDs(validate.V111CRDs(t))
		if err != nil {
			t.Fatal(err)
		}
		validators = append(validators, release)
	}
	withPlatform := 0
	for _, pv := range compiledPipelineVersions(t) {
		name := pv["metadata"].(map[string]any)["name"]
		ps, pl := specsOf(pv)
		if pl != nil {
			withPlatform++
		}
		if err := slowSpecErr(ps, pl); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !kfpir.ValidSpecs(ps, pl) {
			t.Errorf("%s: ValidSpecs is not sure of a spec mlc compiled", name)
		}
		for _, v := range validators {
			if errs := v.Validate(pv); errs != nil {
				t.Errorf("%s: %v", name, errs)
			}
		}
	}
	if withPlatform == 0 {
		t.Error("no PipelineVersion has a platformSpec; the Kubernetes executors are not exercised")
	}
}

// BenchmarkValidatePipelineVersions judges the PipelineVersions of
// compiledPipelineVersions with the validator.
func BenchmarkValidatePipelineVersions(b *testing.B) {
	pvs := compiledPipelineVersions(b)
	v := validate.New()
	for _, pv := range pvs {
		if errs := v.Validate(pv); errs != nil {
			b.Fatal(errs)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, pv := range pvs {
			v.Validate(pv)
		}
	}
}

// TestPipelineVersionFastPathSound breaks the compiled specs node by node and
// wants ValidateDocuments to accept every variant kfpir.ValidSpecs accepts.
func TestPipelineVersionFastPathSound(t *testing.T) {
	variants, decided := 0, 0
	check := func(what string, pipeline, platform any) {
		variants++
		if !kfpir.ValidSpecs(pipeline, platform) {
			return
		}
		decided++
		if err := slowSpecErr(pipeline, platform); err != nil {
			t.Errorf("%s: ValidSpecs accepts what ValidateDocuments refuses: %v", what, err)
		}
	}
	for _, pv := range compiledPipelineVersions(t) {
		name := pv["metadata"].(map[string]any)["name"].(string)
		ps, pl := specsOf(pv)
		eachVariant(ps, func(what string, ps any) { check(name+": pipelineSpec"+what, ps, pl) })
		if pl != nil {
			eachVariant(pl, func(what string, pl any) { check(name+": platformSpec"+what, ps, pl) })
		}
	}
	t.Logf("%d variants: ValidSpecs decided %d and fell back on %d", variants, decided, variants-decided)
	if decided < 1000 || variants-decided < 1000 {
		t.Errorf("too few variants of each kind: %d, %d decided", variants, decided)
	}
}

// replacements are the values every node is replaced with in turn.
var replacements = []any{
	nil, "x", "12", "NaN", "NOT_AN_ENUM_VALUE", int64(7), float64(7), int64(-1), 1.5,
	int64(1) << 40, int64(math.MaxInt64), 1e30, true,
	[]any{}, []any{nil}, map[string]any{}, map[string]any{"zz": int64(1)},
}

// eachVariant calls f with a copy of v changed at one node: deleted, replaced
// with each of replacements, or, for an object, with one of its keys renamed.
// Only the maps and lists on the way to the node are copied.
func eachVariant(v any, f func(what string, v any)) {
	var walk func(node any, at string, rebuild func(any, bool) any)
	walk = func(node any, at string, rebuild func(any, bool) any) {
		if at != "" {
			f(at+" deleted", rebuild(nil, false))
		}
		for _, r := range replacements {
			f(at+" replaced", rebuild(r, true))
		}
		switch x := node.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				renamed := maps.Clone(x)
				renamed[k+"Zz"] = renamed[k]
				delete(renamed, k)
				f(at+"."+k+" renamed", rebuild(renamed, true))
				walk(x[k], at+"."+k, func(nv any, keep bool) any {
					c := maps.Clone(x)
					if keep {
						c[k] = nv
					} else {
						delete(c, k)
					}
					return rebuild(c, true)
				})
			}
		case []any:
			for i, e := range x {
				walk(e, at+"["+strconv.Itoa(i)+"]", func(nv any, keep bool) any {
					c := slices.Clone(x)
					if keep {
						c[i] = nv
					} else {
						c = slices.Delete(c, i, i+1)
					}
					return rebuild(c, true)
				})
			}
		}
	}
	walk(v, "", func(nv any, _ bool) any { return nv })
}
