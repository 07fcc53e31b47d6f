package manifest_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	yaml "go.yaml.in/yaml/v2"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// compileObjects compiles the repository in dir and returns all its objects.
func compileObjects(tb testing.TB, dir string) []manifest.Object {
	tb.Helper()
	res, err := compiler.Compile(context.Background(), dir, compiler.Options{NoCache: true})
	if err != nil {
		tb.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		tb.Fatalf("%s: %s", dir, res.Diagnostics.Error())
	}
	var objs []manifest.Object
	for _, c := range res.Clusters {
		objs = append(objs, c.Bootstrap...)
		for _, t := range c.Tenants {
			objs = append(objs, t.Platform...)
			objs = append(objs, t.Workloads...)
		}
	}
	if len(objs) == 0 {
		tb.Fatalf("%s: no objects", dir)
	}
	return objs
}

func writeFiles(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// compiledObjects are the objects of the quickstart example, of a synthetic platform of
// every kind of workload on two clusters, and of the pipelines of compiler/testdata.
func compiledObjects(t *testing.T) map[string][]manifest.Object {
	t.Helper()
	sets := map[string][]manifest.Object{}
	sets["quickstart"] = compileObjects(t, filepath.Join("..", "..", "examples", "quickstart"))
	dir := t.TempDir()
	spec := synth.Spec{Tenants: 3, Notebooks: 2, Endpoints: 2, TrainingJobs: 2, Experiments: 2, Pipelines: 3, Clusters: 2}
	if err := synth.Write(dir, spec); err != nil {
		t.Fatal(err)
	}
	sets["synth"] = compileObjects(t, dir)
	pipelines, err := filepath.Glob(filepath.Join("..", "testdata", "pipelines", "*", "pipelines.cue"))
	if err != nil || len(pipelines) == 0 {
		t.Fatal("no pipelines in ../testdata/pipelines", err)
	}
	for _, p := range pipelines {
		cue, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		repo := writeFiles(t, map[string]string{
			"cue.mod/module.cue": "module: \"example.com/p@v0\"\nlanguage: version: \"v0.17.0\"\n",
			"platform.cue":       "package ml\n\nclusters: prod: {}\ndefaults: gpuTypes: a100: vendor: \"nvidia\"\n",
			"tenants/team-a/tenant.cue": "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n" +
				"\tquota: {cpu: 8, memory: \"32Gi\", gpu: 2}\n}\n",
			"tenants/team-a/pipelines.cue": string(cue),
		})
		sets[filepath.Base(filepath.Dir(p))] = compileObjects(t, repo)
	}
	return sets
}

// TestEncodeCompiledObjects: every object the compiler renders for the examples and
// test platforms carries YAML that is exactly yaml.v2's encoding of what it holds:
// decoded with yaml.v2 and encoded again, both by yaml.v2 and by the specialised
// encoder, it gives the same bytes.
func TestEncodeCompiledObjects(t *testing.T) {
	n := 0
	for name, objs := range compiledObjects(t) {
		for _, o := range objs {
			n++
			var tree map[string]any
			if err := yaml.Unmarshal(o.Encoded, &tree); err != nil {
				t.Fatalf("%s: %s: %v", name, o.ID(), err)
			}
			if _, encrypted := tree["sops"]; encrypted {
				continue // a SOPS-encrypted Secret: its file as the repository holds it
			}
			want, err := yaml.Marshal(tree)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(o.Encoded, want) {
				t.Fatalf("%s: %s differs from yaml.v2\n--- yaml.v2\n%s\n--- got\n%s", name, o.ID(), want, o.Encoded)
			}
			if id, ok := manifest.IdentOfYAML(o.Encoded); !ok || id != o.Identity() {
				t.Errorf("%s: %s: its YAML reads as %+v, %v", name, o.ID(), id, ok)
			}
			if got, err := (manifest.Object{Content: tree}).YAML(); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: %s: the encoder gives %q, %v", name, o.ID(), got, err)
			}
		}
	}
	t.Logf("%d objects", n)
}

// TestEncodeYAMLDocuments decodes the YAML documents under testdata (the golden renders,
// upstream examples) and the shared upstream examples, and compares their encoding with
// yaml.v2's.
func TestEncodeYAMLDocuments(t *testing.T) {
	roots := []string{filepath.Join("..", "testdata"), filepath.Join("..", "..", "cmd", "mlc", "testdata"),
		filepath.Join("..", "..", "..", "shared", "upstream-examples")}
	docs, fast := 0, 0
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			dec := yaml.NewDecoder(bytes.NewReader(b))
			for {
				var v any
				if err := dec.Decode(&v); err != nil {
					break // the end, or YAML yaml.v2 does not read: not what this test is about
				}
				m, ok := jsonLike(v).(map[string]any)
				if !ok {
					continue
				}
				docs++
				want, err := yaml.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				got, err := manifest.Object{Content: m}.YAML()
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s: encoding differs from yaml.v2 (%v)\n--- yaml.v2\n%s\n--- got\n%s", p, err, want, got)
				}
				if _, ok := manifest.FastYAML(m); ok {
					fast++
				}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if docs < 90 {
		t.Fatalf("only %d documents found", docs)
	}
	t.Logf("%d documents, %d taken by the specialised encoder", docs, fast)
}

// jsonLike turns what yaml.v2 decodes into the JSON-like values the compiler builds.
func jsonLike(v any) any {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = jsonLike(x)
		}
		return m
	case []any:
		for i, x := range v {
			v[i] = jsonLike(x)
		}
		return v
	}
	return v
}

var (
	benchOnce sync.Once
	benchObjs []manifest.Object
)

// BenchmarkEncode encodes all the objects of one synthetic tenant with ten workloads of
// every kind, with the specialised encoder and with yaml.v2.
func BenchmarkEncode(b *testing.B) {
	benchOnce.Do(func() {
		dir := b.TempDir()
		if err := synth.Write(dir, synth.ForWorkloads(1, 10)); err != nil {
			b.Fatal(err)
		}
		benchObjs = compileObjects(b, dir)
	})
	size := 0
	for _, o := range benchObjs {
		y, _ := o.YAML()
		size += len(y)
	}
	run := func(name string, encode func(o manifest.Object) ([]byte, error)) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				for _, o := range benchObjs {
					if _, err := encode(o); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(benchObjs)), "objects/op")
		})
	}
	run("mlc", manifest.Object.YAML)
	run("yaml.v2", func(o manifest.Object) ([]byte, error) { return yaml.Marshal(o.Content) })
}
