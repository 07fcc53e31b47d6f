package kubeflow

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func yamlOf(t *testing.T, o map[string]any) string {
	t.Helper()
	b, err := yaml.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMirrorOf(t *testing.T) {
	mirrors := []Mirror{
		{Remote: "https://github.com/argoproj/argo-workflows/manifests/<path>?ref=v3.7.3", Dir: "/m/argo/manifests/<path>"},
		{Remote: "https://github.com/kubernetes-sigs/jobset/releases/download/v0.10.1/manifests.yaml", Dir: "/m/jobset"},
	}
	for ref, want := range map[string]string{
		"https://github.com/argoproj/argo-workflows/manifests/base/crds/minimal?ref=v3.7.3":  "/m/argo/manifests/base/crds/minimal",
		"https://github.com/kubernetes-sigs/jobset/releases/download/v0.10.1/manifests.yaml": "/m/jobset",
		"https://github.com/argoproj/argo-workflows/manifests/base?ref=v3.7.2":               "", // another tag
		"https://github.com/argoproj/argo-workflows/manifests/../../x?ref=v3.7.3":            "", // leaves the mirror
		"https://github.com/argoproj/argo-workflows/manifests/?ref=v3.7.3":                   "",
		"../base": "",
	} {
		got, ok := mirrorOf(mirrors, ref)
		if got != want || ok != (want != "") {
			t.Errorf("mirrorOf(%q) = %q, %v; want %q", ref, got, ok, want)
		}
	}
}

func TestUnpullable(t *testing.T) {
	for img, want := range map[string]string{
		"ghcr.io/kubeflow/kfp-api-server:2.15.0": "",
		"docker.io/library/mysql:8.4":            "",
		"quay.io/x/y@sha256:0123":                "",
		"localhost:5000/x:1":                     "",
		"domain.local/apiserver:local":           "is a placeholder",
		"ghcr.io/kubeflow/kfp-api-server:dummy":  "is a placeholder",
		"mysql:8.4":                              "names no registry",
		"ghcr.io/kubeflow/x":                     "names no tag or digest",
		"ghcr.io/kubeflow/x:latest":              "names no tag or digest",
		"ghcr.io/kubeflow/x@md5:00":              "has a malformed digest",
	} {
		if got := unpullable(img); got != want {
			t.Errorf("unpullable(%q) = %q, want %q", img, got, want)
		}
	}
	for img, want := range map[string]string{
		"mysql:8.4":                        "docker.io/library/mysql:8.4",
		"kserve/kserve-controller:v0.15.2": "docker.io/kserve/kserve-controller:v0.15.2",
		"ghcr.io/x/y:1":                    "ghcr.io/x/y:1",
		"localhost/x:1":                    "localhost/x:1",
	} {
		if got := qualifiedImage(img); got != want {
			t.Errorf("qualifiedImage(%q) = %q, want %q", img, got, want)
		}
	}
}

// TestEncryptedSecretChecks: a replacement Secret must be a Secret of the replaced one's
// namespace, encrypted with SOPS in every value.
func TestEncryptedSecretChecks(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(exampleRepo(), "secrets", "mysql-secret.sops.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	plain := strings.Replace(string(good), "username: ENC[", "username: root\n    x: ENC[", 1)
	noSOPS := string(good)[:strings.Index(string(good), "sops:")]
	for _, tc := range []struct {
		name, data, namespace, want string
	}{
		{"encrypted", string(good), "kubeflow", ""},
		{"a plaintext value", plain, "kubeflow", "stringData.username not encrypted: mlc never publishes a plaintext Secret"},
		{"no sops metadata", noSOPS, "kubeflow", "not encrypted with SOPS"},
		{"another namespace", string(good), "auth", `metadata.namespace is "kubeflow"; the Secret it replaces is in "auth"`},
		{"not a Secret", strings.Replace(string(good), "kind: Secret", "kind: ConfigMap", 1), "kubeflow", "not a Secret"},
		{"not YAML", "{", "kubeflow", "not a Secret manifest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.sops.yaml")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := readEncryptedSecret(path, "secrets/s.sops.yaml", tc.namespace)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want == "" && string(p.Data) != tc.data:
				t.Error("the file is not passed through byte for byte")
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want %q", err, tc.want)
			case tc.want != "" && !strings.HasPrefix(err.Error(), "secrets/s.sops.yaml"):
				t.Errorf("err = %v does not name the file as platform.cue writes it", err)
			}
		})
	}
	if _, err := readEncryptedSecret("/nonexistent", "secrets/x.yaml", "kubeflow"); err == nil || err.Error() != "secrets/x.yaml: no such file" {
		t.Errorf("err = %v", err)
	}
	link := filepath.Join(t.TempDir(), "link.sops.yaml")
	if err := os.Symlink(filepath.Join(exampleRepo(), "secrets", "mysql-secret.sops.yaml"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := readEncryptedSecret(link, "secrets/link.sops.yaml", "kubeflow"); err == nil || !strings.Contains(err.Error(), "secrets/link.sops.yaml is a symbolic link") {
		t.Errorf("a symlinked Secret: err = %v", err)
	}
}

// TestReleaseRemotes: the remote bases the catalog says v1.11.0 fetches are those its
// kustomization files name, so that a mirror is checked against the truth.
func TestReleaseRemotes(t *testing.T) {
	root := filepath.Join(sharedManifests(t), "v1.11.0")
	found := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isKustomizationFile(p) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var k map[string]any
		if yaml.Unmarshal(b, &k) != nil {
			return nil
		}
		for _, field := range []string{"resources", "components", "bases"} {
			list, _ := k[field].([]any)
			for _, v := range list {
				if s, _ := v.(string); strings.Contains(s, "://") || strings.HasPrefix(s, "github.com/") {
					found[s] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(maps.Keys(found))
	if !slices.Equal(v1_11_0.Remotes, want) {
		t.Errorf("catalog remotes:\n%s\nthe release's kustomizations fetch:\n%s", strings.Join(v1_11_0.Remotes, "\n"), strings.Join(want, "\n"))
	}
}

// TestReadRuntimes: a runtimes file holds cluster-wide runtimes only, read from the
// repository's own files.
func TestReadRuntimes(t *testing.T) {
	dir := t.TempDir()
	runtime := "apiVersion: serving.kserve.io/v1alpha1\nkind: ClusterServingRuntime\nmetadata:\n  name: fast\n"
	for _, tc := range []struct{ name, data, want string }{
		{"two runtimes", runtime + "---\n" + strings.Replace(runtime, "fast", "slow", 1), ""},
		{"another kind", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n", `f.yaml: Deployment.apps "d" is not a runtime: the file may hold ClusterTrainingRuntimes and ClusterServingRuntimes`},
		{"namespaced", strings.Replace(runtime, "name: fast", "name: fast\n  namespace: team", 1), "f.yaml: ClusterServingRuntime fast: a cluster-wide runtime has no namespace"},
		{"nameless", "apiVersion: serving.kserve.io/v1alpha1\nkind: ClusterServingRuntime\n", "f.yaml: a ClusterServingRuntime without metadata.name"},
		{"empty", "---\n", "f.yaml: no runtime in the file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".yaml")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			objs, _, err := readRuntimes(RuntimeFile{Path: path, Shown: "f.yaml"})
			if tc.want == "" {
				if err != nil || len(objs) != 2 {
					t.Errorf("%d runtimes, err %v", len(objs), err)
				}
			} else if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(filepath.Join(dir, "two runtimes.yaml"), link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readRuntimes(RuntimeFile{Path: link, Shown: "link.yaml"}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a symbolic link: err = %v", err)
	}
}
