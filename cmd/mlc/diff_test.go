package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/diff"
	"github.com/mlc-gitops/mlc/compiler/gitrev/gittest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/diff")

// platformDir is where the tests put the platform repository in the git repository: a
// subdirectory, as in a repository that holds more than the platform.
const platformDir = "deploy/ml"

// quickstartRepo makes a git repository whose first commit holds examples/quickstart
// in deploy/ml, and returns it with the platform's directory.
func quickstartRepo(t *testing.T) (*gittest.Repo, string) {
	t.Helper()
	gittest.Isolate(t)
	g := gittest.New(t)
	g.Write("README.md", "A repository that holds a platform, and more.\n")
	g.CopyDir(filepath.Join("..", "..", "examples", "quickstart"), platformDir)
	g.Commit("quickstart")
	return g, filepath.Join(g.Dir, filepath.FromSlash(platformDir))
}

// edit replaces old with new, once, in a file of the platform; the test fails if old
// is not there (the quickstart changed: update the test).
func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(file))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(b), old) != 1 {
		t.Fatalf("%s does not hold %q once: examples/quickstart changed; update this test", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// deleteBlock removes the lines from the one that starts with start to the first line
// after it that is exactly end.
func deleteBlock(t *testing.T, dir, file, start, end string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(file))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	from := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, start) })
	if from < 0 {
		t.Fatalf("%s has no line %q: examples/quickstart changed; update this test", file, start)
	}
	to := slices.Index(lines[from:], end+"\n")
	if to < 0 {
		t.Fatalf("%s has no %q after %q", file, end, start)
	}
	if err := os.WriteFile(p, []byte(strings.Join(slices.Delete(lines, from, from+to+1), "")), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, dir, file, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// jsonReport is what the tests read of the JSON form.
type jsonReport struct {
	Schema string
	Dir    string
	Base   struct {
		Ref, Commit, State string
		Diagnostics        []struct{ Severity, Message string }
	}
	Head struct {
		Ref, Commit, State string
		Diagnostics        []struct {
			Position struct {
				File         string
				Line, Column int
			}
			Message string
		}
	}
	Totals   struct{ Added, Removed, Changed int }
	Callouts []struct{ Rule, Cluster, Tenant, Op, Kind, Name, Note string }
	Changes  []struct {
		Cluster, Tenant, Op, Kind, Name string
		Replaces, ReplacedBy            string
		Fields                          []struct{ Path, Op string }
	}
}

func parseReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return r
}

// changeSet lists "cluster tenant op Kind name" per changed object.
func (r jsonReport) changeSet() []string {
	var out []string
	for _, c := range r.Changes {
		out = append(out, strings.Join([]string{c.Cluster, c.Tenant, c.Op, c.Kind, c.Name}, " "))
	}
	return out
}

// calloutSet lists "rule cluster op Kind name" per callout.
func (r jsonReport) calloutSet() []string {
	var out []string
	for _, c := range r.Callouts {
		out = append(out, strings.Join([]string{c.Rule, c.Cluster, c.Op, c.Kind, c.Name}, " "))
	}
	return out
}

// fieldPaths lists the changed fields of one object.
func (r jsonReport) fieldPaths(cluster, kind, name string) []string {
	var out []string
	for _, c := range r.Changes {
		if c.Cluster == cluster && c.Kind == kind && c.Name == name {
			for _, f := range c.Fields {
				out = append(out, f.Op+" "+f.Path)
			}
		}
	}
	return out
}

// contains reports whether every string of want is in got, in the same order.
func contains(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// golden compares got with testdata/diff/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "diff", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/mlc -run TestDiff -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (review, then run with -update):\n--- want\n%s\n--- got\n%s", p, want, got)
	}
}

// diffAll runs mlc diff in each format, checks each against its golden file, requires
// the same bytes from a second run, and returns the JSON report. The golden files name
// the base commit <base>: its hash changes with any file of examples/quickstart.
func diffAll(t *testing.T, g *gittest.Repo, name string, args ...string) jsonReport {
	t.Helper()
	var report jsonReport
	for _, format := range []struct{ flag, ext string }{{"text", "txt"}, {"markdown", "md"}, {"json", "json"}} {
		argv := append([]string{"diff", "--format", format.flag, "--color", "never"}, args...)
		code, out, errs := mlc(t, argv...)
		if code != 0 {
			t.Fatalf("mlc %s: exit %d: %s", strings.Join(argv, " "), code, errs)
		}
		if _, again, _ := mlc(t, argv...); again != out {
			t.Errorf("%s: a second run printed different bytes", format.flag)
		}
		if format.flag == "json" {
			report = parseReport(t, out)
		}
		base := g.Git("rev-parse", "HEAD")
		golden(t, name+"."+format.ext, strings.NewReplacer(base, "<base>", base[:12], "<base>").Replace(out))
	}
	return report
}

// TestDiffScenarios edits the quickstart in the working tree as a pull request would
// and checks what mlc diff reports against HEAD, in the three formats.
func TestDiffScenarios(t *testing.T) {
	scenarios := []struct {
		name string
		edit func(t *testing.T, dir string)
		// changes and callouts are what the report lists, or with someChanges what it
		// lists among others.
		changes, callouts []string
		someChanges       bool
		check             func(t *testing.T, r jsonReport)
	}{
		{
			name: "add-tenant",
			edit: func(t *testing.T, dir string) {
				writeFile(t, dir, "tenants/audio/tenant.cue", `package ml

tenant: {
	owner: "frank@example.com"
	contributors: "grace@example.com": "edit"
	quota: {cpu: 16, memory: "64Gi", gpu: 2}
}

notebooks: "speech": {
	image: "jupyter-pytorch-cuda"
	resources: {cpu: 4, memory: "16Gi", gpu: 1}
	workspace: size: "30Gi"
}
`)
			},
			// Among the new tenant's objects (Flux wiring aside), with their callouts.
			someChanges: true,
			changes: []string{
				"prod audio added Profile audio",
				"prod audio added RoleBinding user-grace-example-com-clusterrole-edit",
				"prod audio added AuthorizationPolicy user-grace-example-com-clusterrole-edit",
				"prod audio added PersistentVolumeClaim speech-workspace",
				"prod audio added Notebook speech",
			},
			callouts: []string{
				"access prod added RoleBinding user-grace-example-com-clusterrole-edit",
				"access prod added AuthorizationPolicy user-grace-example-com-clusterrole-edit",
				"quota prod added Profile audio",
				"gpu prod added Notebook speech",
			},
			check: func(t *testing.T, r jsonReport) {
				for _, c := range r.Changes {
					if c.Cluster != "prod" || c.Tenant != "audio" || c.Op != "added" {
						t.Errorf("only the new tenant's objects are added in prod: %+v", c)
					}
				}
			},
		},
		{
			name: "notebook-gpus",
			edit: func(t *testing.T, dir string) {
				edit(t, dir, "tenants/vision/notebooks.cue", `resources: {cpu: 4, memory: "16Gi", gpu: 1, gpuType: ["a100", "h100"]}`, `resources: {cpu: 4, memory: "16Gi", gpu: 2, gpuType: ["a100", "h100"]}`)
			},
			changes: []string{"prod vision changed Notebook alice-dev", "staging vision changed Notebook alice-dev"},
			callouts: []string{
				"gpu prod changed Notebook alice-dev",
				"gpu staging changed Notebook alice-dev",
			},
			check: func(t *testing.T, r jsonReport) {
				want := []string{`changed spec.template.spec.containers[name=alice-dev].resources.limits["nvidia.com/gpu"]`}
				if got := r.fieldPaths("prod", "Notebook", "alice-dev"); !slices.Equal(got, want) {
					t.Errorf("fields %q, want %q", got, want)
				}
			},
		},
		{
			name: "delete-notebook",
			edit: func(t *testing.T, dir string) {
				deleteBlock(t, dir, "tenants/vision/notebooks.cue", "\t\"eval\": {", "\t}")
			},
			changes: []string{
				"prod vision removed PersistentVolumeClaim eval-datavol-scratch",
				"prod vision removed PersistentVolumeClaim eval-workspace",
				"prod vision removed Notebook eval",
				"staging vision removed PersistentVolumeClaim eval-datavol-scratch",
				"staging vision removed PersistentVolumeClaim eval-workspace",
				"staging vision removed Notebook eval",
			},
			callouts: []string{
				"data prod removed PersistentVolumeClaim eval-datavol-scratch",
				"data prod removed PersistentVolumeClaim eval-workspace",
				"data prod removed Notebook eval",
				"data staging removed PersistentVolumeClaim eval-datavol-scratch",
				"data staging removed PersistentVolumeClaim eval-workspace",
				"data staging removed Notebook eval",
			},
			check: func(t *testing.T, r jsonReport) {
				notes := map[string]string{}
				for _, c := range r.Callouts {
					notes[c.Name] = c.Note
				}
				if !strings.Contains(notes["eval-datavol-scratch"], "Flux deletes the claim and the data") || !strings.Contains(notes["eval-workspace"], "Flux keeps it") {
					t.Errorf("a kept claim and a deleted one must be told apart: %q", notes)
				}
			},
		},
		{
			name: "contributors",
			edit: func(t *testing.T, dir string) {
				edit(t, dir, "tenants/vision/tenant.cue", `"carol@example.com": "view"`, `"carol@example.com": "edit"
		"dave@example.com":  "view"`)
			},
			changes: []string{
				"prod vision added RoleBinding user-carol-example-com-clusterrole-edit",
				"prod vision removed RoleBinding user-carol-example-com-clusterrole-view",
				"prod vision added RoleBinding user-dave-example-com-clusterrole-view",
				"prod vision added AuthorizationPolicy user-carol-example-com-clusterrole-edit",
				"prod vision removed AuthorizationPolicy user-carol-example-com-clusterrole-view",
				"prod vision added AuthorizationPolicy user-dave-example-com-clusterrole-view",
				"staging vision added RoleBinding user-carol-example-com-clusterrole-edit",
				"staging vision removed RoleBinding user-carol-example-com-clusterrole-view",
				"staging vision added RoleBinding user-dave-example-com-clusterrole-view",
				"staging vision added AuthorizationPolicy user-carol-example-com-clusterrole-edit",
				"staging vision removed AuthorizationPolicy user-carol-example-com-clusterrole-view",
				"staging vision added AuthorizationPolicy user-dave-example-com-clusterrole-view",
			},
			check: func(t *testing.T, r jsonReport) {
				var notes []string
				for _, c := range r.Callouts {
					if c.Rule != "access" {
						t.Errorf("unexpected callout %+v", c)
					}
					if c.Cluster == "prod" && c.Kind == "RoleBinding" {
						notes = append(notes, c.Op+": "+c.Note)
					}
				}
				want := []string{"added: user carol@example.com, role edit", "removed: user carol@example.com, role view", "added: user dave@example.com, role view"}
				if !slices.Equal(notes, want) || len(r.Callouts) != 12 {
					t.Errorf("%d callouts; prod RoleBindings %q, want %q", len(r.Callouts), notes, want)
				}
			},
		},
		{
			name: "canary-traffic",
			edit: func(t *testing.T, dir string) {
				edit(t, dir, "tenants/vision/serving.cue", `canary: {storageUri: "s3://models/resnet/v4", traffic: 10}`, `canary: {storageUri: "s3://models/resnet/v4", traffic: 50}`)
			},
			changes:  []string{"prod vision changed InferenceService resnet", "staging vision changed InferenceService resnet"},
			callouts: []string{"traffic prod changed InferenceService resnet", "traffic staging changed InferenceService resnet"},
			check: func(t *testing.T, r jsonReport) {
				want := []string{"changed spec.predictor.canaryTrafficPercent"}
				if got := r.fieldPaths("prod", "InferenceService", "resnet"); !slices.Equal(got, want) {
					t.Errorf("fields %q, want %q", got, want)
				}
			},
		},
		{
			name: "image",
			edit: func(t *testing.T, dir string) {
				edit(t, dir, "tenants/vision/notebooks.cue", `image: "ghcr.io/example/eval-notebook:2.1.0"`, `image: "ghcr.io/example/eval-notebook:2.2.0"`)
			},
			changes:  []string{"prod vision changed Notebook eval", "staging vision changed Notebook eval"},
			callouts: []string{"image prod changed Notebook eval", "image staging changed Notebook eval"},
			check: func(t *testing.T, r jsonReport) {
				want := []string{"changed spec.template.spec.containers[name=eval].image"}
				if got := r.fieldPaths("staging", "Notebook", "eval"); !slices.Equal(got, want) {
					t.Errorf("fields %q, want %q", got, want)
				}
			},
		},
		{
			// A pipeline step's new image and GPUs make a new version; reviewers see both.
			name: "pipeline-step-image-gpu",
			edit: func(t *testing.T, dir string) {
				edit(t, dir, "tenants/vision/pipelines.cue", `image: "ghcr.io/example/vision-train:1.4.2"`, `image: "ghcr.io/example/vision-train:1.5.0"`)
				edit(t, dir, "tenants/vision/pipelines.cue", `resources: {cpu: 8, memory: "64Gi", gpu: 1, gpuType: ["h100", "a100"]}`, `resources: {cpu: 8, memory: "64Gi", gpu: 2, gpuType: ["h100", "a100"]}`)
			},
			someChanges: true,
			changes:     []string{"prod vision removed PipelineVersion nightly-9915f8de6b", "staging vision changed CronJob nightly"},
			check: func(t *testing.T, r jsonReport) {
				for _, want := range []string{"gpu", "image"} {
					found := false
					for _, c := range r.Callouts {
						found = found || c.Rule == want && c.Kind == "PipelineVersion"
					}
					if !found {
						t.Errorf("no %s callout for the new pipeline version: %+v", want, r.Callouts)
					}
				}
			},
		},
		{
			// A renamed step is a new pipeline spec: KFP never changes a version, so a new
			// PipelineVersion replaces the old one, and the schedule starts the new one.
			name: "rename-pipeline-step",
			edit: func(t *testing.T, dir string) {
				edit(t, dir, "tenants/vision/pipelines.cue", "\t\tprep: {\n", "\t\tpreprocess: {\n")
				edit(t, dir, "tenants/vision/pipelines.cue", `dataset: {task: "prep", output: "dataset"}`, `dataset: {task: "preprocess", output: "dataset"}`)
			},
			changes: []string{
				"prod vision changed CronJob nightly",
				"prod vision added PipelineVersion nightly-7aa6e878b9",
				"prod vision removed PipelineVersion nightly-9915f8de6b",
				"staging vision changed CronJob nightly",
				"staging vision removed PipelineVersion nightly-0f8f40b6be",
				"staging vision added PipelineVersion nightly-935073dac8",
			},
			check: func(t *testing.T, r jsonReport) {
				// Staging's H100s make its versions differ from prod's.
				before := map[string]string{"prod": "nightly-9915f8de6b", "staging": "nightly-0f8f40b6be"}
				after := map[string]string{"prod": "nightly-7aa6e878b9", "staging": "nightly-935073dac8"}
				for _, c := range r.Changes {
					switch {
					case c.Kind != "PipelineVersion":
					case c.Op == "added" && c.Replaces != before[c.Cluster], c.Op == "removed" && c.ReplacedBy != after[c.Cluster]:
						t.Errorf("%s %s: replaces %q, replaced by %q", c.Op, c.Name, c.Replaces, c.ReplacedBy)
					}
				}
				paths := r.fieldPaths("prod", "PipelineVersion", "nightly-7aa6e878b9")
				for _, want := range []string{
					"removed spec.pipelineSpec.components.comp-exit-handler-1.dag.tasks.prep",
					"added spec.pipelineSpec.components.comp-exit-handler-1.dag.tasks.preprocess",
					"changed spec.pipelineSpec.components.comp-exit-handler-1.dag.tasks.train.dependentTasks",
				} {
					if !slices.Contains(paths, want) {
						t.Errorf("the new version's fields %q lack %q", paths, want)
					}
				}
				if slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(p, "metadata.name") }) {
					t.Errorf("the new version's name shows as a changed field: %q", paths)
				}
			},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			g, dir := quickstartRepo(t)
			status := g.Git("status", "--porcelain")
			if status != "" {
				t.Fatalf("the new repository is not clean: %s", status)
			}
			sc.edit(t, dir)
			status = g.Git("status", "--porcelain")
			r := diffAll(t, g, sc.name, dir)
			if got := g.Git("status", "--porcelain"); got != status {
				t.Errorf("mlc diff changed the work tree or the index:\n%s\nwas:\n%s", got, status)
			}
			if r.Schema != "mlc.diff/v1" || r.Dir != platformDir || r.Base.Ref != "HEAD" || r.Base.State != "compiled" || r.Head.State != "compiled" || r.Head.Commit != "" {
				t.Errorf("report header: %+v", r)
			}
			same := slices.Equal[[]string]
			if sc.someChanges {
				same = contains
			}
			if got := r.changeSet(); !same(got, sc.changes) {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(sc.changes, "\n"))
			}
			if sc.callouts != nil {
				if got := r.calloutSet(); !same(got, sc.callouts) {
					t.Errorf("callouts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(sc.callouts, "\n"))
				}
			}
			if sc.check != nil {
				sc.check(t, r)
			}

			// Committed, the same change between two commits gives the same objects.
			g.Commit(sc.name)
			code, out, errs := mlc(t, "diff", dir, "--base", "HEAD~1", "--head", "HEAD", "--format", "json")
			if code != 0 {
				t.Fatalf("diff HEAD~1 HEAD: exit %d: %s", code, errs)
			}
			if got := parseReport(t, out).changeSet(); !slices.Equal(got, r.changeSet()) {
				t.Errorf("between commits:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

func TestDiffNoChange(t *testing.T) {
	_, dir := quickstartRepo(t)
	for _, args := range [][]string{{"diff", dir}, {"diff", dir, "--exit-code"}} {
		code, out, errs := mlc(t, args...)
		if code != 0 || !strings.Contains(out, "No change to the rendered objects.") {
			t.Errorf("mlc %s: exit %d, %q, %q", strings.Join(args, " "), code, out, errs)
		}
	}
	// Formatting and key order are no change either.
	edit(t, dir, "tenants/vision/tenant.cue", `quota: {cpu: 64, memory: "256Gi", gpu: 8, storage: "2Ti", persistentVolumeClaims: 20}`,
		"quota: {\n\t\tpersistentVolumeClaims: 20\n\t\tgpu:                    8\n\t\tmemory: \"256Gi\", cpu: 64, storage: \"2Ti\"\n\t}")
	if code, out, errs := mlc(t, "diff", dir, "--exit-code"); code != 0 || !strings.Contains(out, "No change") {
		t.Errorf("reformatted CUE: exit %d, %q, %q", code, out, errs)
	}
}

func TestDiffExitCode(t *testing.T) {
	_, dir := quickstartRepo(t)
	edit(t, dir, "tenants/nlp/tenant.cue", `resources: {cpu: 2, memory: "8Gi"}`, `resources: {cpu: 3, memory: "8Gi"}`)
	if code, _, errs := mlc(t, "diff", dir); code != 0 {
		t.Errorf("changes without --exit-code: exit %d, %s", code, errs)
	}
	if code, out, errs := mlc(t, "diff", dir, "--exit-code", "--format", "markdown"); code != 1 || !strings.Contains(out, "**1 changed** in 1 cluster") || errs != "" {
		t.Errorf("changes with --exit-code: exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
}

func TestDiffHeadInvalid(t *testing.T) {
	_, dir := quickstartRepo(t)
	edit(t, dir, "tenants/vision/notebooks.cue", `resources: {cpu: 4, memory: "16Gi", gpu: 1, gpuType: ["a100", "h100"]}`, `resources: {cpu: 400, memory: "16Gi", gpu: 1, gpuType: ["a100", "h100"]}`)
	code, out, _ := mlc(t, "diff", dir, "--format", "json")
	r := parseReport(t, out)
	if code != 1 || r.Head.State != "invalid" || r.Base.State != "skipped" || len(r.Changes) != 0 || len(r.Head.Diagnostics) == 0 {
		t.Fatalf("exit %d, report %+v", code, r)
	}
	d := r.Head.Diagnostics[0].Position
	if d.File != "tenants/vision/notebooks.cue" || d.Line == 0 || d.Column == 0 {
		t.Errorf("diagnostic position %+v", d)
	}
	for _, format := range []string{"text", "markdown"} {
		code, out, _ := mlc(t, "diff", dir, "--format", format)
		if code != 1 || !strings.Contains(out, "does not compile") || !strings.Contains(out, "tenants/vision/notebooks.cue:") {
			t.Errorf("%s: exit %d:\n%s", format, code, out)
		}
		if strings.Contains(out, "Changes") {
			t.Errorf("%s: an invalid head shows no diff:\n%s", format, out)
		}
	}
}

func TestDiffBaseInvalid(t *testing.T) {
	g, dir := quickstartRepo(t)
	edit(t, dir, "tenants/nlp/tenant.cue", `resources: {cpu: 2, memory: "8Gi"}`, `resources: {cpu: "two", memory: "8Gi"}`)
	g.Commit("broken")
	edit(t, dir, "tenants/nlp/tenant.cue", `resources: {cpu: "two", memory: "8Gi"}`, `resources: {cpu: 2, memory: "8Gi"}`)
	code, out, errs := mlc(t, "diff", dir, "--format", "json")
	r := parseReport(t, out)
	if code != 0 || r.Base.State != "invalid" || len(r.Base.Diagnostics) == 0 || r.Head.State != "compiled" {
		t.Fatalf("exit %d, %s, report %+v", code, errs, r)
	}
	if r.Totals.Added < 30 || r.Totals.Removed != 0 || r.Totals.Changed != 0 {
		t.Errorf("every object of the head must be added: %+v", r.Totals)
	}
	code, out, _ = mlc(t, "diff", dir)
	said := regexp.MustCompile(`The base revision HEAD \([0-9a-f]{12}\) does not compile \(\d+ errors?\), so every object of the head is shown as added.`)
	if code != 0 || !said.MatchString(out) || !strings.Contains(out, "tenants/nlp/tenant.cue:") {
		t.Errorf("text: exit %d:\n%s", code, out)
	}
	if code, _, _ := mlc(t, "diff", dir, "--exit-code"); code != 1 {
		t.Errorf("--exit-code: exit %d, want 1", code)
	}
}

func TestDiffBaseWithoutPlatform(t *testing.T) {
	gittest.Isolate(t)
	g := gittest.New(t)
	g.Write("README.md", "before the platform\n")
	g.Commit("readme")
	g.CopyDir(filepath.Join("..", "..", "examples", "quickstart"), platformDir)
	dir := filepath.Join(g.Dir, platformDir)
	code, out, errs := mlc(t, "diff", dir, "--format", "markdown")
	if code != 0 || !strings.Contains(out, "has no platform repository in deploy/ml, so every object of the head is shown as added") {
		t.Errorf("exit %d, %s:\n%s", code, errs, out)
	}
	code, out, errs = mlc(t, "diff", dir, "--format", "json")
	r := parseReport(t, out)
	if code != 0 || r.Base.State != "absent" || r.Totals.Added < 30 || r.Totals.Removed+r.Totals.Changed != 0 {
		t.Errorf("exit %d, %s, report %+v", code, errs, r)
	}
}

func TestDiffSelection(t *testing.T) {
	_, dir := quickstartRepo(t)
	writeFile(t, dir, "tenants/audio/tenant.cue", "package ml\n\ntenant: owner: \"frank@example.com\"\n")
	edit(t, dir, "tenants/vision/notebooks.cue", `resources: {cpu: 4, memory: "16Gi", gpu: 1, gpuType: ["a100", "h100"]}`, `resources: {cpu: 4, memory: "16Gi", gpu: 2, gpuType: ["a100", "h100"]}`)

	// A tenant the head adds can be selected though the base does not know it.
	code, out, errs := mlc(t, "diff", dir, "--tenant", "audio", "--format", "json")
	got := parseReport(t, out).changeSet()
	if code != 0 || !slices.Contains(got, "prod audio added Profile audio") || slices.ContainsFunc(got, func(c string) bool { return !strings.HasPrefix(c, "prod audio added ") }) {
		t.Errorf("--tenant audio: exit %d, %s, %q", code, errs, got)
	}
	code, out, errs = mlc(t, "diff", dir, "--cluster", "staging", "--format", "json")
	if got := parseReport(t, out).changeSet(); code != 0 || !slices.Equal(got, []string{"staging vision changed Notebook alice-dev"}) {
		t.Errorf("--cluster staging: exit %d, %s, %q", code, errs, got)
	}
	if code, _, errs := mlc(t, "diff", dir, "--cluster", "nope"); code != 2 || !strings.Contains(errs, `no cluster "nope"`) {
		t.Errorf("--cluster nope: exit %d, %q", code, errs)
	}
}

func TestDiffBadInput(t *testing.T) {
	g, dir := quickstartRepo(t)
	g.Commit("second")
	clone := filepath.Join(t.TempDir(), "clone")
	g.Git("clone", "--quiet", "--depth=1", "file://"+g.Dir, clone)
	// A commit with nothing in it, to compare with as the head.
	g.Git("tag", "empty", g.Git("commit-tree", "-m", "empty", g.Git("hash-object", "-t", "tree", "-w", os.DevNull)))
	notGit := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(notGit))
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown base", []string{"diff", dir, "--base", "origin/nope"}, []string{`unknown revision "origin/nope"`, "git fetch origin"}},
		{"unknown head", []string{"diff", dir, "--head", "v9"}, []string{`unknown revision "v9"`}},
		{"not a git repository", []string{"diff", notGit}, []string{"not a git repository", notGit}},
		{"shallow clone", []string{"diff", filepath.Join(clone, platformDir), "--base", "HEAD~1"}, []string{`unknown revision "HEAD~1"`, "shallow", "git fetch --unshallow", "fetch-depth: 0"}},
		{"head without the platform", []string{"diff", dir, "--head", "empty"}, []string{"has no platform repository in deploy/ml"}},
		{"format", []string{"diff", dir, "--format", "yaml"}, []string{`unknown format "yaml"`}},
		{"color", []string{"diff", dir, "--color", "sometimes"}, []string{`unknown --color "sometimes"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := mlc(t, tc.args...)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q lacks %q", errs, w)
				}
			}
		})
	}
}

func TestDiffLeavesNothingBehind(t *testing.T) {
	g, dir := quickstartRepo(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	edit(t, dir, "tenants/nlp/tenant.cue", `resources: {cpu: 2, memory: "8Gi"}`, `resources: {cpu: 3, memory: "8Gi"}`)
	head, status, stash := g.Git("rev-parse", "HEAD"), g.Git("status", "--porcelain"), g.Git("stash", "list")
	if code, _, errs := mlc(t, "diff", dir, "--base", "HEAD", "--head", "HEAD"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := mlc(t, "diff", dir); code != 0 {
		t.Fatal(errs)
	}
	if g.Git("rev-parse", "HEAD") != head || g.Git("status", "--porcelain") != status || g.Git("stash", "list") != stash || g.Git("worktree", "list", "--porcelain") != "worktree "+g.Dir+"\nHEAD "+head+"\nbranch refs/heads/main" {
		t.Errorf("mlc diff changed the repository")
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("left behind in TMPDIR: %v", entries)
	}
}

func TestDiffColor(t *testing.T) {
	_, dir := quickstartRepo(t)
	edit(t, dir, "tenants/nlp/tenant.cue", `resources: {cpu: 2, memory: "8Gi"}`, `resources: {cpu: 3, memory: "8Gi"}`)
	_, always, _ := mlc(t, "diff", dir, "--color", "always")
	_, never, _ := mlc(t, "diff", dir, "--color", "never")
	_, auto, _ := mlc(t, "diff", dir) // not a terminal
	if !strings.Contains(always, "\x1b[") || strings.Contains(never, "\x1b[") || auto != never {
		t.Errorf("--color always must colour, never and auto off a terminal must not")
	}
	t.Setenv("NO_COLOR", "1")
	if _, out, _ := mlc(t, "diff", dir, "--color", "always"); out != always {
		t.Errorf("--color always wins over NO_COLOR")
	}
}

func TestUseColor(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	for _, tc := range []struct {
		mode string
		w    io.Writer
		want bool
	}{
		{"auto", f, false}, // a file is not a terminal
		{"auto", &bytes.Buffer{}, false},
		{"always", &bytes.Buffer{}, true},
		{"never", f, false},
	} {
		if got, err := useColor(tc.mode, tc.w); err != nil || got != tc.want {
			t.Errorf("useColor(%s, %T) = %v, %v; want %v", tc.mode, tc.w, got, err, tc.want)
		}
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if got, _ := useColor("auto", tty); !got {
			t.Errorf("auto on a terminal: no colour")
		}
		t.Setenv("NO_COLOR", "1")
		if got, _ := useColor("auto", tty); got {
			t.Errorf("auto on a terminal with NO_COLOR set: colour")
		}
	}
}

func TestDiffHelp(t *testing.T) {
	code, out, _ := mlc(t, "diff", "--help")
	for _, want := range []string{"mlc diff --base origin/main --format markdown > mlc-diff.md", "--exit-code", "fetch-depth: 0", "Exit codes:"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// TestCIExamples checks the pipelines in examples/ci: they are YAML, and every mlc
// diff, vet and push they run parses with the real commands' flags.
func TestCIExamples(t *testing.T) {
	files := []string{"github-actions.yaml", "gitlab-ci.yml"}
	invocation := regexp.MustCompile(`mlc (diff|vet|push) ([^|>\n]*)`)
	commands := map[string]func() *cobra.Command{"diff": newDiffCommand, "vet": newVetCommand, "push": newPushCommand}
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "ci", name))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		found := map[string]bool{}
		for _, m := range invocation.FindAllStringSubmatch(string(b), -1) {
			found[m[1]] = true
			args := strings.Fields(strings.NewReplacer(`"`, "", "'", "").Replace(m[2]))
			if err := commands[m[1]]().ParseFlags(args); err != nil {
				t.Errorf("%s: mlc %s %s: %v", name, m[1], m[2], err)
			}
		}
		if !found["diff"] || !found["vet"] || !found["push"] {
			t.Errorf("%s does not run each of mlc diff, vet and push: %v", name, found)
		}
		if !strings.Contains(string(b), diff.Marker) {
			t.Errorf("%s does not look for the comment's marker", name)
		}
	}
}
