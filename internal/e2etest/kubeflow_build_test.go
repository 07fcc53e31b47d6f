package e2etest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"

// TestBuildKubeflowResolvesRemotes builds small trees laid out as the shared copy of
// kubeflow/manifests is: remote bases come from remote/ as remotes.tsv maps them, one it
// does not map is an error naming the file, and the example's Pipelines line is swapped.
func TestBuildKubeflowResolvesRemotes(t *testing.T) {
	t.Parallel()
	common := map[string]string{
		"remotes.tsv": "# remote\tlocal\n" +
			"https://github.com/acme/tools/manifests/<path>?ref=v1.2.3\tremote/tools@v1.2.3/manifests/<path>\n" +
			"https://github.com/acme/single/releases/download/v0.1.0/manifests.yaml\tremote/single@v0.1.0 (a folder)\n",
		"remote/tools@v1.2.3/manifests/base/kustomization.yaml":                                                              "resources:\n- cm.yaml\n",
		"remote/tools@v1.2.3/manifests/base/cm.yaml":                                                                         strings.ReplaceAll(configMap, "%s", "from-tools"),
		"remote/single@v0.1.0/kustomization.yaml":                                                                            "resources:\n- manifests.yaml\n",
		"remote/single@v0.1.0/manifests.yaml":                                                                                strings.ReplaceAll(configMap, "%s", "from-single"),
		KubeflowRelease + "/apps/kfp-db/kustomization.yaml":                                                                  "resources:\n- cm.yaml\n",
		KubeflowRelease + "/apps/kfp-db/cm.yaml":                                                                             strings.ReplaceAll(configMap, "%s", "kfp-database"),
		KubeflowRelease + "/apps/kfp-native/kustomization.yaml":                                                              "resources:\n- cm.yaml\n",
		KubeflowRelease + "/apps/kfp-native/cm.yaml":                                                                         strings.ReplaceAll(configMap, "%s", "kfp-native"),
		KubeflowRelease + "/apps/mapped/kustomization.yaml":                                                                  "resources:\n- https://github.com/acme/tools/manifests/base?ref=v1.2.3\n- https://github.com/acme/single/releases/download/v0.1.0/manifests.yaml\n",
		KubeflowRelease + "/apps/unmapped/kustomization.yaml":                                                                "resources:\n- https://github.com/acme/other//config?ref=v9\n",
		KubeflowRelease + "/example/kustomization.yaml":                                                                      "resources:\n- " + kfpDatabaseOverlay + "  # in the database\n",
		KubeflowRelease + "/example/no-line/kustomization.yaml":                                                              "resources:\n- ../../apps/kfp-db\n",
		KubeflowRelease + "/applications/pipeline/upstream/env/cert-manager/platform-agnostic-multi-user/kustomization.yaml": "resources:\n- ../../../../../../apps/kfp-db\n",
		KubeflowRelease + "/applications/pipeline/upstream/env/cert-manager/platform-agnostic-multi-user-k8s-native/kustomization.yaml": "resources:\n- ../../../../../../apps/kfp-native\n",
	}
	dir := t.TempDir()
	writeTree(t, dir, common)
	for _, tc := range []struct {
		path    string
		want    []string
		wantErr string
	}{
		{path: "apps/mapped", want: []string{"from-tools", "from-single"}},
		{path: "example", want: []string{"kfp-native"}},
		{path: "example/no-line", want: []string{"kfp-database"}},
		{path: "apps/unmapped", wantErr: "apps/unmapped/kustomization.yaml: remotes.tsv maps no local copy for - https://github.com/acme/other//config?ref=v9"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			objs, err := BuildKubeflow(dir, tc.path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.GetName())
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
