package compiler_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/kubeflow"
)

// BenchmarkKubeflowInstall renders examples/kubeflow, whose one cluster installs
// Kubeflow v1.11.0 (27 units, 660 objects) and runs one tenant: cold (nothing cached),
// warm (nothing changed since the last render), beside `kustomize build` of upstream's
// example install of the same release, in the same run (kustomize-example).
func BenchmarkKubeflowInstall(b *testing.B) {
	dir := kubeflowExample(b)
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			compileOK(b, dir, compiler.Options{NoCache: true})
		}
	})
	b.Run("warm", func(b *testing.B) {
		opts := compiler.Options{CacheDir: b.TempDir()}
		compileOK(b, dir, opts)
		for b.Loop() {
			compileOK(b, dir, opts)
		}
	})
	b.Run("kustomize-example", func(b *testing.B) {
		shared := mustAbsB(b, "../../shared/kubeflow-manifests")
		src := kubeflow.Source{Dir: filepath.Join(shared, "v1.11.0"), Mirrors: []kubeflow.Mirror{
			{Remote: "https://github.com/argoproj/argo-workflows/manifests/<path>?ref=v3.7.3", Dir: filepath.Join(shared, "remote/argo-workflows@v3.7.3/manifests/<path>")},
			{Remote: "https://github.com/kubernetes-sigs/lws//config/<path>?ref=v0.7.0", Dir: filepath.Join(shared, "remote/lws@v0.7.0/config/<path>")},
			{Remote: "https://github.com/kubernetes-sigs/jobset/releases/download/v0.10.1/manifests.yaml", Dir: filepath.Join(shared, "remote/jobset@v0.10.1")},
		}}
		for b.Loop() {
			if _, err := kubeflow.Build(src, kubeflow.Part{Name: "example", Resources: []string{"example"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func compileOK(b *testing.B, dir string, opts compiler.Options) {
	res, err := compiler.Compile(context.Background(), dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		b.Fatal(res.Diagnostics.Error())
	}
}

func mustAbsB(b *testing.B, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		b.Fatal(err)
	}
	return a
}
