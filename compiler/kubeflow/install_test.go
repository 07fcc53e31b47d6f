package kubeflow

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// sharedManifests is kubeflow/manifests v1.11.0 as upstream publishes it, beside the
// checkout (../shared); tests that need it skip without it.
func sharedManifests(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "kubeflow-manifests")
	if _, err := os.Stat(filepath.Join(dir, "v1.11.0", "example", "kustomization.yaml")); err != nil {
		t.Skip("no ../shared/kubeflow-manifests beside the checkout")
	}
	return dir
}

// sharedSettings are the settings of a platform that installs v1.11.0 from the shared
// copy, with its remote bases mirrored there as remotes.tsv lists them.
func sharedSettings(dir string) *model.Kubeflow {
	return &model.Kubeflow{
		Release: "v1.11.0",
		Source: model.KubeflowSource{
			Path: filepath.Join(dir, "v1.11.0"),
			Mirrors: map[string]string{
				"https://github.com/argoproj/argo-workflows/manifests/<path>?ref=v3.7.3":             filepath.Join(dir, "remote/argo-workflows@v3.7.3/manifests/<path>"),
				"https://github.com/kubernetes-sigs/lws//config/<path>?ref=v0.7.0":                   filepath.Join(dir, "remote/lws@v0.7.0/config/<path>"),
				"https://github.com/kubernetes-sigs/jobset/releases/download/v0.10.1/manifests.yaml": filepath.Join(dir, "remote/jobset@v0.10.1"),
			},
		},
	}
}

func noFetch(model.KubeflowGit) (string, error) { panic("no git source here") }

func TestProtoInstall(t *testing.T) {
	dir := sharedManifests(t)
	k := sharedSettings(dir)
	p, err := NewPlan(k, "/nonexistent", noFetch)
	if err != nil {
		t.Fatal(err)
	}
	in, err := p.Build()
	t.Logf("err: %v", err)
	if in != nil {
		for _, u := range in.Units {
			t.Logf("%s (%d) needs %v", u.Name, len(u.Objects), u.Needs)
		}
	}
}
