package load

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// sharded is what a tenant's evaluation gives, for comparing shards with a whole.
type sharded struct {
	diags  string
	decls  map[string]any
	model  model.Declarations
	shards int
	// located are the positions Locate gives for each declaration's path.
	located map[string]diag.Position
}

// evaluateInShards evaluates every tenant of the repository at dir in shards of size
// declarations, or whole when size is 0.
func evaluateInShards(t *testing.T, dir string, size, repeat int) map[string]sharded {
	t.Helper()
	ev := evaluatorOf(t, dir)
	ev.shardSize, ev.shardRepeat = size, repeat
	if size == 0 {
		ev.shardSize = 1 << 30
	}
	var mu sync.Mutex
	out := map[string]sharded{}
	err := ev.Tenants(context.Background(), Options{}, func(inst *Instance) {
		s := sharded{shards: 1, located: map[string]diag.Position{}}
		if inst.shards != nil {
			s.shards = inst.shards.plan.count
		}
		diags := inst.Diagnostics
		decode := func(x any) {
			var l diag.List
			switch err := inst.DecodeTenant(x); {
			case errors.As(err, &l):
				diags = append(diags, l...)
			case err != nil:
				t.Errorf("%s: %v", inst.Tenant.Name, err)
			}
		}
		if !diags.HasErrors() {
			decode(&s.decls)
			decode(&s.model)
		}
		if diags.HasErrors() {
			s.decls, s.model = nil, model.Declarations{} // what was decoded before an error
		} else {
			for field, v := range s.decls {
				m, _ := v.(map[string]any)
				for name := range m {
					p := model.Path(field, name)
					s.located[p] = inst.Locate(p)
					s.located[p+".image"] = inst.Locate(p + ".image")
				}
			}
		}
		s.diags = diags.Sort().Error()
		mu.Lock()
		out[inst.Tenant.Name] = s
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestShardsMatchWhole: a tenant evaluated in shards gives the same declarations, the
// same diagnostics and the same positions as evaluated whole, and it is sharded where
// it may be, and only there.
func TestShardsMatchWhole(t *testing.T) {
	synthetic := t.TempDir()
	if err := synth.Write(synthetic, synth.Spec{Tenants: 2, Notebooks: 7, Endpoints: 3, TrainingJobs: 2, Experiments: 2, Pipelines: 2, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	tenant := "package ml\n\ntenant: owner: \"alice@example.com\"\n"
	nb := func(name string) string { return "notebooks: \"" + name + "\": image: \"jupyter-scipy\"\n" }
	many := tenant + nb("a") + nb("b") + nb("c") + nb("d") + nb("e")
	cases := []struct {
		name    string
		dir     string
		sharded bool // whether tenant a (or every tenant) is to be evaluated in shards
	}{
		{"quickstart", filepath.Join("..", "..", "examples", "quickstart"), true},
		{"synthetic", synthetic, true},
		{"errors in several shards and in what they share", writeRepo(t, map[string]string{
			"platform.cue": apartPlatform,
			"tenants/a/tenant.cue": "package ml\n\ntenant: {owner: \"alice@example.com\", quota: cpu: true}\n" +
				"notebooks: a: image: 3\nnotebooks: b: resources: cpu: \"x\"\nnotebooks: c: {image: \"jupyter-scipy\", shm: 1}\n" +
				nb("d") + "notebooks: e: {}\n",
		}), true},
		{"one declaration in two files, and in one struct", writeRepo(t, map[string]string{
			"platform.cue":           apartPlatform,
			"tenants/a/tenant.cue":   many,
			"tenants/a/more.cue":     "package ml\n\nnotebooks: {a: resources: cpu: 2, e: resources: cpu: 3, f: image: \"jupyter-scipy\"}\n",
			"tenants/a/conflict.cue": "package ml\n\nnotebooks: c: image: \"jupyter-tensorflow\"\n",
		}), true},
		{"a let and a pattern beside the declarations", writeRepo(t, map[string]string{
			"platform.cue": apartPlatform,
			"tenants/a/tenant.cue": tenant + "notebooks: {\n\tlet img = \"jupyter-scipy\"\n\t[string]: resources: cpu: 1\n" +
				"\ta: image: img\n\tb: image: img\n\tc: {image: img, resources: cpu: 2}\n\td: image: img\n}\n",
		}), true},
		{"the platform files evaluated with the tenant", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform + "_img: \"jupyter-scipy\"\n",
			"tenants/a/tenant.cue": many + "notebooks: f: image: _img\n",
		}), true},
		{"definitions and hidden fields the declarations share", writeRepo(t, map[string]string{
			"platform.cue": apartPlatform,
			"tenants/a/tenant.cue": tenant + "#Small: {cpu: 1, memory: \"2Gi\"}\n_image: \"jupyter-scipy\"\n" +
				"notebooks: a: {image: _image, resources: #Small}\nnotebooks: b: {image: _image, resources: #Small}\n" +
				"notebooks: c: {image: _image}\nnotebooks: d: {image: \"jupyter-scipy\", resources: #Small & {gpu: 1}}\n",
		}), true},
		{"lets one shard uses, through each other", writeRepo(t, map[string]string{
			"platform.cue": apartPlatform,
			"tenants/a/tenant.cue": many + "let img = \"jupyter-scipy\"\nlet small = {cpu: 1}\nlet base = {image: img, resources: small}\n" +
				"notebooks: y: base\nnotebooks: z: base & {env: X: \"1\"}\n",
		}), true},
		{"a let nothing uses", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform,
			"tenants/a/tenant.cue": many + "let unused = 1\nlet img = \"jupyter-scipy\"\nnotebooks: z: image: img\n",
		}), true},
		{"an experiment reads a training job", writeRepo(t, map[string]string{
			"platform.cue": apartPlatform,
			"tenants/a/tenant.cue": many + `trainingJobs: t: {framework: "pytorch", image: "ghcr.io/x/t:1", command: ["python"], resources: {cpu: 1, memory: "1Gi"}}
experiments: e: {trial: trainingJobs.t, objective: {metric: "acc", type: "maximize"}, algorithm: "random", parameters: lr: {min: 0.1, max: 0.2}, maxTrials: 2, parallelTrials: 1}
`,
		}), true},
		{"a declaration reads another", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform,
			"tenants/a/tenant.cue": many + "notebooks: f: image: notebooks.a.image\n",
		}), false},
		{"a declaration reads a sibling", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform,
			"tenants/a/tenant.cue": many + "notebooks: {x: image: \"jupyter-scipy\", y: x}\n",
		}), false},
		{"a comprehension", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform,
			"tenants/a/tenant.cue": many + "for n in [\"x\", \"y\"] {notebooks: (n): image: \"jupyter-scipy\"}\n",
		}), false},
		{"a computed name", writeRepo(t, map[string]string{
			"platform.cue":         apartPlatform,
			"tenants/a/tenant.cue": many + "notebooks: {\"\\(tenant.owner)-x\": image: \"jupyter-scipy\"}\n",
		}), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			whole := evaluateInShards(t, c.dir, 0, 0)
			shards := evaluateInShards(t, c.dir, 2, 100)
			if len(whole) == 0 || len(whole) != len(shards) {
				t.Fatalf("%d tenants whole, %d in shards", len(whole), len(shards))
			}
			anySharded := false
			for name, want := range whole {
				got := shards[name]
				if want.shards != 1 {
					t.Errorf("tenant %s: %d shards with no shard size", name, want.shards)
				}
				anySharded = anySharded || got.shards > 1
				if got.diags != want.diags {
					t.Errorf("tenant %s: diagnostics in %d shards:\n%s\nwhole:\n%s", name, got.shards, got.diags, want.diags)
				}
				if !reflect.DeepEqual(got.decls, want.decls) || !reflect.DeepEqual(got.model, want.model) {
					t.Errorf("tenant %s: declarations in %d shards:\n%v\nwhole:\n%v", name, got.shards, got.decls, want.decls)
				}
				if !reflect.DeepEqual(got.located, want.located) {
					t.Errorf("tenant %s: positions in %d shards:\n%v\nwhole:\n%v", name, got.shards, got.located, want.located)
				}
			}
			if anySharded != c.sharded {
				t.Errorf("evaluated in shards: %v, want %v", anySharded, c.sharded)
			}
			if strings.HasPrefix(c.name, "errors") {
				for _, want := range []string{"tenant.quota.cpu", "notebooks.a.image", "notebooks.c.shm"} {
					if !strings.Contains(shards["a"].diags, want) {
						t.Errorf("no error at %s, of a shard or of what they share:\n%s", want, shards["a"].diags)
					}
				}
			}
		})
	}
}

// TestEntryOfPath: the declaration a diagnostic's path is about, as mlc and CUE write
// paths.
func TestEntryOfPath(t *testing.T) {
	for _, c := range []struct{ path, field, name string }{
		{`notebooks."nb-1".resources.cpu`, "notebooks", "nb-1"},
		{`notebooks.nb-1.resources`, "notebooks", "nb-1"},
		{`notebooks.dev`, "notebooks", "dev"},
		{`notebooks."a.b".image`, "notebooks", "a.b"},
	} {
		field, name, ok := entryOfPath(c.path)
		if !ok || field != c.field || name != c.name {
			t.Errorf("entryOfPath(%s) = %q, %q, %v; want %q, %q", c.path, field, name, ok, c.field, c.name)
		}
	}
	if _, _, ok := entryOfPath("tenant"); ok {
		t.Errorf("entryOfPath(tenant) found a declaration")
	}
}
