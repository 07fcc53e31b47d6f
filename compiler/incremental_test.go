package compiler_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/emit"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// compileTree compiles dir, which must be free of errors, and builds its tree.
func compileTree(t *testing.T, dir string, opts compiler.Options) (*emit.Tree, *compiler.Result) {
	t.Helper()
	res, err := compiler.Compile(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	tree, err := emit.Build(res)
	if err != nil {
		t.Fatal(err)
	}
	return tree, res
}

// rendered compiles dir and returns every file of its tree and the compilation.
func rendered(t *testing.T, dir string, opts compiler.Options) (string, *compiler.Result) {
	t.Helper()
	tree, res := compileTree(t, dir, opts)
	var b strings.Builder
	for _, f := range tree.Files {
		b.WriteString("# " + f.Path + "\n")
		b.Write(f.Data)
	}
	return b.String(), res
}

// copyDir copies a repository, so that a test may change it.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "repo")
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

// allowLiteralCredentials lowers literal credentials to warnings in the repository, so
// that warningJob compiles.
func allowLiteralCredentials(t *testing.T, repo string) {
	t.Helper()
	appendFile(t, filepath.Join(repo, "platform.cue"), "\npolicy: secrets: literalCredentials: \"warning\"\n")
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// A training job whose environment looks like it holds a secret: a warning where the
// platform allows it (allowLiteralCredentials), which a cached tenant must still report,
// at its line.
const warningJob = `
trainingJobs: "leaky": {
	framework: "pytorch"
	image:     "ghcr.io/example/train:1.0"
	command: ["torchrun", "train.py"]
	env: API_TOKEN: "hunter2"
	resources: {cpu: 1, memory: "4Gi"}
}
`

// TestCachedOutputIsIdentical renders cold, then warm, then after a change to one
// tenant, and compares each with a render without the cache: same bytes, same
// diagnostics, and only what changed is evaluated again.
func TestCachedOutputIsIdentical(t *testing.T) {
	synthetic := t.TempDir()
	if err := synth.Write(synthetic, synth.Spec{Tenants: 6, Notebooks: 3, Endpoints: 3, TrainingJobs: 2, Experiments: 1, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{"quickstart": filepath.Join("..", "examples", "quickstart"), "synthetic": synthetic} {
		t.Run(name, func(t *testing.T) {
			repo := copyDir(t, src)
			tenants, _ := filepath.Glob(filepath.Join(repo, "tenants", "*", "tenant.cue"))
			appendFile(t, tenants[0], warningJob)
			allowLiteralCredentials(t, repo)
			cached := compiler.Options{CacheDir: t.TempDir()}

			compare := func(step string, wantEvaluated int) {
				t.Helper()
				cold, coldRes := rendered(t, repo, compiler.Options{NoCache: true})
				got, res := rendered(t, repo, cached)
				if got != cold {
					t.Errorf("%s: the output differs from a render without the cache", step)
				}
				if !reflect.DeepEqual(res.Diagnostics, coldRes.Diagnostics) || len(res.Diagnostics) == 0 {
					t.Errorf("%s: diagnostics %v, want %v", step, res.Diagnostics, coldRes.Diagnostics)
				}
				if res.Stats.Evaluated != wantEvaluated || res.Stats.Cached != len(tenants)-wantEvaluated {
					t.Errorf("%s: %d tenants evaluated, %d cached; want %d evaluated", step, res.Stats.Evaluated, res.Stats.Cached, wantEvaluated)
				}
			}
			compare("cold", len(tenants))
			compare("warm", 0)
			appendFile(t, tenants[len(tenants)-1], "\n// a comment is a change too\n")
			compare("one tenant changed", 1)
			compare("warm again", 0)

			// Another copy (as mlc diff exports a revision) shares the entries.
			if _, res := rendered(t, copyDir(t, repo), cached); res.Stats.Evaluated != 0 {
				t.Errorf("a copy of the repository evaluated %d tenants", res.Stats.Evaluated)
			}
			appendFile(t, filepath.Join(repo, "platform.cue"), "\n// platform files are every tenant's input\n")
			compare("platform changed", len(tenants))
		})
	}
}

// TestCacheFollowsTheSelection: a tenant compiled for one cluster is not reused for a
// selection of clusters with another lowering target.
func TestCacheFollowsTheSelection(t *testing.T) {
	repo := t.TempDir()
	if err := synth.Write(repo, synth.Spec{Tenants: 2, Notebooks: 1, TrainingJobs: 2, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	for _, clusters := range [][]string{{"cluster-0"}, {"cluster-1"}, {"cluster-0", "cluster-1"}} {
		opts := compiler.Options{Clusters: clusters, CacheDir: cacheDir}
		got, res := rendered(t, repo, opts)
		if res.Stats.Evaluated != 2 {
			t.Errorf("%v: %d evaluated, want 2", clusters, res.Stats.Evaluated)
		}
		opts.NoCache = true
		if want, _ := rendered(t, repo, opts); got != want {
			t.Errorf("%v: the output differs from a render without the cache", clusters)
		}
	}
}

// TestCorruptCacheEntries: entries that cannot be read are misses, and rewritten.
func TestCorruptCacheEntries(t *testing.T) {
	repo := filepath.Join("..", "examples", "quickstart")
	cached := compiler.Options{CacheDir: t.TempDir()}
	want, _ := rendered(t, repo, compiler.Options{NoCache: true})
	rendered(t, repo, cached)
	n := 0
	err := filepath.WalkDir(cached.CacheDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "trimmed" {
			return err
		}
		n++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(p, b[:len(b)/2], 0o644)
	})
	if err != nil || n == 0 {
		t.Fatalf("%d entries: %v", n, err)
	}
	for _, wantEvaluated := range []int{2, 0} {
		got, res := rendered(t, repo, cached)
		if got != want {
			t.Errorf("the output differs after corrupting the cache")
		}
		if res.Stats.Evaluated != wantEvaluated {
			t.Errorf("%d tenants evaluated, want %d", res.Stats.Evaluated, wantEvaluated)
		}
	}
	// An unusable cache directory is no cache at all, not a failure.
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := rendered(t, repo, compiler.Options{CacheDir: filepath.Join(blocked, "cache")}); got != want {
		t.Errorf("the output differs with an unusable cache directory")
	}
}

// TestParallelMatchesSequential: the number of workers never shows in the output.
func TestParallelMatchesSequential(t *testing.T) {
	repo := t.TempDir()
	if err := synth.Write(repo, synth.Spec{Tenants: 12, Notebooks: 2, Endpoints: 2, TrainingJobs: 2, Experiments: 1, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	one, _ := rendered(t, repo, compiler.Options{Workers: 1, NoCache: true})
	for _, w := range []int{2, 5} {
		if got, _ := rendered(t, repo, compiler.Options{Workers: w, NoCache: true}); got != one {
			t.Errorf("%d workers give other output than one", w)
		}
	}
}

// TestStats: a line per tenant, slowest first, with its objects.
func TestStats(t *testing.T) {
	_, res := rendered(t, filepath.Join("..", "examples", "quickstart"), compiler.Options{NoCache: true})
	s := res.Stats
	if len(s.Tenants) != 2 || s.Evaluated != 2 || s.Total <= 0 {
		t.Fatalf("stats: %+v", s)
	}
	if s.Tenants[0].Time() < s.Tenants[1].Time() || s.Tenants[0].Objects == 0 {
		t.Errorf("not slowest first, or no objects: %+v", s.Tenants)
	}
	var b bytes.Buffer
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "total: 2 tenants (2 evaluated, 0 from the cache)") {
		t.Errorf("stats table:\n%s", b.String())
	}
}

// TestTenantNotOnCluster: selecting a tenant that the selected cluster does not run is
// a usage error that says where the tenant runs.
func TestTenantNotOnCluster(t *testing.T) {
	_, err := compiler.Compile(context.Background(), filepath.Join("..", "examples", "quickstart"),
		compiler.Options{Clusters: []string{"staging"}, Tenants: []string{"nlp"}, NoCache: true})
	var usage *compiler.UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), `cluster staging does not run tenant "nlp"; it runs on prod`) {
		t.Errorf("got %v", err)
	}
}

// renderTo compiles repo as mlc render -o out does, and writes its tree into out.
func renderTo(t *testing.T, repo string, opts compiler.Options, out string) *compiler.Result {
	t.Helper()
	tree, res := compileTree(t, repo, opts)
	if err := tree.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	return res
}

// dirFiles returns every file under dir, relative, with its mode and bytes.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[rel] = info.Mode().String() + "\n" + string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sameAsCold checks that out holds, byte for byte and mode for mode, what a render of
// repo without the cache writes into an empty directory.
func sameAsCold(t *testing.T, step, repo, out string) {
	t.Helper()
	cold := t.TempDir()
	renderTo(t, repo, compiler.Options{NoCache: true}, cold)
	if got, want := dirFiles(t, out), dirFiles(t, cold); !reflect.DeepEqual(got, want) {
		for rel := range want {
			if got[rel] != want[rel] {
				t.Errorf("%s: %s differs from a cold render's", step, rel)
			}
		}
		t.Errorf("%s: the directory differs from a cold render's (%d files, want %d)", step, len(got), len(want))
	}
}

// TestWarmRenderDirIsCold renders into one directory again and again, with the cache
// and the objects' YAML kept in it, as mlc render -o DIR does, and compares every byte
// of the directory with a render without the cache into an empty one: after nothing
// changed, after one tenant changed one object, after one tenant gained a notebook.
func TestWarmRenderDirIsCold(t *testing.T) {
	repo := t.TempDir()
	if err := synth.Write(repo, synth.Spec{Tenants: 6, Notebooks: 2, Endpoints: 1, TrainingJobs: 2, Experiments: 1, Pipelines: 1, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cached := compiler.Options{CacheDir: t.TempDir()}
	tenant := filepath.Join(repo, "tenants", synth.TenantName(3))
	compare := func(step string, wantEvaluated int) {
		t.Helper()
		res := renderTo(t, repo, cached, out)
		if res.Stats.Evaluated != wantEvaluated {
			t.Errorf("%s: %d tenants evaluated, want %d", step, res.Stats.Evaluated, wantEvaluated)
		}
		sameAsCold(t, step, repo, out)
	}
	compare("cold", 6)
	compare("warm", 0)
	nb := filepath.Join(tenant, "notebooks.cue")
	b, err := os.ReadFile(nb)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"offline"`)) {
		t.Fatal("the synthetic notebook has no WANDB_MODE to change")
	}
	if err := os.WriteFile(nb, bytes.Replace(b, []byte(`"offline"`), []byte(`"online"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	compare("one object changed", 1)
	appendFile(t, nb, "\nnotebooks: \"nb-extra\": {\n\timage: \"jupyter-pytorch-cuda\"\n\tresources: {cpu: 1, memory: \"4Gi\"}\n}\n")
	compare("a notebook added", 1)
	compare("warm again", 0)
}

// TestCacheKeepsYAML: the cache keeps each object's YAML, and a tenant read from it
// gives the same output; an entry whose YAML is damaged is a miss, compiled again, with
// the same output.
func TestCacheKeepsYAML(t *testing.T) {
	repo := filepath.Join("..", "examples", "quickstart")
	want, _ := rendered(t, repo, compiler.Options{NoCache: true})
	cacheDir := t.TempDir()
	opts := compiler.Options{CacheDir: cacheDir}
	for _, wantEvaluated := range []int{2, 0} {
		if got, res := rendered(t, repo, opts); got != want || res.Stats.Evaluated != wantEvaluated {
			t.Errorf("same output %v, %d evaluated, want %d", got == want, res.Stats.Evaluated, wantEvaluated)
		}
	}
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "??", "*"))
	if len(entries) != 2 {
		t.Fatalf("%d entries", len(entries))
	}
	for _, p := range entries {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, []byte("apiVersion: "))
		if i < 0 {
			t.Fatalf("%s holds no YAML", p)
		}
		b[i+len("apiVersion: ")] ^= 0x20
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, wantEvaluated := range []int{2, 0} {
		if got, res := rendered(t, repo, opts); got != want || res.Stats.Evaluated != wantEvaluated {
			t.Errorf("damaged YAML: same output %v, %d evaluated, want %d", got == want, res.Stats.Evaluated, wantEvaluated)
		}
	}
}

// TestKnownValidObjectsAreNotValidatedAgain: a tenant compiled again after a change
// validates only the objects that changed; the others are the very objects the same mlc
// validated when the tenant was compiled last, and the output is the same as a cold
// compilation's.
func TestKnownValidObjectsAreNotValidatedAgain(t *testing.T) {
	repo := t.TempDir()
	if err := synth.Write(repo, synth.ForWorkloads(3, 10)); err != nil {
		t.Fatal(err)
	}
	tenant := synth.TenantName(1)
	_, cold := rendered(t, repo, compiler.Options{NoCache: true, Tenants: []string{tenant}})
	all := cold.Stats.Validated
	if all == 0 || cold.Stats.KnownValid != 0 {
		t.Fatalf("cold: %d validated, %d known valid", all, cold.Stats.KnownValid)
	}
	cached := compiler.Options{CacheDir: t.TempDir()}
	if _, res := rendered(t, repo, cached); res.Stats.KnownValid != 0 {
		t.Fatalf("first compilation: %d objects known valid", res.Stats.KnownValid)
	}
	notebooks := filepath.Join(repo, "tenants", tenant, "notebooks.cue")
	b, err := os.ReadFile(notebooks)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name   string
		change func()
		// validated: how many objects are validated again; -1: some, not all.
		validated int
	}{
		{"a comment", func() { appendFile(t, notebooks, "// a comment\n") }, 0},
		{"a notebook's CPU", func() {
			changed := strings.Replace(string(b), "cpu: 2,", "cpu: 3,", 1)
			if changed == string(b) {
				t.Fatal("no notebook with 2 CPUs")
			}
			if err := os.WriteFile(notebooks, []byte(changed), 0o644); err != nil {
				t.Fatal(err)
			}
		}, -1},
	} {
		step.change()
		got, res := rendered(t, repo, cached)
		want, _ := rendered(t, repo, compiler.Options{NoCache: true})
		if got != want {
			t.Errorf("%s: the output differs from a cold compilation's", step.name)
		}
		s := res.Stats
		if s.Evaluated != 1 || s.Validated+s.KnownValid != all {
			t.Errorf("%s: %d tenants evaluated, %d + %d objects validated and known valid, want 1 and %d in all", step.name, s.Evaluated, s.Validated, s.KnownValid, all)
		}
		if step.validated >= 0 && s.Validated != step.validated || step.validated < 0 && (s.Validated == 0 || s.KnownValid == 0) {
			t.Errorf("%s: %d objects validated again, %d known valid", step.name, s.Validated, s.KnownValid)
		}
	}
}

// TestStatIndexSeesEdits: the files the repository's stat index vouches for are not
// read again, yet an edit is always seen, even one that keeps the file's size and
// modification time; and the output is a cold compilation's. The clock is set an hour
// ahead, so that the index trusts the stats of files just written.
func TestStatIndexSeesEdits(t *testing.T) {
	defer compiler.SetClock(func() time.Time { return time.Now().Add(time.Hour) })()
	repo := t.TempDir()
	if err := synth.Write(repo, synth.ForWorkloads(3, 10)); err != nil {
		t.Fatal(err)
	}
	cached := compiler.Options{CacheDir: t.TempDir()}
	rendered(t, repo, cached)
	notebooks := filepath.Join(repo, "tenants", synth.TenantName(2), "notebooks.cue")
	b, err := os.ReadFile(notebooks)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(notebooks)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name      string
		change    func()
		evaluated int
		// read are the tenant files read (the platform files are read every time).
		read int64
	}{
		{"nothing", func() {}, 0, 0},
		{"same size and time", func() {
			changed := strings.Replace(string(b), "cpu: 2,", "cpu: 3,", 1)
			if changed == string(b) {
				t.Fatal("no notebook with 2 CPUs")
			}
			if err := os.WriteFile(notebooks, []byte(changed), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(notebooks, st.ModTime(), st.ModTime()); err != nil {
				t.Fatal(err)
			}
		}, 1, 1 + 4}, // the edited file to sum it, then the tenant's other files
		{"nothing again", func() {}, 0, 0},
	} {
		step.change()
		before := compiler.TenantFilesRead()
		got, res := rendered(t, repo, cached)
		read := compiler.TenantFilesRead() - before
		if want, _ := rendered(t, repo, compiler.Options{NoCache: true}); got != want {
			t.Errorf("%s: the output differs from a cold compilation's", step.name)
		}
		if res.Stats.Evaluated != step.evaluated || read != step.read {
			t.Errorf("%s: %d tenants evaluated, %d tenant files read; want %d and %d", step.name, res.Stats.Evaluated, read, step.evaluated, step.read)
		}
	}
}

// TestBootstrapKnownValid: a cluster's Flux bootstrap, compiled from the platform files
// alone, is validated once by an mlc and then known valid, until it changes; the output
// is the same either way.
func TestBootstrapKnownValid(t *testing.T) {
	repo := copyDir(t, filepath.Join("..", "examples", "quickstart"))
	cached := compiler.Options{CacheDir: t.TempDir()}
	want, cold := rendered(t, repo, compiler.Options{NoCache: true})
	if cold.Stats.PlatformValidated == 0 || cold.Stats.PlatformKnownValid != 0 {
		t.Fatalf("without cache: %d bootstrap objects validated, %d known valid", cold.Stats.PlatformValidated, cold.Stats.PlatformKnownValid)
	}
	for i, wantValidated := range []bool{true, false} {
		got, res := rendered(t, repo, cached)
		if got != want {
			t.Errorf("run %d: the tree differs from one compiled without cache", i)
		}
		if validated := res.Stats.PlatformValidated > 0; validated != wantValidated || !wantValidated && res.Stats.PlatformKnownValid != cold.Stats.PlatformValidated {
			t.Errorf("run %d: %d bootstrap objects validated, %d known valid", i, res.Stats.PlatformValidated, res.Stats.PlatformKnownValid)
		}
	}
	// Another pull secret for Flux: other objects, validated again.
	platform := filepath.Join(repo, "platform.cue")
	b, err := os.ReadFile(platform)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(b), `pullSecret:       "registry-credentials"`, `pullSecret:       "registry-login"`, 1)
	if changed == string(b) {
		t.Fatalf("no Flux pull secret in %s", platform)
	}
	if err := os.WriteFile(platform, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, res := rendered(t, repo, cached); res.Stats.PlatformValidated == 0 {
		t.Errorf("a changed bootstrap was not validated")
	}
}

// TestRenderOverEditedTree renders as mlc render -o DIR does, over the tree written
// before with its index. The directory is byte for byte a cold render's after nothing
// changed, after one tenant changed, after files and a whole folder were edited or
// removed by hand, and without an index.
func TestRenderOverEditedTree(t *testing.T) {
	repo := t.TempDir()
	if err := synth.Write(repo, synth.Spec{Tenants: 5, Notebooks: 2, Endpoints: 1, TrainingJobs: 1, Pipelines: 1, Clusters: 2}); err != nil {
		t.Fatal(err)
	}
	cacheDir, out := t.TempDir(), t.TempDir()
	index := filepath.Join(t.TempDir(), "tree-index")
	render := func(step string) {
		t.Helper()
		res, err := compiler.Compile(context.Background(), repo, compiler.Options{CacheDir: cacheDir})
		if err != nil || res.Diagnostics.HasErrors() {
			t.Fatalf("%s: %v %v", step, err, res.Diagnostics)
		}
		tree, err := emit.Build(res)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if err := tree.WriteDir(out, emit.WithIndex(index)); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		sameAsCold(t, step, repo, out)
	}
	render("cold")
	render("warm")
	appendFile(t, filepath.Join(repo, "tenants", synth.TenantName(2), "tenant.cue"), "\n// a comment\n")
	render("one tenant changed")
	render("warm again")

	cluster := "cluster-0"
	workloads := filepath.Join(out, cluster, emit.TenantsDir, synth.TenantName(1))
	names, err := os.ReadDir(workloads)
	if err != nil || len(names) < 3 {
		t.Fatalf("%s: %v %v", workloads, names, err)
	}
	if err := os.WriteFile(filepath.Join(workloads, names[len(names)-1].Name()), []byte("edited: by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	appendFile(t, filepath.Join(out, cluster, emit.PlatformDir, synth.TenantName(3), emit.KustomizationFile), "# edited\n")
	if err := os.RemoveAll(filepath.Join(out, cluster, emit.TenantsDir, synth.TenantName(4))); err != nil {
		t.Fatal(err)
	}
	render("files edited and removed")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	render("the whole tree removed")
	if err := os.Remove(index); err != nil {
		t.Fatal(err)
	}
	render("no index")
}
