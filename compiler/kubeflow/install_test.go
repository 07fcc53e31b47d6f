package kubeflow

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/model"
	"k8s.io/apimachinery/pkg/util/json"
)

// sharedManifests is the folder of kubeflow/manifests v1.11.0 as upstream publishes it,
// beside the checkout (../shared); tests that need it skip without it.
func sharedManifests(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "kubeflow-manifests")
	if _, err := os.Stat(filepath.Join(dir, "v1.11.0", "example", "kustomization.yaml")); err != nil {
		t.Skip("no ../shared/kubeflow-manifests beside the checkout")
	}
	return dir
}

// exampleRepo is the repository of examples/kubeflow, whose platform.cue reads the
// shared copy and holds SOPS-encrypted Secrets for upstream's default credentials.
func exampleRepo() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples", "kubeflow")
}

// sharedSettings are the settings of examples/kubeflow: v1.11.0 from the shared copy,
// its remote bases mirrored there as remotes.tsv lists them, and its Secrets.
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
		Secrets: map[string]string{
			"auth/dex-passwords":                 "secrets/dex-passwords.sops.yaml",
			"auth/dex-oidc-client":               "secrets/dex-oidc-client.sops.yaml",
			"oauth2-proxy/oauth2-proxy":          "secrets/oauth2-proxy.sops.yaml",
			"kubeflow/mysql-secret":              "secrets/mysql-secret.sops.yaml",
			"kubeflow/mlpipeline-minio-artifact": "secrets/mlpipeline-minio-artifact.sops.yaml",
			"kubeflow/katib-mysql-secrets":       "secrets/katib-mysql-secrets.sops.yaml",
		},
	}
}

// testSettings are the platform defaults mlc ships (platform/defaults.cue).
var testSettings = Settings{TrialResources: []string{
	"TrainJob.v1alpha1.trainer.kubeflow.org", "Job.v1.batch", "TFJob.v1.kubeflow.org",
	"PyTorchJob.v1.kubeflow.org", "MPIJob.v1.kubeflow.org", "XGBoostJob.v1.kubeflow.org", "JAXJob.v1.kubeflow.org",
}}

func noFetch(model.KubeflowGit) (string, error) { panic("no git source in these tests") }

// defaultInstall is the default install of v1.11.0, built once for the tests.
var defaultInstall = sync.OnceValues(func() (*Installed, error) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "kubeflow-manifests")
	p, err := NewPlan(sharedSettings(dir), testSettings, Resolver(exampleRepo(), ""), noFetch)
	if err != nil {
		return nil, err
	}
	return p.Build()
})

func buildDefault(t *testing.T) *Installed {
	t.Helper()
	sharedManifests(t)
	in, err := defaultInstall()
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func identities(objs []map[string]any) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = strings.Join([]string{groupKind(o).String(), meta(o, "namespace"), meta(o, "name")}, "/")
	}
	return out
}

// TestUnitsAddUpToUpstreamExample: the units of a default install, with pipelines kept
// in KFP's database as upstream's example keeps them, hold exactly the objects of
// `kustomize build example` of the release; with pipelines as Kubernetes objects (mlc's
// default), exactly the CRDs, webhooks and certificate of that mode more.
func TestUnitsAddUpToUpstreamExample(t *testing.T) {
	dir := sharedManifests(t)
	src := Source{Dir: filepath.Join(dir, "v1.11.0")}
	for remote, local := range sharedSettings(dir).Source.Mirrors {
		src.Mirrors = append(src.Mirrors, Mirror{Remote: remote, Dir: local})
	}
	example, err := Build(src, Part{Name: "example", Resources: []string{"example"}})
	if err != nil {
		t.Fatal(err)
	}
	want := identities(example.Objects)
	if len(want) != 653 {
		t.Fatalf("upstream's example builds to %d objects, want 653 (PROVENANCE.md)", len(want))
	}
	for _, mode := range []string{"database", "kubernetes"} {
		k := sharedSettings(dir)
		k.Pipelines.Definitions = mode
		k.Components = map[string]bool{"userNamespace": true} // off by default in mlc
		plan, err := NewPlan(k, testSettings, Resolver(exampleRepo(), ""), noFetch)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, part := range plan.Parts {
			b, err := Build(plan.Source, part)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, identities(b.Objects)...)
		}
		var missing, extra []string
		for _, id := range want {
			if !slices.Contains(got, id) {
				missing = append(missing, id)
			}
		}
		for _, id := range got {
			if !slices.Contains(want, id) {
				extra = append(extra, id)
			}
		}
		wantExtra := []string(nil)
		if mode == "kubernetes" {
			wantExtra = []string{
				"CustomResourceDefinition.apiextensions.k8s.io//pipelines.pipelines.kubeflow.org",
				"CustomResourceDefinition.apiextensions.k8s.io//pipelineversions.pipelines.kubeflow.org",
				"ValidatingWebhookConfiguration.admissionregistration.k8s.io//pipelineversions.pipelines.kubeflow.org",
				"MutatingWebhookConfiguration.admissionregistration.k8s.io//pipelineversions.pipelines.kubeflow.org",
				"Issuer.cert-manager.io/kubeflow/kfp-api-webhook-selfsigned-issuer",
				"Certificate.cert-manager.io/kubeflow/kfp-api-webhook-cert",
			}
		}
		slices.Sort(extra)
		slices.Sort(wantExtra)
		if len(missing) > 0 || !slices.Equal(extra, wantExtra) {
			t.Errorf("pipelines in %s: against upstream's example, missing %v, extra %v (want extra %v)", mode, missing, extra, wantExtra)
		}
		if len(got) != len(slices.Compact(slices.Sorted(slices.Values(got)))) {
			t.Errorf("pipelines in %s: an object is in two units", mode)
		}
	}
}

// TestUnitsApplyInOrder: each unit comes after the units it needs, and every custom
// resource, namespaced object and Certificate finds its CRD, namespace and issuer in its
// own unit or one it needs, directly or not.
func TestUnitsApplyInOrder(t *testing.T) {
	in := buildDefault(t)
	pos := map[string]int{}
	for i, u := range in.Units {
		pos[u.Name] = i
	}
	closure := func(unit string) map[string]bool {
		seen := map[string]bool{unit: true}
		var walk func(string)
		walk = func(u string) {
			for _, n := range in.Units[pos[u]].Needs {
				if !seen[n] {
					seen[n] = true
					walk(n)
				}
			}
		}
		walk(unit)
		return seen
	}
	for _, u := range in.Units {
		for _, n := range u.Needs {
			if pos[n] >= pos[u.Name] {
				t.Errorf("%s comes before %s, which it needs", u.Name, n)
			}
		}
		reach := closure(u.Name)
		for _, o := range u.Objects {
			gk := groupKind(o)
			if p, ok := in.providers.crd[gk]; ok && !reach[p] {
				t.Errorf("%s: %s needs the CRD of unit %s, which it does not wait for", u.Name, gk, p)
			}
			if p, ok := in.providers.namespace[meta(o, "namespace")]; ok && !reach[p] {
				t.Errorf("%s: %s lives in a namespace of unit %s, which it does not wait for", u.Name, gk, p)
			}
		}
	}
	for unit, needs := range map[string][]string{
		"kubeflow-issuer": {"cert-manager"},
		"knative-serving": {"istio"},
		"katib":           {"cert-manager", "kubeflow-namespace"},
		"pipelines":       {"kubeflow-namespace"},
		"profiles":        {"kubeflow-namespace"},
	} {
		for _, n := range needs {
			if !slices.Contains(in.Units[pos[unit]].Needs, n) {
				t.Errorf("%s does not need %s: needs %v", unit, n, in.Units[pos[unit]].Needs)
			}
		}
	}
	if got := in.PlatformNeeds(); !slices.Equal(got, []string{"istio", "kubeflow-roles", "profiles"}) {
		t.Errorf("the platform needs %v", got)
	}
	notebook := map[string]any{"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": map[string]any{"name": "n", "namespace": "team"}}
	job := map[string]any{"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob", "metadata": map[string]any{"name": "j", "namespace": "team"}}
	if got := in.TenantNeeds([]map[string]any{notebook, job}); !slices.Contains(got, "notebook-controller") || !slices.Contains(got, "trainer") {
		t.Errorf("a tenant with a notebook and a TrainJob needs %v", got)
	}
}

// TestGatedResources: the custom resources a unit's own fail-closed webhook intercepts
// (KServe's serving runtimes, Trainer's training runtimes) are a unit of their own,
// applied after the unit, so that the webhook's server runs when they reach it; a
// tenant that needs the unit waits for them too.
func TestGatedResources(t *testing.T) {
	in := buildDefault(t)
	pos := map[string]int{}
	kinds := map[string][]string{}
	for i, u := range in.Units {
		pos[u.Name] = i
		for _, o := range u.Objects {
			kinds[u.Name] = append(kinds[u.Name], o["kind"].(string))
		}
	}
	for unit, want := range map[string]string{"kserve": "ClusterServingRuntime", "trainer": "ClusterTrainingRuntime"} {
		gated := unit + "-resources"
		i, ok := pos[gated]
		if !ok {
			t.Errorf("no unit %s: units %v", gated, slices.Sorted(maps.Keys(pos)))
			continue
		}
		if !slices.Contains(kinds[gated], want) || slices.Contains(kinds[unit], want) {
			t.Errorf("%s holds %v; %s holds %v", gated, sortedUnique(kinds[gated]), unit, sortedUnique(kinds[unit]))
		}
		if !slices.Contains(in.Units[i].Needs, unit) {
			t.Errorf("%s does not wait for %s: needs %v", gated, unit, in.Units[i].Needs)
		}
	}
	isvc := map[string]any{"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": map[string]any{"name": "m", "namespace": "team"}}
	if got := in.TenantNeeds([]map[string]any{isvc}); !slices.Contains(got, "kserve") || !slices.Contains(got, "kserve-resources") {
		t.Errorf("a tenant with an InferenceService needs %v", got)
	}
	back, err := FromSummary(in.Summary())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.TenantNeeds([]map[string]any{isvc}), in.TenantNeeds([]map[string]any{isvc}); !slices.Equal(got, want) {
		t.Errorf("from the summary, the tenant needs %v; built, %v", got, want)
	}
}

// TestInstallObjects: what mlc publishes differs from upstream's where it must: the
// rules of aggregated roles are left to Kubernetes, Docker Hub images are written in
// full, KFP's placeholder image is the real one, and the Secrets with default
// credentials are the encrypted ones, byte for byte.
func TestInstallObjects(t *testing.T) {
	in := buildDefault(t)
	secrets := 0
	for _, u := range in.Units {
		for _, o := range u.Objects {
			if o["kind"] == "ClusterRole" && o["aggregationRule"] != nil {
				if _, ok := o["rules"]; ok {
					t.Errorf("%s: aggregated ClusterRole %s carries rules", u.Name, meta(o, "name"))
				}
			}
			for _, c := range images(o) {
				img := c["image"].(string)
				if why := unpullable(img); why != "" {
					t.Errorf("%s: %s", img, why)
				}
				if strings.HasPrefix(img, "mysql:") {
					t.Errorf("short image name left: %s", img)
				}
			}
			if o["kind"] == "Secret" && len(credentialKeys(o)) > 0 {
				t.Errorf("%s: Secret %s with default credentials published", u.Name, qualified(o))
			}
		}
		for _, p := range u.Passthrough {
			want, err := os.ReadFile(filepath.Join(exampleRepo(), "secrets", p.Name+".sops.yaml"))
			if err != nil || string(want) != string(p.Data) {
				t.Errorf("%s: Secret %s/%s is not the encrypted file byte for byte (%v)", u.Name, p.Namespace, p.Name, err)
			}
			secrets++
		}
	}
	if secrets != 6 {
		t.Errorf("%d encrypted Secrets published, want 6", secrets)
	}
	// oauth2-proxy's Secret is generated with a hashed name, which its Deployment names:
	// every reference must now name the replacement.
	var refs []string
	for _, u := range in.Units {
		if u.Name != "oauth2-proxy" {
			continue
		}
		for _, o := range u.Objects {
			if o["kind"] == "Deployment" {
				refs = append(refs, secretRefs(o["spec"])...)
			}
		}
	}
	if len(refs) == 0 || slices.ContainsFunc(refs, func(r string) bool { return r != "oauth2-proxy" }) {
		t.Errorf("oauth2-proxy's Deployment names the Secrets %q, want only the replacement oauth2-proxy", refs)
	}
}

// secretRefs returns the names of the Secrets a pod template refers to.
func secretRefs(v any) []string {
	var out []string
	switch t := v.(type) {
	case map[string]any:
		if n, ok := t["secretName"].(string); ok {
			out = append(out, n)
		}
		for _, ref := range []string{"secretKeyRef", "secretRef"} {
			if n, ok := dig(t, ref, "name").(string); ok {
				out = append(out, n)
			}
		}
		for _, c := range t {
			out = append(out, secretRefs(c)...)
		}
	case []any:
		for _, c := range t {
			out = append(out, secretRefs(c)...)
		}
	}
	return out
}

// TestDefaultCredentialsRefused: without replacements, every Secret upstream ships with
// credentials is an error naming the key to declare it under.
func TestDefaultCredentialsRefused(t *testing.T) {
	dir := sharedManifests(t)
	k := sharedSettings(dir)
	k.Secrets = nil
	k.Components = map[string]bool{"pipelines": false, "katib": false, "dex": false} // fewer units to build
	p, err := NewPlan(k, testSettings, Resolver(exampleRepo(), ""), noFetch)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Build()
	if err == nil || !strings.Contains(err.Error(), `"oauth2-proxy/oauth2-proxy": "<file>"`) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "mysql") {
		t.Errorf("a component turned off is checked: %v", err)
	}
}

func TestPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*model.Kubeflow)
		want string
	}{
		{"no release", func(k *model.Kubeflow) { k.Release = "" }, "kubeflow.release: the kubeflow/manifests release to install is not set"},
		{"unknown release", func(k *model.Kubeflow) { k.Release = "v1.9.0" }, "kubeflow.release: mlc does not know Kubeflow v1.9.0; it knows v1.11.0"},
		{"no source", func(k *model.Kubeflow) { k.Source = model.KubeflowSource{} }, "kubeflow.source: where to read"},
		{"both sources", func(k *model.Kubeflow) {
			k.Source.Git = &model.KubeflowGit{URL: "https://github.com/kubeflow/manifests"}
		}, "kubeflow.source: set git or path, not both"},
		{"unknown component", func(k *model.Kubeflow) { k.Components = map[string]bool{"ray": true} }, "kubeflow.components.ray: Kubeflow v1.11.0 has no such component"},
		{"secret outside the repository", func(k *model.Kubeflow) {
			k.Secrets = map[string]string{"auth/dex-passwords": "../elsewhere/dex.sops.yaml"}
		}, `kubeflow.secrets: "auth/dex-passwords": ../elsewhere/dex.sops.yaml is not a file inside the repository`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := sharedSettings("/shared")
			tc.edit(k)
			_, err := NewPlan(k, testSettings, Resolver("/repo", ""), noFetch)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestComponentsOnAndOff(t *testing.T) {
	k := sharedSettings(sharedManifests(t))
	k.Components = map[string]bool{"trainingOperator": true, "spark": false}
	p, err := NewPlan(k, testSettings, Resolver("/repo", ""), noFetch)
	if err != nil {
		t.Fatal(err)
	}
	var units []string
	for _, part := range p.Parts {
		units = append(units, part.Name)
	}
	for unit, want := range map[string]bool{"training-operator": true, "spark-operator": false, "model-registry": false, "kubeflow-roles": true, "trainer": true, "user-namespace": false} {
		if slices.Contains(units, unit) != want {
			t.Errorf("unit %s built: %v, want %v (%v)", unit, !want, want, units)
		}
	}
	if i := slices.IndexFunc(p.Parts, func(p Part) bool { return p.Name == "pipelines" }); p.Parts[i].Resources[0] != pipelinesK8sNative {
		t.Errorf("pipelines are built from %v", p.Parts[i].Resources)
	}
}

// TestKatibConfigFromPlatform: Katib's configuration lists the trial kinds the
// platform declares, the kinds mlc checks experiments against.
func TestKatibConfigFromPlatform(t *testing.T) {
	in := buildDefault(t)
	for _, u := range in.Units {
		for _, o := range u.Objects {
			if o["kind"] != "ConfigMap" || meta(o, "name") != "katib-config" {
				continue
			}
			cfg := dig(o, "data", "katib-config.yaml").(string)
			for _, kind := range testSettings.TrialResources {
				if !strings.Contains(cfg, "- "+kind+"\n") {
					t.Errorf("katib-config does not list %s:\n%s", kind, cfg)
				}
			}
			if !strings.Contains(cfg, "metricsCollectors") {
				t.Errorf("katib-config lost the rest of upstream's configuration:\n%s", cfg)
			}
			return
		}
	}
	t.Fatal("no katib-config ConfigMap")
}

func TestResolver(t *testing.T) {
	resolve := Resolver("/tmp/rev", "/work/platform")
	for p, want := range map[string]string{
		"secrets/a.yaml":               "/tmp/rev/secrets/a.yaml",
		"vendor/kubeflow":              "/tmp/rev/vendor/kubeflow",
		"../shared/kubeflow-manifests": "/work/shared/kubeflow-manifests",
		"/opt/kubeflow":                "/opt/kubeflow",
	} {
		if got := resolve(p); got != want {
			t.Errorf("resolve(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestPatches: a unit's kustomize patches from platform.cue apply to its build; a patch
// of a unit the release lacks, or one not installed, is an error.
func TestPatches(t *testing.T) {
	k := sharedSettings(sharedManifests(t))
	k.Patches = map[string][]model.KubeflowPatch{"katib": {{
		Patch:  "- op: replace\n  path: /spec/replicas\n  value: 2\n",
		Target: &model.KubeflowPatchTarget{Kind: "Deployment", Name: "katib-ui"},
	}, {
		Patch: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: katib-controller\n  namespace: kubeflow\nspec:\n  template:\n    spec:\n      priorityClassName: platform-critical\n",
	}}}
	p, err := NewPlan(k, testSettings, Resolver(exampleRepo(), ""), noFetch)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(p.Parts, func(p Part) bool { return p.Name == "katib" })
	b, err := Build(p.Source, p.Parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var ui, controller bool
	for _, o := range b.Objects {
		switch {
		case o["kind"] == "Deployment" && meta(o, "name") == "katib-ui":
			ui = fmt.Sprint(dig(o, "spec", "replicas")) == "2"
		case o["kind"] == "Deployment" && meta(o, "name") == "katib-controller":
			controller = dig(o, "spec", "template", "spec", "priorityClassName") == "platform-critical"
		}
	}
	if !ui || !controller {
		t.Errorf("patches applied: katib-ui replicas %v, katib-controller priority class %v", ui, controller)
	}
	// A target that selects nothing (a misspelt name) is an error naming the patch.
	typo := slices.Clone(k.Patches["katib"])
	typo[0].Target = &model.KubeflowPatchTarget{Kind: "Deployment", Name: "katib-iu"}
	k.Patches = map[string][]model.KubeflowPatch{"katib": typo}
	if p, err = NewPlan(k, testSettings, Resolver(exampleRepo(), ""), noFetch); err != nil {
		t.Fatal(err)
	}
	_, err = Build(p.Source, p.Parts[i])
	if want := `kubeflow.patches.katib[0]: its target matches no object of the unit (after the unit's patches): {kind: "Deployment", name: "katib-iu"}`; err == nil || err.Error() != want {
		t.Errorf("misspelt target: err = %v, want %q", err, want)
	}
	for unit, want := range map[string]string{
		"ray":               `kubeflow.patches.ray: Kubeflow v1.11.0 has no unit "ray"`,
		"training-operator": "kubeflow.patches.training-operator: the unit is not installed: its component trainingOperator is off",
	} {
		k.Patches = map[string][]model.KubeflowPatch{unit: {{Patch: "x"}}}
		if _, err := NewPlan(k, testSettings, Resolver(exampleRepo(), ""), noFetch); err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

// TestStorageClass: the install's claims get the platform's storage class, as tenants'
// claims do; without one they keep the cluster's default.
func TestStorageClass(t *testing.T) {
	k := sharedSettings(sharedManifests(t))
	for _, class := range []string{"fast-ssd", ""} {
		p, err := NewPlan(k, Settings{TrialResources: testSettings.TrialResources, StorageClass: class}, Resolver(exampleRepo(), ""), noFetch)
		if err != nil {
			t.Fatal(err)
		}
		claims := 0
		for _, part := range p.Parts {
			if part.Name != "katib" && part.Name != "pipelines" && part.Name != "kubeflow-roles" {
				continue // units with claims, and one without
			}
			b, err := Build(p.Source, part)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range b.Objects {
				if o["kind"] != "PersistentVolumeClaim" {
					continue
				}
				claims++
				got, _ := dig(o, "spec", "storageClassName").(string)
				if got != class {
					t.Errorf("%s: claim %s has storage class %q, want %q", part.Name, qualified(o), got, class)
				}
			}
		}
		if claims < 2 {
			t.Errorf("only %d claims in katib and pipelines", claims)
		}
	}
}

// TestSummaryRoundTrip: an install given back from its summary (as the cache keeps it)
// answers as the built one: its digest, what the platform and tenants need, and what it
// cannot run.
func TestSummaryRoundTrip(t *testing.T) {
	in := buildDefault(t)
	b, err := json.Marshal(in.Summary())
	if err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	back, err := FromSummary(s)
	if err != nil {
		t.Fatal(err)
	}
	if back.Digest() != in.Digest() {
		t.Error("the digest differs")
	}
	if !slices.Equal(back.PlatformNeeds(), in.PlatformNeeds()) {
		t.Errorf("platform needs %v, built %v", back.PlatformNeeds(), in.PlatformNeeds())
	}
	objs := []map[string]any{
		{"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": map[string]any{"name": "n", "namespace": "team"}},
		{"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob", "metadata": map[string]any{"name": "j", "namespace": "team"},
			"spec": map[string]any{"runtimeRef": map[string]any{"name": "xgboost-distributed"}}},
	}
	if !slices.Equal(back.TenantNeeds(objs), in.TenantNeeds(objs)) {
		t.Errorf("tenant needs %v, built %v", back.TenantNeeds(objs), in.TenantNeeds(objs))
	}
	if got, want := back.CheckWorkload(objs[1]), in.CheckWorkload(objs[1]); got != want || want == "" {
		t.Errorf("CheckWorkload: %q, built %q", got, want)
	}
	if back.HasSpecField(TrainJobKind, "podTemplateOverrides") != in.HasSpecField(TrainJobKind, "podTemplateOverrides") {
		t.Error("the TrainJob's fields differ")
	}
}
