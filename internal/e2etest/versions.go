// Package e2etest runs a real cluster for end-to-end tests: etcd, kube-apiserver with the
// upstream CRDs, kube-controller-manager (role aggregation, namespace clean-up, garbage
// collection), Flux's source-controller and kustomize-controller, and an OCI registry,
// every one of them on 127.0.0.1, started by the test and stopped when it ends, even when
// it fails. The binaries are built once by hack/e2e.sh into a cache folder outside the
// repository; the PKI is generated here, in Go.
//
// For installing Kubeflow itself, it builds upstream's kubeflow/manifests with kustomize
// (BuildKubeflow, KubeflowExampleInstall, KubeflowRoles) and stands in, in the test
// process, for what the installation would run as pods (StartStandIns): its webhook
// servers, the injection of their CA, their endpoints, and the readiness of its
// workloads.
package e2etest

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

//go:embed versions.env
var versionsEnv string

// Versions are the versions of the servers hack/e2e.sh builds.
type Versions struct {
	Kubernetes, Etcd, Flux string
}

// BuiltVersions returns the versions in versions.env.
func BuiltVersions() Versions {
	vars := map[string]string{}
	for line := range strings.Lines(versionsEnv) {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			vars[k] = v
		}
	}
	return Versions{Kubernetes: vars["K8S_VERSION"], Etcd: vars["ETCD_VERSION"], Flux: vars["FLUX_VERSION"]}
}

// CacheDir is where hack/e2e.sh keeps what it builds: $MLC_E2E_CACHE, or
// $HOME/.cache/mlc-e2e.
func CacheDir() string {
	if d := os.Getenv("MLC_E2E_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "mlc-e2e")
	}
	return filepath.Join(home, ".cache", "mlc-e2e")
}

// BinDir is the folder with the binaries for these versions: $MLC_E2E_BIN, or the folder
// of the cache named after the versions and the Go release (the one hack/e2e.sh writes).
func BinDir() string {
	if d := os.Getenv("MLC_E2E_BIN"); d != "" {
		return d
	}
	v := BuiltVersions()
	return filepath.Join(CacheDir(), fmt.Sprintf("bin-k8s%s-etcd%s-flux%s-%s", v.Kubernetes, v.Etcd, v.Flux, runtime.Version()))
}

// Binaries the cluster runs, in BinDir.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "source-controller", "kustomize-controller"}

// Missing lists what the cluster needs and BinDir lacks.
func Missing() []string {
	var missing []string
	for _, b := range Binaries {
		if fi, err := os.Stat(filepath.Join(BinDir(), b)); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, b)
		}
	}
	if _, err := os.Stat(filepath.Join(BinDir(), "crds")); err != nil {
		missing = append(missing, "crds/ (the Flux CRDs)")
	}
	return missing
}

// InCI reports whether the tests run in CI (CI=true), where nothing may be skipped.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "false" && v != "0"
}

// Require stops the test unless the cluster can run: it fails in CI, or when -short was
// not given, and skips with -short elsewhere. The message says how to build what is
// missing.
func Require(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		unavailable(t, "the end-to-end cluster runs on Linux only")
		return
	}
	if testing.Short() && !InCI() {
		t.Skip("end-to-end test skipped in -short mode; run it with `hack/e2e.sh build && go test ./...`")
	}
	if m := Missing(); len(m) > 0 {
		unavailable(t, fmt.Sprintf("the end-to-end cluster's binaries are missing from %s: %s; build them once with `hack/e2e.sh build` (about 20 minutes the first time on 2 cores), or run `go test -short ./...` to skip these tests", BinDir(), strings.Join(m, ", ")))
	}
}

func unavailable(t testing.TB, msg string) {
	t.Helper()
	if InCI() || !testing.Short() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
