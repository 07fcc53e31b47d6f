package load

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/scaffold"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// evaluation is what a tenant's evaluation gives: its diagnostics and the value of its
// declarations, as text and decoded.
type evaluation struct {
	diags  string
	decls  map[string]any
	scoped bool
}

// evaluateAll evaluates every tenant of the repository at dir, in the platform's scope
// where allowed or, with together, always together with the platform files.
func evaluateAll(t *testing.T, dir string, together bool) map[string]evaluation {
	t.Helper()
	ev := evaluatorOf(t, dir)
	ev.fullOnly = together
	var mu sync.Mutex
	out := map[string]evaluation{}
	err := ev.Tenants(context.Background(), Options{}, func(inst *Instance) {
		e := evaluation{diags: inst.Diagnostics.Error(), scoped: inst.scoped}
		if !inst.Diagnostics.HasErrors() {
			if err := inst.DecodeTenant(&e.decls); err != nil {
				t.Errorf("%s: %v", inst.Tenant.Name, err)
			}
		}
		mu.Lock()
		out[inst.Tenant.Name] = e
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeRepo writes a repository of the given files (platform.cue and tenant files by
// path) into a new directory.
func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["cue.mod/module.cue"] = "module: \"example.com/apart@v0\"\nlanguage: version: \"v0.17.0\"\n"
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const apartPlatform = "package ml\n\nclusters: prod: {}\n"

// TestScopedMatchesTogether: evaluating a tenant in the platform's scope gives the
// same declarations and the same diagnostics as evaluating it with them, and it is
// used where it may be, and only there.
func TestScopedMatchesTogether(t *testing.T) {
	synthetic := t.TempDir()
	if err := synth.Write(synthetic, synth.Spec{Tenants: 3, Notebooks: 2, Endpoints: 2, TrainingJobs: 2, Experiments: 1, Pipelines: 2, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	initialised := t.TempDir()
	if _, err := scaffold.Write(initialised, scaffold.Options{Module: "example.com/ml@v0", Owner: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	tenant := "package ml\n\ntenant: owner: \"alice@example.com\"\n"
	cases := []struct {
		name string
		dir  string
		// scoped is whether the tenants are to be evaluated in the platform's scope; in the cases named
		// "tenant ...", tenant a may not be and b is.
		scoped bool
	}{
		{"quickstart", filepath.Join("..", "..", "examples", "quickstart"), true},
		{"synthetic", synthetic, true},
		{"mlc init", initialised, true},
		{"definitions and defaults of the platform", writeRepo(t, map[string]string{
			"platform.cue": apartPlatform + "defaults: storageClass: \"fast\"\n#Small: {image: \"jupyter-scipy\", resources: cpu: 1}\n",
			"tenants/a/tenant.cue": tenant + "notebooks: n: #Small & {env: SC: defaults.storageClass}\n" +
				"notebooks: m: image: notebooks.n.image\n",
		}), true},
		{"broken tenant", writeRepo(t, map[string]string{
			"platform.cue": apartPlatform + "#Small: {image: \"jupyter-scipy\", resources: cpu: 1}\n",
			"tenants/a/tenant.cue": tenant + "notebooks: n: #Small & {resources: cpu: 2, shm: \"yes\", cpus: 3}\n" +
				"servingEndpoints: s: {model: {format: \"caffe\", uri: \"s3://m\"}}\n",
			"tenants/b/tenant.cue": "package ml\n\ntenant: quota: cpu: 4\nnotebooks: n: image: undefined\n",
			"tenants/c/tenant.cue": "package other\n\ntenant: owner: \"c@example.com\"\n",
		}), true},
		{"platform constrains every tenant's notebooks", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform + "notebooks: [string]: resources: cpu: <=2\n",
			"tenants/a/tenant.cue": tenant + "notebooks: n: {image: \"jupyter-scipy\", resources: cpu: 4}\n",
			"tenants/b/tenant.cue": tenant + "notebooks: n: {image: \"jupyter-scipy\", resources: cpu: 1}\n",
		}), false},
		{"platform binds a tenant field to more than its schema", writeRepo(t, map[string]string{
			"platform.cue": apartPlatform + "import \"github.com/mlc-gitops/mlc/schemas\"\n" +
				"notebooks?: [string]: schemas.#Notebook & {image: \"jupyter-scipy\"}\n",
			"tenants/a/tenant.cue": tenant + "notebooks: n: {}\n",
		}), false},
		{"platform definition reads the tenant", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform + "#Mine: {image: \"jupyter-scipy\", env: OWNER: tenant.owner}\n",
			"tenants/a/tenant.cue": tenant + "notebooks: n: #Mine\n",
		}), false},
		{"platform embeds a value", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform + "{notebooks: [string]: image: \"jupyter-scipy\"}\n",
			"tenants/a/tenant.cue": tenant + "notebooks: n: {}\n",
		}), false},
		{"tenant adds to a platform definition", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform + "#Small: image: \"jupyter-scipy\"\n",
			"tenants/a/tenant.cue": tenant + "#Small: resources: cpu: 1\nnotebooks: n: #Small\n",
			"tenants/b/tenant.cue": tenant + "notebooks: n: #Small\n",
		}), false},
		{"tenant reads a hidden field", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform + "_image: \"jupyter-scipy\"\n",
			"tenants/a/tenant.cue": tenant + "notebooks: n: image: _image\n",
			"tenants/b/tenant.cue": tenant + "notebooks: n: image: \"jupyter-scipy\"\n",
		}), false},
		{"a platform let is the platform file's own", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform + "let img = \"jupyter-scipy\"\ndefaults: storageClass: img\n",
			"tenants/a/tenant.cue": tenant + "notebooks: n: image: img\n",
		}), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			scoped := evaluateAll(t, c.dir, false)
			together := evaluateAll(t, c.dir, true)
			if len(scoped) == 0 || len(scoped) != len(together) {
				t.Fatalf("%d tenants scoped, %d together", len(scoped), len(together))
			}
			usedApart := false
			for name, want := range together {
				got := scoped[name]
				if got.diags != want.diags {
					t.Errorf("tenant %s: diagnostics scoped:\n%s\ntogether:\n%s", name, got.diags, want.diags)
				}
				if !reflect.DeepEqual(got.decls, want.decls) {
					t.Errorf("tenant %s: declarations scoped:\n%v\ntogether:\n%v", name, got.decls, want.decls)
				}
				if want.scoped {
					t.Errorf("tenant %s: evaluated in the platform's scope although told not to", name)
				}
				usedApart = usedApart || got.scoped
			}
			if strings.HasPrefix(c.name, "tenant ") {
				// The tenant that does it is evaluated with the platform, another apart.
				if !scoped["b"].scoped || scoped["a"].scoped {
					t.Errorf("tenant a apart %v, b apart %v; want only b", scoped["a"].scoped, scoped["b"].scoped)
				}
			} else if usedApart != c.scoped {
				t.Errorf("evaluated scoped: %v, want %v", usedApart, c.scoped)
			}
		})
	}
}
