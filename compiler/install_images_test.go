package compiler

import (
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/kubeflow"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// TestUnusedImageSettings: an image setting no cluster runs an image of is an error at
// the field that declares it; a platform setting for a component one cluster turns off
// is not, while another cluster runs the image.
func TestUnusedImageSettings(t *testing.T) {
	installOf := func(images ...string) *clusterInstall {
		in, err := kubeflow.FromSummary(kubeflow.Summary{Release: "v1.11.0", Images: images})
		if err != nil {
			t.Fatal(err)
		}
		return &clusterInstall{in: in}
	}
	katib := installOf("mysql:8.4", "ghcr.io/kubeflow/katib/katib-ui:v0.19.0")
	noKatib := installOf("mysql:8.4")
	plat := &model.Platform{
		Kubeflow: &model.Kubeflow{Images: map[string]model.KubeflowImage{
			"ghcr.io/kubeflow/katib/katib-ui": {NewTag: "v0.19.0"}, // prod runs it, lab does not
			"mysql":                           {NewTag: "8.4"},     // a short name, as the release writes it
			"ghcr.io/kubeflow/katib/katib-iu": {NewTag: "v0.19.0"}, // misspelt
			"docker.io/library/mysql":         {NewTag: "8.0"},     // kustomize matches "mysql", not this
		}},
		Clusters: map[string]model.Cluster{
			"prod": {},
			"lab": {Kubeflow: &model.Kubeflow{Images: map[string]model.KubeflowImage{
				"ghcr.io/kubeflow/notebook": {NewName: "ghcr.io/acme/notebook"}, // lab's own, unused
			}}},
		},
	}
	var at []string
	locate := func(path string) diag.Position { at = append(at, path); return diag.Position{} }
	l := unusedImageSettings(plat, map[string]*clusterInstall{"prod": katib, "lab": noKatib}, locate)
	got := l.Error()
	for _, want := range []string{
		`kubeflow.images."docker.io/library/mysql": no container of Kubeflow v1.11.0 runs an image named "docker.io/library/mysql" (clusters lab, prod): the setting matches the image name as the release writes it; the release has mysql`,
		`kubeflow.images."ghcr.io/kubeflow/katib/katib-iu": no container of Kubeflow v1.11.0 runs an image named "ghcr.io/kubeflow/katib/katib-iu" (clusters lab, prod): the setting matches the image name as the release writes it; the release has ghcr.io/kubeflow/katib/katib-ui`,
		`clusters.lab.kubeflow.images."ghcr.io/kubeflow/notebook": no container of Kubeflow v1.11.0 runs an image named "ghcr.io/kubeflow/notebook" (clusters lab)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if len(l) != 3 || strings.Contains(got, "katib-ui\"") || strings.Contains(got, `"mysql"`) {
		t.Errorf("want exactly the three unused settings, got:\n%s", got)
	}
}
