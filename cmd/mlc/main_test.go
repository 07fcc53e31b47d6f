package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mlc runs the real command in-process and returns its exit code and output.
func mlc(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestInitVetRender follows the README: init a repository, vet it, render it both ways.
func TestInitVetRender(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my-platform")
	code, out, errs := mlc(t, "init", dir, "--owner", "alice@example.com")
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	for _, f := range []string{"cue.mod/module.cue", "platform.cue", "schema.cue", "tenants/example/tenant.cue", "cue.mod/gen/github.com/mlc-gitops/mlc/schemas/notebook.cue"} {
		if !strings.Contains(out, filepath.Join(dir, f)) {
			t.Errorf("init did not report creating %s:\n%s", f, out)
		}
	}
	if code, _, errs := mlc(t, "init", dir); code != 2 || !strings.Contains(errs, "does not overwrite") {
		t.Errorf("init over an existing repository: exit %d, %q; want 2 and a refusal", code, errs)
	}
	if code, _, errs := mlc(t, "vet", dir); code != 0 {
		t.Fatalf("vet: exit %d: %s", code, errs)
	}
	code, stream, errs := mlc(t, "render", dir, "-o", "-")
	if code != 0 {
		t.Fatalf("render -o -: exit %d: %s", code, errs)
	}
	for _, want := range []string{"kind: Profile", "name: alice@example.com", "kind: Notebook", "name: first-notebook", "storage: 20Gi"} {
		if !strings.Contains(stream, want) {
			t.Errorf("stream lacks %q:\n%s", want, stream)
		}
	}
	outDir := filepath.Join(t.TempDir(), "out")
	if code, _, errs := mlc(t, "render", dir, "-o", outDir); code != 0 {
		t.Fatalf("render -o DIR: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(outDir, "prod", "tenants", "example", "notebook_first-notebook.yaml")); err != nil {
		t.Errorf("rendered tree: %v", err)
	}
}

// brokenRepo is a repository whose notebook asks for more than the tenant's quota.
func brokenRepo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	if code, _, errs := mlc(t, "init", dir); code != 0 {
		t.Fatal(errs)
	}
	nb := filepath.Join(dir, "tenants", "example", "notebooks.cue")
	src, err := os.ReadFile(nb)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), "resources: {cpu: 1,", "resources: {cpu: 100,", 1)
	if bad == string(src) {
		t.Fatal("the scaffold's notebook changed; update this test")
	}
	if err := os.WriteFile(nb, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestVetReportsAtTheLine(t *testing.T) {
	dir := brokenRepo(t)
	code, out, _ := mlc(t, "vet", dir)
	if code != 1 {
		t.Fatalf("vet of a broken repository: exit %d, want 1", code)
	}
	if !strings.Contains(out, "tenants/example/notebooks.cue:5:19: notebooks.\"first-notebook\".resources.cpu:") {
		t.Errorf("text output lacks the position and path:\n%s", out)
	}

	code, out, _ = mlc(t, "vet", dir, "--format", "github")
	if code != 1 || !strings.Contains(out, "tenants/example/notebooks.cue,line=5,col=19,title=mlc%3A notebooks.\"first-notebook\".resources.cpu::") || !strings.Contains(out, "::error file="+filepath.ToSlash(dir)) {
		t.Errorf("github format: exit %d:\n%s", code, out)
	}

	code, out, _ = mlc(t, "vet", dir, "--format", "json")
	var diags []struct {
		Severity string
		Position struct {
			File         string
			Line, Column int
		}
		Path, Message string
	}
	if err := json.Unmarshal([]byte(out), &diags); err != nil || code != 1 || len(diags) == 0 {
		t.Fatalf("json format: exit %d, %v:\n%s", code, err, out)
	}
	if d := diags[0]; d.Severity != "error" || d.Position.File != filepath.ToSlash(filepath.Join(dir, "tenants/example/notebooks.cue")) || d.Position.Line != 5 {
		t.Errorf("json diagnostic: %+v", d)
	}
}

func TestRenderWritesNothingOnError(t *testing.T) {
	dir := brokenRepo(t)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := mlc(t, "render", dir, "-o", out)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "notebooks.cue:5:19") || stdout != "" {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output directory exists after a failed render: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	repo := filepath.Join("..", "..", "examples", "quickstart")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"render", repo}, `required flag(s) "output" not set`},
		{[]string{"render", repo, "-o", "-", "--cluster", "nope"}, `no cluster "nope" in the repository (have: prod, staging)`},
		{[]string{"vet", repo, "--tenant", "nope"}, `no tenant "nope" in the repository (have: nlp, vision)`},
		{[]string{"vet", repo, "--format", "xml"}, `unknown format "xml"`},
		{[]string{"vet", filepath.Join(t.TempDir(), "missing")}, "no such file or directory"},
		{[]string{"render", repo, "-o", repo}, "holds the repository itself"},
		{[]string{"render", repo, "-o", filepath.Join(repo, "..")}, "holds the repository itself"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	}
	for _, tc := range cases {
		code, _, stderr := mlc(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("mlc %s: exit %d, stderr %q; want 2 and %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
}

func TestNotARepository(t *testing.T) {
	code, out, _ := mlc(t, "vet", t.TempDir())
	if code != 1 || !strings.Contains(out, "no cue.mod/module.cue here") {
		t.Errorf("exit %d, %q", code, out)
	}
}

func TestRenderSelection(t *testing.T) {
	repo := filepath.Join("..", "..", "examples", "quickstart")
	code, out, stderr := mlc(t, "render", repo, "-o", "-", "--cluster", "prod", "--tenant", "nlp")
	if code != 0 {
		t.Fatal(stderr)
	}
	if strings.Contains(out, "namespace: vision") || !strings.Contains(out, "namespace: nlp") || strings.Contains(out, "# cluster:") {
		t.Errorf("selection not applied:\n%s", out)
	}
}

func TestVersionAndCompletion(t *testing.T) {
	if code, out, _ := mlc(t, "version"); code != 0 || !strings.HasPrefix(out, "mlc ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, out, _ := mlc(t, "completion", "bash"); code != 0 || !strings.Contains(out, "__start_mlc") {
		t.Errorf("completion bash: exit %d", code)
	}
}

// TestRenderExplainsTraffic: render says in one line per endpoint where its traffic goes,
// on standard error so the YAML stream stays clean; -q silences it.
func TestRenderExplainsTraffic(t *testing.T) {
	repo := filepath.Join("..", "..", "examples", "quickstart")
	code, out, stderr := mlc(t, "render", repo, "-o", "-", "--cluster", "staging")
	if code != 0 {
		t.Fatal(stderr)
	}
	want := "traffic: vision/resnet: canary: 10% of requests to s3://models/resnet/v4, 90% stay on the revision serving now (s3://models/resnet/v3); where the endpoint is new, all requests go to s3://models/resnet/v4 until a revision has rolled out\n"
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "traffic: vision/fraud-scorer: 100% of requests to gs://vision-models/fraud/2026-11\n") {
		t.Errorf("traffic lines missing:\n%s", stderr)
	}
	if strings.Contains(out, "traffic:") {
		t.Errorf("traffic lines leaked into the stream")
	}
	if _, _, stderr := mlc(t, "render", repo, "-o", "-", "-q"); strings.Contains(stderr, "traffic:") {
		t.Errorf("-q did not silence the traffic lines: %s", stderr)
	}
}

func TestInitNamesAndOwner(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "My Platform")
	if code, _, stderr := mlc(t, "init", dir); code != 0 {
		t.Fatal(stderr)
	}
	mod, err := os.ReadFile(filepath.Join(dir, "cue.mod", "module.cue"))
	if err != nil || !strings.Contains(string(mod), `module: "example.com/my-platform@v0"`) {
		t.Errorf("module.cue: %s %v", mod, err)
	}
	if code, _, stderr := mlc(t, "init", filepath.Join(t.TempDir(), "x"), "--owner", "alice"); code != 2 || !strings.Contains(stderr, "is not an email address") {
		t.Errorf("owner: exit %d %s", code, stderr)
	}
	code, out, stderr := mlc(t, "init", dir, "--schemas-only")
	if code != 0 || !strings.Contains(out, "wrote "+filepath.Join(dir, "schema.cue")) {
		t.Errorf("--schemas-only: exit %d %s %s", code, out, stderr)
	}
}
