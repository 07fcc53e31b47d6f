package kubeflow

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
)

// A Release is what mlc knows of one kubeflow/manifests release: the units it is built
// from, which folders of the release each is built from, and which component of
// platform.cue turns it on.
type Release struct {
	Version string
	Units   []Unit
	// Remotes are the remote bases the release's kustomization files fetch, as written:
	// what kubeflow.source.mirrors may map.
	Remotes []string
	// UserIDHeader and UserIDPrefix are how the release's applications read the
	// signed-in user: the header the gateway writes the token's email claim into.
	UserIDHeader, UserIDPrefix string
	// DashboardPages are the paths of the central dashboard's pages of each component,
	// as upstream's links write them: links to a component not installed are dropped.
	DashboardPages map[string]string
}

// A Unit is one folder of a cluster's install and one Flux Kustomization: the smallest
// part of a release that is applied, and waited for, as a whole.
type Unit struct {
	// Name is the unit's folder, and its Flux Kustomization's name after "kubeflow-".
	Name string
	// Component is the platform.cue component that turns the unit on.
	Component string
	// Resources and Components are kustomize folders of the release, relative to its
	// root; Alternatives replace Resources when a setting names one.
	Resources  []string
	Components []string
	// Images sets images the release leaves as placeholders.
	Images []types.Image
	// KatibConfig is the file of Katib's configuration the unit's katib-config
	// ConfigMap is generated from, when it has one.
	KatibConfig string
	// DashboardConfig is the file of the central dashboard's centraldashboard-config
	// ConfigMap, whose links the platform's are merged into.
	DashboardConfig string
	// DexConfig is the file of Dex's ConfigMap, whose users the platform's replace;
	// OAuth2ProxyConfig is oauth2-proxy's configuration file, rewritten for an
	// external issuer.
	DexConfig, OAuth2ProxyConfig string
}

// Releases are the kubeflow/manifests releases mlc can build, by version.
var Releases = map[string]*Release{"v1.11.0": v1_11_0}

// Lookup returns the release of a version, or an error naming those known.
func Lookup(version string) (*Release, error) {
	if r, ok := Releases[version]; ok {
		return r, nil
	}
	known := make([]string, 0, len(Releases))
	for v := range Releases {
		known = append(known, v)
	}
	slices.Sort(known)
	return nil, fmt.Errorf("mlc does not know Kubeflow %s; it knows %s", version, strings.Join(known, ", "))
}

// Unit returns the release's unit of that name.
func (r *Release) Unit(name string) (Unit, bool) {
	i := slices.IndexFunc(r.Units, func(u Unit) bool { return u.Name == name })
	if i < 0 {
		return Unit{}, false
	}
	return r.Units[i], true
}

// Components returns the names of the release's components, sorted.
func (r *Release) Components() []string {
	var out []string
	for _, u := range r.Units {
		if !slices.Contains(out, u.Component) {
			out = append(out, u.Component)
		}
	}
	slices.Sort(out)
	return out
}

// pipelinesK8sNative and pipelinesDatabase are KFP's multi-user installs of v1.11.0:
// pipelines as Kubernetes objects (what mlc's pipelines need), or in KFP's database
// (what kubeflow/manifests' example installs).
const (
	pipelinesK8sNative = "applications/pipeline/upstream/env/cert-manager/platform-agnostic-multi-user-k8s-native"
	pipelinesDatabase  = "applications/pipeline/upstream/env/cert-manager/platform-agnostic-multi-user"
)

// v1_11_0 is kubeflow/manifests v1.11.0: the units are the lines of its
// example/kustomization.yaml, grouped by what installs and is waited for together.
var v1_11_0 = &Release{
	Version:      "v1.11.0",
	UserIDHeader: "kubeflow-userid",
	DashboardPages: map[string]string{
		"notebooks": "/jupyter/", "tensorboards": "/tensorboards/", "volumes": "/volumes/",
		"katib": "/katib/", "kserve": "/kserve-endpoints/", "pipelines": "/pipeline/",
	},
	Remotes: []string{
		"https://github.com/argoproj/argo-workflows/manifests/base/crds/minimal?ref=v3.7.3",
		"https://github.com/argoproj/argo-workflows/manifests/base/workflow-controller?ref=v3.7.3",
		"https://github.com/argoproj/argo-workflows/manifests/cluster-install-no-crds/workflow-controller-rbac?ref=v3.7.3",
		"https://github.com/argoproj/argo-workflows/manifests/namespace-install/workflow-controller-rbac?ref=v3.7.3",
		"https://github.com/kubernetes-sigs/jobset/releases/download/v0.10.1/manifests.yaml",
		"https://github.com/kubernetes-sigs/jobset/releases/download/v0.6.0/manifests.yaml",
		"https://github.com/kubernetes-sigs/lws//config/default?ref=v0.7.0",
	},
	Units: []Unit{
		{Name: "cert-manager", Component: "certManager", Resources: []string{"common/cert-manager/base"}},
		{Name: "kubeflow-issuer", Component: "certManager", Resources: []string{"common/cert-manager/kubeflow-issuer/base"}},
		{Name: "istio", Component: "istio", Resources: []string{
			"common/istio/istio-crds/base",
			"common/istio/istio-namespace/base",
			"common/istio/istio-install/overlays/oauth2-proxy",
		}},
		{Name: "istio-gateways", Component: "istio", Resources: []string{
			"common/istio/cluster-local-gateway/base",
			"common/istio/kubeflow-istio-resources/base",
		}},
		{Name: "oauth2-proxy", Component: "oauth2Proxy", Resources: []string{"common/oauth2-proxy/overlays/m2m-dex-only"},
			OAuth2ProxyConfig: "common/oauth2-proxy/base/oauth2_proxy.cfg"},
		{Name: "dex", Component: "dex", Resources: []string{"common/dex/overlays/oauth2-proxy"},
			DexConfig: "common/dex/overlays/oauth2-proxy/config-map.yaml"},
		{Name: "knative-serving", Component: "knative", Resources: []string{"common/knative/knative-serving/overlays/gateways"}},
		{Name: "kubeflow-namespace", Component: "core", Resources: []string{"common/kubeflow-namespace/base"}},
		{Name: "network-policies", Component: "networkPolicies", Resources: []string{"common/networkpolicies/base"}},
		{Name: "kubeflow-roles", Component: "core", Resources: []string{"common/kubeflow-roles/base"}},
		{Name: "pipelines", Component: "pipelines", Resources: []string{pipelinesK8sNative},
			Images: []types.Image{{Name: "domain.local/apiserver", NewName: "ghcr.io/kubeflow/kfp-api-server", NewTag: "2.15.0"}}},
		{Name: "katib", Component: "katib", Resources: []string{"applications/katib/upstream/installs/katib-with-kubeflow"},
			KatibConfig: "applications/katib/upstream/installs/katib-cert-manager/katib-config.yaml"},
		{Name: "central-dashboard", Component: "centralDashboard", Resources: []string{"applications/centraldashboard/overlays/oauth2-proxy"},
			DashboardConfig: "applications/centraldashboard/upstream/overlays/kserve/patches/configmap.yaml"},
		{Name: "poddefaults", Component: "podDefaults", Resources: []string{"applications/admission-webhook/upstream/overlays/cert-manager"}},
		{Name: "jupyter-web-app", Component: "notebooks", Resources: []string{"applications/jupyter/jupyter-web-app/upstream/overlays/istio"}},
		{Name: "notebook-controller", Component: "notebooks", Resources: []string{"applications/jupyter/notebook-controller/upstream/overlays/kubeflow"}},
		{Name: "profiles", Component: "profiles", Resources: []string{"applications/profiles/pss"},
			Components: []string{"common/security/PSS/dynamic/baseline"}},
		{Name: "pvcviewer-controller", Component: "volumes", Resources: []string{"applications/pvcviewer-controller/upstream/base"}},
		{Name: "volumes-web-app", Component: "volumes", Resources: []string{"applications/volumes-web-app/upstream/overlays/istio"}},
		{Name: "tensorboard-controller", Component: "tensorboards", Resources: []string{"applications/tensorboard/tensorboard-controller/upstream/overlays/kubeflow"}},
		{Name: "tensorboards-web-app", Component: "tensorboards", Resources: []string{"applications/tensorboard/tensorboards-web-app/upstream/overlays/istio"}},
		{Name: "training-operator", Component: "trainingOperator", Resources: []string{"applications/training-operator/upstream/overlays/kubeflow"}},
		{Name: "trainer", Component: "trainer", Resources: []string{"applications/trainer/overlays"}},
		{Name: "user-namespace", Component: "userNamespace", Resources: []string{"common/user-namespace/base"}},
		{Name: "kserve", Component: "kserve", Resources: []string{"applications/kserve/kserve"}},
		{Name: "models-web-app", Component: "kserve", Resources: []string{"applications/kserve/models-web-app/overlays/kubeflow"}},
		{Name: "spark-operator", Component: "spark", Resources: []string{"applications/spark/spark-operator/overlays/kubeflow"}},
		{Name: "model-registry", Component: "modelRegistry", Resources: []string{"applications/model-registry/upstream/overlays/db"}},
	},
}
