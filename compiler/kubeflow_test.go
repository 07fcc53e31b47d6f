package compiler_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/emit"
)

// kubeflowExample is examples/kubeflow, which installs Kubeflow v1.11.0 from the copy
// of kubeflow/manifests beside the checkout; tests that need it skip without it.
func kubeflowExample(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat("../../shared/kubeflow-manifests/v1.11.0/example"); err != nil {
		t.Skip("no ../shared/kubeflow-manifests beside the checkout")
	}
	return "../examples/kubeflow"
}

// kubeflowCopy copies examples/kubeflow into a new folder, its path to ../shared made
// absolute, with edit applied to its platform.cue and tenant appended to its tenant's
// file; it returns the folder and the two files.
func kubeflowCopy(t *testing.T, edit func(platform string) string, tenant string) (dir, platformFile, tenantFile string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(kubeflowExample(t))); err != nil {
		t.Fatal(err)
	}
	platformFile = filepath.Join(dir, "platform.cue")
	tenantFile = filepath.Join(dir, "tenants", "research", "tenant.cue")
	p, _ := os.ReadFile(platformFile)
	src := strings.ReplaceAll(string(p), "../../../shared", mustAbs(t, "../../shared"))
	if edit != nil {
		src = edit(src)
	}
	writeFile(t, platformFile, src)
	tb, _ := os.ReadFile(tenantFile)
	writeFile(t, tenantFile, string(tb)+tenant)
	return dir, platformFile, tenantFile
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func treeFile(tree *emit.Tree, path string) string {
	for _, f := range tree.Files {
		if f.Path == path {
			return string(f.Data)
		}
	}
	return ""
}

// TestKubeflowExample renders examples/kubeflow: each unit in its folder under a Flux
// Kustomization of its own, the platform and the tenant waiting for the units they
// need; and from the cache, the same bytes.
func TestKubeflowExample(t *testing.T) {
	dir := kubeflowExample(t)
	cacheDir := t.TempDir()
	cold := renderTree(t, dir, compiler.Options{CacheDir: cacheDir})
	for _, unit := range []string{"cert-manager", "istio", "pipelines", "katib", "trainer", "profiles", "kubeflow-roles"} {
		k := treeFile(cold, "prod/components/"+unit+"/kustomization.yaml")
		if k == "" {
			t.Errorf("no folder for unit %s", unit)
		}
		flux := treeFile(cold, "prod/components/flux/kustomization_kubeflow-"+unit+".yaml")
		if !strings.Contains(flux, "path: ./"+unit+"\n") || !strings.Contains(flux, "wait: true") {
			t.Errorf("unit %s's Flux Kustomization:\n%s", unit, flux)
		}
	}
	if f := treeFile(cold, "prod/components/flux/kustomization_kubeflow-katib.yaml"); !strings.Contains(f, "name: kubeflow-cert-manager") || !strings.Contains(f, "provider: sops") {
		t.Errorf("katib waits for cert-manager and decrypts its database Secret:\n%s", f)
	}
	if f := treeFile(cold, "prod/components/katib/secret_kubeflow_katib-mysql-secrets.yaml"); !strings.Contains(f, "ENC[AES256_GCM") {
		t.Errorf("katib's Secret is not the encrypted one:\n%s", f)
	}
	boot := treeFile(cold, "prod/flux-system/kustomization_mlc-platform.yaml")
	for _, unit := range []string{"istio", "kubeflow-roles", "profiles"} {
		if !strings.Contains(boot, "name: kubeflow-"+unit+"\n") {
			t.Errorf("mlc-platform does not wait for %s:\n%s", unit, boot)
		}
	}
	if f := treeFile(cold, "prod/flux-system/ocirepository_mlc-components.yaml"); !strings.Contains(f, "url: oci://registry.example.com/ml-platform/prod/components") {
		t.Errorf("the components source:\n%s", f)
	}
	tenant := treeFile(cold, "prod/platform/research/kustomization_mlc-tenant.yaml")
	for _, unit := range []string{"notebook-controller", "trainer"} {
		if !strings.Contains(tenant, "name: kubeflow-"+unit+"\n") {
			t.Errorf("the tenant does not wait for %s:\n%s", unit, tenant)
		}
	}
	if strings.Contains(tenant, "kubeflow-katib") {
		t.Errorf("the tenant, which runs no experiment, waits for Katib:\n%s", tenant)
	}

	// v1.11.0's Trainer (v2.1.0) takes pod settings as podTemplateOverrides.
	job := treeFile(cold, "prod/tenants/research/trainjob_bert-finetune.yaml")
	if !strings.Contains(job, "podTemplateOverrides:") || !strings.Contains(job, "serviceAccountName: bert-trainer") || strings.Contains(job, "runtimePatches") {
		t.Errorf("the TrainJob for Trainer v2.1.0:\n%s", job)
	}

	warm := renderTree(t, dir, compiler.Options{CacheDir: cacheDir})
	if len(warm.Files) != len(cold.Files) {
		t.Fatalf("from the cache, %d files; built, %d", len(warm.Files), len(cold.Files))
	}
	for i := range cold.Files {
		if warm.Files[i].Path != cold.Files[i].Path || !bytes.Equal(warm.Files[i].Data, cold.Files[i].Data) {
			t.Fatalf("from the cache, %s differs", warm.Files[i].Path)
		}
	}
}

// TestKubeflowBadSettings: a wrong Kubeflow setting is an error at its line of
// platform.cue, and nothing is compiled.
func TestKubeflowBadSettings(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"unknown release", `release: "v1.11.0"`, `release: "v1.10.9"`, `platform.cue:8:11: kubeflow.release: cluster prod: mlc does not know Kubeflow v1.10.9`},
		{"unknown component", `release: "v1.11.0"`, "release: \"v1.11.0\"\n\tcomponents: ray: true", `kubeflow.components.ray`},
		{"misspelt mirror", `"https://github.com/kubernetes-sigs/lws//config/<path>?ref=v0.7.0"`, `"https://github.com/kubernetes-sigs/lws/config/<path>?ref=v0.7.0"`,
			`kubeflow.source.mirrors."https://github.com/kubernetes-sigs/lws/config/<path>?ref=v0.7.0": cluster prod: Kubeflow v1.11.0 fetches no remote base of that reference`},
		{"misspelt image", `release: "v1.11.0"`, "release: \"v1.11.0\"\n\timages: \"ghcr.io/kubeflow/katib/katib-iu\": newTag: \"v0.19.0\"",
			`platform.cue:9:10: kubeflow.images."ghcr.io/kubeflow/katib/katib-iu": no container of Kubeflow v1.11.0 runs an image named "ghcr.io/kubeflow/katib/katib-iu" (clusters prod): the setting matches the image name as the release writes it; the release has ghcr.io/kubeflow/katib/katib-ui`},
		{"misspelt patch target", `release: "v1.11.0"`, "release: \"v1.11.0\"\n\tpatches: katib: [{patch: \"- op: remove\\n  path: /spec/replicas\\n\", target: {kind: \"Deployment\", name: \"katib-iu\"}}]",
			`kubeflow.patches.katib[0]: cluster prod: its target matches no object of the unit`},
		{"missing secret", `"secrets/katib-mysql-secrets.sops.yaml"`, `"secrets/gone.sops.yaml"`, `kubeflow.secrets: cluster prod: kubeflow/katib-mysql-secrets: secrets/gone.sops.yaml: no such file`},
		{"host not a DNS name", `hosts: ["kubeflow.example.com"]`, `hosts: ["Kubeflow.example.com"]`, `kubeflow.ingress.hosts.0: invalid value "Kubeflow.example.com"`},
		{"ingress without istio", `release: "v1.11.0"`, "release: \"v1.11.0\"\n\tcomponents: istio: false", `platform.cue:36:2: kubeflow.ingress: cluster prod: the setting configures istio-gateways, whose component istio is off`},
		{"another user header", `defaults: storageClass: "standard"`, "defaults: storageClass: \"standard\"\ndefaults: access: userIdHeader: \"x-user\"",
			`platform.cue:54:33: defaults.access.userIdHeader: cluster prod: "x-user", but Kubeflow v1.11.0 as mlc installs it forwards the user's email in "kubeflow-userid"`},
		{"dex users and an issuer", `auth: dexUsers:`, `auth: oidc: issuer: "https://login.example.com"` + "\n\tauth: dexUsers:", `kubeflow.auth: cluster prod: set dexUsers or oidc, not both`},
		{"unknown dashboard link removed", `documentationItems: [{`, `documentationItems: [{text: "Katib docs", remove: true}, {`, `platform.cue:49:24: kubeflow.dashboard.documentationItems[0]: cluster prod: remove: upstream's documentationItems has no link with the text "Katib docs"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _, _ := kubeflowCopy(t, func(src string) string {
				if !strings.Contains(src, tc.from) {
					t.Fatalf("platform.cue has no %q", tc.from)
				}
				return strings.Replace(src, tc.from, tc.to, 1)
			}, "")
			res, err := compiler.Compile(context.Background(), dir, compiler.Options{NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Diagnostics.HasErrors() || len(res.Clusters) > 0 || !strings.Contains(res.Diagnostics.Error(), tc.want) {
				t.Errorf("diagnostics:\n%s\nwant %q", res.Diagnostics.Error(), tc.want)
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestKubeflowTenantAgainstInstall: a tenant is checked against what its cluster
// installs: a training runtime v1.11.0's Trainer does not have, and a kind whose
// component is off, are errors at the tenant's declaration.
func TestKubeflowTenantAgainstInstall(t *testing.T) {
	for _, tc := range []struct {
		name, platform, tenant, want string
	}{
		{"runtime not installed", "", "\ntrainingJobs: xgb: {framework: \"xgboost\", image: \"ghcr.io/example/xgb:1.0.0\", command: [\"python\", \"train.py\"], workers: 2, resources: {cpu: 1, memory: \"1Gi\"}}\n",
			`tenant.cue:28:15: trainingJobs.xgb: cluster prod: Kubeflow v1.11.0 installs no training runtime "xgboost-distributed"`},
		{"component off", "\tcomponents: kserve: false\n", "",
			`servingEndpoints.bert: cluster prod: Kubeflow v1.11.0, as this cluster installs it, has no InferenceService (serving.kserve.io)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _, _ := kubeflowCopy(t, func(src string) string {
				return strings.Replace(src, "\trelease: \"v1.11.0\"\n", "\trelease: \"v1.11.0\"\n"+tc.platform, 1)
			}, tc.tenant)
			res, err := compiler.Compile(context.Background(), dir, compiler.Options{NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Diagnostics.HasErrors() || !strings.Contains(res.Diagnostics.Error(), tc.want) {
				t.Errorf("diagnostics:\n%s\nwant %q", res.Diagnostics.Error(), tc.want)
			}
		})
	}
}

// TestKubeflowKnownValid: after a change to a tenant, its unchanged objects are known
// valid under its cluster's release CRDs, and judged again once those CRDs change.
func TestKubeflowKnownValid(t *testing.T) {
	dir, platform, tenant := kubeflowCopy(t, nil, "")
	src, _ := os.ReadFile(platform)
	tb, _ := os.ReadFile(tenant)
	write := func(path, data string) { writeFile(t, path, data) }
	opts := compiler.Options{CacheDir: t.TempDir()}
	compile := func() compiler.Stats {
		t.Helper()
		res, err := compiler.Compile(context.Background(), dir, opts)
		if err != nil || res.Diagnostics.HasErrors() {
			t.Fatalf("%v %v", err, res.Diagnostics)
		}
		return res.Stats
	}
	first := compile()
	if first.KnownValid != 0 || first.Validated == 0 {
		t.Fatalf("first compile: %d validated, %d known valid", first.Validated, first.KnownValid)
	}
	write(tenant, string(tb)+"\nnotebooks: \"extra\": {image: \"jupyter-scipy\", resources: {cpu: 1, memory: \"2Gi\"}}\n")
	if s := compile(); s.KnownValid == 0 {
		t.Errorf("after a tenant change: %d validated, none known valid", s.Validated)
	}
	// Spark off: the install's CRDs change, so nothing is known valid under them.
	write(platform, strings.Replace(string(src), "\trelease: \"v1.11.0\"\n", "\trelease: \"v1.11.0\"\n\tcomponents: spark: false\n", 1))
	write(tenant, string(tb)+"\nnotebooks: \"extra2\": {image: \"jupyter-scipy\", resources: {cpu: 1, memory: \"2Gi\"}}\n")
	if s := compile(); s.KnownValid != 0 {
		t.Errorf("after the install's CRDs changed: %d objects known valid", s.KnownValid)
	}
}

// TestKubeflowSourceAuth: the components' OCIRepository signs in as the platform's
// does: with the cloud provider's identity when flux.provider names one.
func TestKubeflowSourceAuth(t *testing.T) {
	dir, _, _ := kubeflowCopy(t, func(src string) string { return src + "\nflux: provider: \"aws\"\n" }, "")
	tree := renderTree(t, dir, compiler.Options{NoCache: true})
	for _, name := range []string{"mlc-components", "mlc-platform"} {
		if f := treeFile(tree, "prod/flux-system/ocirepository_"+name+".yaml"); !strings.Contains(f, "provider: aws\n") {
			t.Errorf("%s does not sign in with the provider's identity:\n%s", name, f)
		}
	}
}

// xgboostRuntime is an XGBoost runtime as Trainer v2.1.0 takes one: no mlPolicy.xgboost,
// which later releases add.
const xgboostRuntime = `apiVersion: trainer.kubeflow.org/v1alpha1
kind: ClusterTrainingRuntime
metadata:
  name: xgboost-distributed
  labels:
    trainer.kubeflow.org/framework: xgboost
spec:
  mlPolicy:
    numNodes: 1
  template:
    spec:
      replicatedJobs:
        - name: node
          template:
            metadata:
              labels:
                trainer.kubeflow.org/trainjob-ancestor-step: trainer
            spec:
              template:
                spec:
                  containers:
                    - name: node
                      image: ghcr.io/example/xgboost-runtime:2.1.4
`

// TestKubeflowPlatformRuntimes: a runtime the platform installs besides the release's is
// one tenants may name; it applies with the release's runtimes, after Trainer's
// webhook; one the cluster's CRD refuses, or a file of other kinds, is an error at
// kubeflow.runtimes.
func TestKubeflowPlatformRuntimes(t *testing.T) {
	job := "\ntrainingJobs: xgb: {framework: \"xgboost\", image: \"ghcr.io/example/xgb:1.0.0\", command: [\"python\", \"train.py\"], workers: 2, resources: {cpu: 1, memory: \"1Gi\"}}\n"
	upstream, err := os.ReadFile("../../shared/upstream-examples/trainer/clustertrainingruntime_xgboost_distributed.yaml")
	if err != nil {
		t.Skip("no ../shared/upstream-examples beside the checkout")
	}
	for _, tc := range []struct {
		name, runtimes, want string
	}{
		{"installed", xgboostRuntime, ""},
		{"newer release's", string(upstream), `kubeflow.runtimes: cluster prod: runtimes/xgboost.yaml: ClusterTrainingRuntime xgboost-distributed would be rejected by the API server: spec.mlPolicy.xgboost: unknown field`},
		{"not a runtime", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", `kubeflow.runtimes: cluster prod: runtimes/xgboost.yaml: ConfigMap "x" is not a runtime`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _, _ := kubeflowCopy(t, func(src string) string {
				return strings.Replace(src, "\trelease: \"v1.11.0\"\n", "\trelease: \"v1.11.0\"\n\truntimes: [\"runtimes/xgboost.yaml\"]\n", 1)
			}, job)
			if err := os.MkdirAll(filepath.Join(dir, "runtimes"), 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "runtimes", "xgboost.yaml"), tc.runtimes)
			if tc.want != "" {
				res, err := compiler.Compile(context.Background(), dir, compiler.Options{NoCache: true})
				if err != nil {
					t.Fatal(err)
				}
				if !res.Diagnostics.HasErrors() || !strings.Contains(res.Diagnostics.Error(), tc.want) {
					t.Errorf("diagnostics:\n%s\nwant %q", res.Diagnostics.Error(), tc.want)
				}
				return
			}
			tree := renderTree(t, dir, compiler.Options{NoCache: true})
			if f := treeFile(tree, "prod/components/trainer-resources/clustertrainingruntime_xgboost-distributed.yaml"); !strings.Contains(f, "ghcr.io/example/xgboost-runtime:2.1.4") {
				var names []string
				for _, f := range tree.Files {
					if strings.Contains(f.Path, "trainer-resources") {
						names = append(names, f.Path)
					}
				}
				t.Errorf("the platform's runtime is not applied with the release's: %v", names)
			}
		})
	}
}

// TestKubeflowClusterSettings: the named settings reach the rendered install, and a
// cluster's own ingress replaces the platform's as a whole while the platform's
// dashboard links stay.
func TestKubeflowClusterSettings(t *testing.T) {
	dir, _, _ := kubeflowCopy(t, func(src string) string {
		return strings.Replace(src, "clusters: prod: {}", "clusters: prod: {}\nclusters: staging: kubeflow: ingress: hosts: [\"staging.example.com\"]", 1)
	}, "")
	tree := renderTree(t, dir, compiler.Options{NoCache: true})
	for cluster, want := range map[string][]string{
		"prod":    {"- kubeflow.example.com\n", "credentialName: kubeflow-tls\n", "httpsRedirect: true\n"},
		"staging": {"- staging.example.com\n"},
	} {
		gw := treeFile(tree, cluster+"/components/istio-gateways/gateway_kubeflow_kubeflow-gateway.yaml")
		for _, w := range want {
			if !strings.Contains(gw, w) {
				t.Errorf("%s's gateway has no %q:\n%s", cluster, w, gw)
			}
		}
		if cluster == "staging" && strings.Contains(gw, "tls:") {
			t.Errorf("staging's ingress keeps the platform's TLS:\n%s", gw)
		}
		links := treeFile(tree, cluster+"/components/central-dashboard/configmap_kubeflow_centraldashboard-config.yaml")
		if !strings.Contains(links, `"link": "https://wiki.example.com/ml/runbook"`) || !strings.Contains(links, `"text": "Katib Experiments"`) {
			t.Errorf("%s's dashboard links:\n%s", cluster, links)
		}
		dex := treeFile(tree, cluster+"/components/dex/configmap_auth_dex.yaml")
		if !strings.Contains(dex, "- email: rosa@example.com\n") || strings.Contains(dex, "user@example.com") {
			t.Errorf("%s's Dex users:\n%s", cluster, dex)
		}
	}
}

// TestKubeflowInstallWithKueue: on a cluster where mlc installs Kubeflow v1.11.0, which
// has no Kueue, the platform's ClusterQueue and the tenant's LocalQueue are judged by
// mlc's own Kueue CRDs, and compile into the platform's and the tenant's folders.
func TestKubeflowInstallWithKueue(t *testing.T) {
	dir, _, _ := kubeflowCopy(t, func(p string) string {
		return p + `
scheduling: kueue: {
	resourceFlavors: cpu: {}
	clusterQueues: research: resourceGroups: [{flavors: [{name: "cpu", resources: {cpu: 32, memory: "128Gi"}}]}]
}
`
	}, `
queues: research: clusterQueue: "research"
trainingJobs: "bert-finetune": queue: "research"
`)
	tree := renderTree(t, dir, compiler.Options{NoCache: true})
	if f := treeFile(tree, "prod/platform/clusterqueue_research.yaml"); !strings.Contains(f, "apiVersion: kueue.x-k8s.io/v1beta2") {
		t.Errorf("the ClusterQueue:\n%s", f)
	}
	if k := treeFile(tree, "prod/platform/kustomization.yaml"); !strings.Contains(k, "- resourceflavor_cpu.yaml\n- clusterqueue_research.yaml\n- research\n") {
		t.Errorf("the platform folder's kustomization:\n%s", k)
	}
	if f := treeFile(tree, "prod/tenants/research/localqueue_research.yaml"); !strings.Contains(f, "clusterQueue: research") {
		t.Errorf("the LocalQueue:\n%s", f)
	}
	if f := treeFile(tree, "prod/tenants/research/trainjob_bert-finetune.yaml"); !strings.Contains(f, "kueue.x-k8s.io/queue-name: research") {
		t.Errorf("the queued TrainJob:\n%s", f)
	}
}
