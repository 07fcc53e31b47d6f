package main

import (
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mlc-gitops/mlc/compiler/gitrev/gittest"
)

// pushedDigests maps each artifact repository (without host) to the digest push printed.
func pushedDigests(t *testing.T, host, stdout string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		ref, digest, ok := strings.Cut(strings.TrimPrefix(line, "oci://"+host+"/"), "@")
		if !ok {
			t.Fatalf("unexpected line %q", line)
		}
		out[ref] = digest
	}
	return out
}

// TestPushPublishesPerTenantArtifacts pushes the quickstart from a real git repository to a
// registry on loopback, then pushes a commit that changes one tenant: only that tenant's
// artifact (and the platform's) may change digest, and the moving tag follows.
// quickstartToPush commits the quickstart example in a new git repository and starts a
// registry on loopback: it returns the repository, the registry's host and the push
// target on it.
func quickstartToPush(t *testing.T) (repo *gittest.Repo, host, target string) {
	t.Helper()
	gittest.Isolate(t)
	t.Setenv("SOURCE_DATE_EPOCH", "")
	repo = gittest.New(t)
	repo.CopyDir(filepath.Join("..", "..", "examples", "quickstart"), ".")
	repo.Commit("quickstart")
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host = strings.TrimPrefix(srv.URL, "http://")
	return repo, host, "oci://" + host + "/ml"
}

func TestPushPublishesPerTenantArtifacts(t *testing.T) {
	repo, host, target := quickstartToPush(t)

	code, stdout, stderr := mlc(t, "push", repo.Dir, target, "--cluster", "staging")
	if code != 0 {
		t.Fatalf("push: exit %d: %s", code, stderr)
	}
	first := pushedDigests(t, host, stdout)
	if len(first) != 2 || first["ml/staging/platform"] == "" || first["ml/staging/tenants/vision"] == "" {
		t.Fatalf("want the staging platform and vision artifacts, got %v", first)
	}
	if !strings.Contains(stderr, "[2/2]") || !regexp.MustCompile(`uploaded \([0-9.]+ KiB\)`).MatchString(stderr) {
		t.Errorf("progress not reported: %s", stderr)
	}

	// The same commit again: same digests, nothing uploaded.
	code, stdout, stderr = mlc(t, "push", repo.Dir, target, "--cluster", "staging")
	if code != 0 {
		t.Fatal(stderr)
	}
	if again := pushedDigests(t, host, stdout); again["ml/staging/tenants/vision"] != first["ml/staging/tenants/vision"] || strings.Contains(stderr, "uploaded") {
		t.Errorf("a second push of the same commit changed something: %v, %s", again, stderr)
	}

	// A commit that touches only nlp: the vision artifact keeps its digest.
	code, stdout, stderr = mlc(t, "push", repo.Dir, target)
	if code != 0 {
		t.Fatal(stderr)
	}
	before := pushedDigests(t, host, stdout)
	repo.Write("tenants/nlp/scratch.cue", "package ml\n\nnotebooks: scratch: {image: \"jupyter-scipy\", resources: {cpu: 1, memory: \"2Gi\"}}\n")
	repo.Commit("nlp: a scratch notebook")
	code, stdout, stderr = mlc(t, "push", repo.Dir, target)
	if code != 0 {
		t.Fatal(stderr)
	}
	after := pushedDigests(t, host, stdout)
	for _, c := range []string{"prod", "staging"} {
		if k := "ml/" + c + "/tenants/vision"; after[k] != before[k] {
			t.Errorf("%s changed digest although nothing of vision changed", k)
		}
	}
	if after["ml/prod/tenants/nlp"] == before["ml/prod/tenants/nlp"] {
		t.Errorf("nlp's artifact did not change")
	}
	ref, _ := name.ParseReference(host+"/ml/prod/tenants/nlp:prod", name.Insecure)
	desc, err := remote.Head(ref)
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest.String() != after["ml/prod/tenants/nlp"] {
		t.Errorf("the prod tag points at %s, want the new %s", desc.Digest, after["ml/prod/tenants/nlp"])
	}
}

func TestPushRefusals(t *testing.T) {
	gittest.Isolate(t)
	repo := gittest.New(t)
	repo.CopyDir(filepath.Join("..", "..", "examples", "quickstart"), ".")
	repo.Commit("quickstart")
	repo.Write("tenants/nlp/extra.cue", "package ml\n")
	if code, _, stderr := mlc(t, "push", repo.Dir, "oci://127.0.0.1:1/ml"); code != 2 || !strings.Contains(stderr, "uncommitted changes") {
		t.Errorf("dirty tree: exit %d, %s", code, stderr)
	}
	if code, _, stderr := mlc(t, "push", t.TempDir(), "oci://127.0.0.1:1/ml"); code != 2 || !strings.Contains(stderr, "runs in a git checkout") {
		t.Errorf("not a git repository: exit %d, %s", code, stderr)
	}
	repo.Commit("extra")
	code, _, stderr := mlc(t, "push", repo.Dir, "oci://127.0.0.1:1/ml", "--cluster", "staging")
	if code != 2 || !strings.Contains(stderr, "cannot reach the registry") || !strings.Contains(stderr, "2 of 2 artifacts not pushed") {
		t.Errorf("unreachable registry: exit %d, %s", code, stderr)
	}
}
