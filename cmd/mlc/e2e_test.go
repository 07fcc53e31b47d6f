package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/mlc-gitops/mlc/compiler/artifact"
	"github.com/mlc-gitops/mlc/compiler/gitrev/gittest"
	"github.com/mlc-gitops/mlc/compiler/status"
	"github.com/mlc-gitops/mlc/internal/e2etest"
)

// TestGitOpsLoopOnARealCluster is the whole loop on a real cluster: etcd, kube-apiserver
// with the upstream CRDs and Kubeflow's user roles, Flux's source-controller and
// kustomize-controller, and an OCI registry, all on loopback. The quickstart is pushed
// with `mlc push`, its bootstrap applied, and Flux applies the platform, then each
// tenant's artifact as the tenant's own service account.
//
// No Kubeflow or KServe controller runs, so no Notebook or InferenceService ever becomes
// ready by itself and the tenants' health checks would time out. The test therefore
// first asserts what Flux did before its health checks (the inventory and the attempted
// revision), then plays the missing controllers: it writes ready statuses through the
// status subresource, after which the Kustomizations turn Ready with the pushed revision.
// The test platform shortens flux.timeout to 30s so that a failing check shows quickly.
func TestGitOpsLoopOnARealCluster(t *testing.T) {
	e2etest.Require(t)
	crds := e2etest.RequireUpstreamCRDs(t)
	gittest.Isolate(t)
	t.Setenv("SOURCE_DATE_EPOCH", "")
	ctx := context.Background()
	c := e2etest.New(t, e2etest.Options{CRDs: crds, Flux: true})
	reg := e2etest.NewRegistry(t)
	if err := c.InstallKubeflowRoles(ctx); err != nil {
		t.Fatal(err)
	}

	// The quickstart, its Flux settings pointed at the test registry.
	repo := gittest.New(t)
	repo.CopyDir(filepath.Join("..", "..", "examples", "quickstart"), ".")
	platform, err := os.ReadFile(filepath.Join(repo.Dir, "platform.cue"))
	if err != nil {
		t.Fatal(err)
	}
	flux := regexp.MustCompile(`(?s)\nflux: \{.*?\n\}\n`)
	if !flux.Match(platform) {
		t.Fatal("the quickstart's platform.cue has no flux block to replace")
	}
	target := "oci://" + reg.Host + "/ml"
	repo.Write("platform.cue", flux.ReplaceAllString(string(platform), fmt.Sprintf(`
flux: {
	repository: %q
	insecure:   true
	interval:   "10m"
	timeout:    "30s"
}
`, target)))
	repo.Commit("quickstart, on the test registry")

	push := func() (map[string]string, string, time.Time) {
		t.Helper()
		pushedAt := time.Now()
		code, stdout, stderr := mlc(t, "push", repo.Dir, target, "--cluster", "prod")
		if code != 0 {
			t.Fatalf("push: exit %d\n%s", code, stderr)
		}
		digests := map[string]string{}
		for repository, digest := range pushedDigests(t, reg.Host, stdout) {
			digests[strings.TrimPrefix(repository, "ml/prod/")] = digest
		}
		file := filepath.Join(t.TempDir(), "pushed.txt")
		if err := os.WriteFile(file, []byte(stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		return digests, file, pushedAt
	}
	digests, pushedFile, pushedAt := push()
	for _, a := range []string{"platform", "tenants/vision", "tenants/nlp"} {
		if digests[a] == "" {
			t.Fatalf("push did not print the %s artifact: %v", a, digests)
		}
	}

	// vision's encrypted Secret: the platform's operators give Flux the tenant's age key,
	// in the tenant's namespace (made here first, before the platform applies it).
	giveDecryptionKey(t, c, "vision", filepath.Join(repo.Dir, "secrets", "example-age.key"))

	// The bootstrap: the cluster's flux-system folder, applied once by hand.
	out := t.TempDir()
	if code, _, stderr := mlc(t, "render", repo.Dir, "-o", out, "--cluster", "prod"); code != 0 {
		t.Fatalf("render: %s", stderr)
	}
	boot, err := filepath.Glob(filepath.Join(out, "prod", "flux-system", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range boot {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ApplyYAML(ctx, data); err != nil {
			t.Fatal(err)
		}
	}

	// Flux applies the platform, then each tenant's objects into its namespace.
	waitApplied(t, c, "flux-system", "mlc-platform", digests["platform"])
	t.Logf("push to the platform Kustomization Ready: %s", time.Since(pushedAt).Round(time.Millisecond))
	for _, tenant := range []string{"vision", "nlp"} {
		want := renderedIDs(t, filepath.Join(out, "prod", "tenants", tenant), tenant)
		waitInventory(t, c, tenant, digests["tenants/"+tenant], want)
		for _, id := range want {
			o := getID(t, c, id)
			if o == nil {
				t.Fatalf("%s is in the inventory but not in the cluster", id)
			}
			if l := o.GetLabels(); l["kustomize.toolkit.fluxcd.io/name"] != "mlc-tenant" || l["kustomize.toolkit.fluxcd.io/namespace"] != tenant {
				t.Errorf("%s: not labelled as applied by %s/mlc-tenant: %v", id, tenant, l)
			}
		}
	}

	t.Logf("push to both tenants' artifacts applied (before health checks): %s", time.Since(pushedAt).Round(time.Millisecond))
	checkTenantDecrypted(t, c)

	// Before the workloads are ready, mlc status says which are not.
	code, stdout, _ := mlc(t, "status", "--kubeconfig", c.Kubeconfig, "--cluster", "prod", "--pushed", pushedFile)
	if code != 1 || !strings.Contains(stdout, "vision: Notebook alice-dev: InProgress") {
		t.Errorf("status before the workloads are ready: exit %d\n%s", code, stdout)
	}

	// Play Kubeflow's and KServe's controllers: the workloads become ready, the health
	// checks pass, and each Kustomization is Ready with the pushed revision.
	makeWorkloadsReady(t, c, "vision", "nlp")
	healthyAt := time.Now()
	for _, tenant := range []string{"vision", "nlp"} {
		waitApplied(t, c, tenant, "mlc-tenant", digests["tenants/"+tenant])
	}
	t.Logf("push to every Kustomization Ready: %s (including the bootstrap; %s after the workloads became ready)", time.Since(pushedAt).Round(time.Millisecond), time.Since(healthyAt).Round(time.Millisecond))
	code, stdout, stderr := mlc(t, "status", "--kubeconfig", c.Kubeconfig, "--cluster", "prod", "--wait", "--timeout", "60s", "--interval", "500ms", "--pushed", pushedFile)
	if code != 0 {
		t.Fatalf("status --wait: exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("mlc status:\n%s", stdout)

	// A change: bob-vscode removed, alice-dev's environment changed. Flux applies the
	// change and prunes the notebook, but keeps its workspace, marked prune: disabled.
	notebooks := filepath.Join(repo.Dir, "tenants", "vision", "notebooks.cue")
	src, err := os.ReadFile(notebooks)
	if err != nil {
		t.Fatal(err)
	}
	bob := regexp.MustCompile(`(?s)\t"bob-vscode": \{.*?\n\t\}\n`)
	changed := bob.ReplaceAllString(strings.Replace(string(src), `WANDB_PROJECT: "resnet"`, `WANDB_PROJECT: "resnet-v2"`, 1), "")
	if changed == string(src) || strings.Contains(changed, "bob-vscode") {
		t.Fatal("could not edit notebooks.cue")
	}
	repo.Write("tenants/vision/notebooks.cue", changed)
	repo.Commit("vision: bob-vscode goes, alice-dev logs to resnet-v2")
	before := digests
	digests, pushedFile, pushedAt = push()
	if digests["tenants/nlp"] != before["tenants/nlp"] {
		t.Errorf("nlp's digest changed although nothing of nlp did")
	}
	requestReconcile(t, c, "flux-system", "mlc-platform")
	requestReconcile(t, c, "vision", "mlc-tenant")
	waitApplied(t, c, "vision", "mlc-tenant", digests["tenants/vision"])
	t.Logf("second push to vision Ready: %s", time.Since(pushedAt).Round(time.Millisecond))
	if get(t, c, "kubeflow.org/v1", "Notebook", "vision", "bob-vscode") != nil {
		t.Error("the removed notebook bob-vscode was not pruned")
	}
	if pvc := get(t, c, "v1", "PersistentVolumeClaim", "vision", "bob-vscode-workspace"); pvc == nil {
		t.Error("bob-vscode's workspace was pruned although it is marked kustomize.toolkit.fluxcd.io/prune: disabled")
	}
	alice := get(t, c, "kubeflow.org/v1", "Notebook", "vision", "alice-dev")
	if b, _ := json.Marshal(alice.Object["spec"]); !strings.Contains(string(b), `"value":"resnet-v2"`) {
		t.Errorf("alice-dev's change was not applied: %s", b)
	}
	waitApplied(t, c, "flux-system", "mlc-platform", digests["platform"])
	if code, stdout, stderr := mlc(t, "status", "--kubeconfig", c.Kubeconfig, "--cluster", "prod", "--wait", "--timeout", "60s", "--interval", "500ms", "--pushed", pushedFile); code != 0 {
		t.Fatalf("status --wait after the change: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// Isolation. The reconciler of vision may act only in vision: the API server refuses
	// it anything in nlp...
	cm := func(ns, name string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": name, "namespace": ns},
			"data":     map[string]any{"from": "vision"},
		}}
	}
	err = c.CreateAs(ctx, "system:serviceaccount:vision:mlc-reconciler", cm("nlp", "direct"))
	if !apierrors.IsForbidden(err) {
		t.Fatalf("vision's reconciler creating a ConfigMap in nlp: want Forbidden, got %v", err)
	}
	// ... and an artifact of vision that names another namespace, or a cluster-scoped
	// object, fails whole with the API server's RBAC error: nothing of it is applied.
	visionRepo := reg.Host + "/ml/prod/tenants/vision"
	pushByHand(t, visionRepo, map[string]string{
		"kustomization.yaml": "resources: [configmap.yaml, clusterrolebinding.yaml]\n",
		// vision's mlc-tenant-pipelines, which mlc-tenant waits for, applies this folder.
		"pipelines/kustomization.yaml": "resources: []\n",
		"configmap.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-vision, namespace: nlp}\ndata: {from: vision}\n",
		"clusterrolebinding.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: vision-escalates}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: mlc-reconciler, namespace: vision}]
`,
	})
	requestReconcile(t, c, "vision", "mlc-tenant")
	var failure string
	waitFor(t, c, 2*time.Minute, "vision's bad artifact refused", func() (bool, string) {
		k := get(t, c, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", "vision", "mlc-tenant")
		failure = readyMessage(k)
		return strings.Contains(failure, "forbidden") && strings.Contains(failure, "system:serviceaccount:vision:mlc-reconciler"), failure
	})
	t.Logf("Flux's error for vision's bad artifact: %s", failure)
	if !strings.Contains(failure, "clusterrolebindings") {
		t.Errorf("the error does not name the refused object: %s", failure)
	}
	for _, ns := range []string{"nlp", "vision"} {
		if get(t, c, "v1", "ConfigMap", ns, "from-vision") != nil {
			t.Errorf("the ConfigMap of the refused artifact was applied in %s", ns)
		}
	}
	if get(t, c, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "vision-escalates") != nil {
		t.Fatal("vision escalated to cluster-admin")
	}
	code, stdout, _ = mlc(t, "status", "--kubeconfig", c.Kubeconfig, "--tenant", "vision")
	if code != 1 || !strings.Contains(stdout, "vision: applying sha256:") || !strings.Contains(stdout, "failed: ReconciliationFailed: ClusterRoleBinding/vision-escalates dry-run failed (Forbidden)") {
		t.Errorf("status with vision failing: exit %d\n%s", code, stdout)
	}
	t.Logf("mlc status with vision failing:\n%s", stdout)
	// The Kustomization's targetNamespace moves a namespaced object that names another
	// namespace into the tenant's own.
	pushByHand(t, visionRepo, map[string]string{
		"kustomization.yaml":           "resources: [configmap.yaml]\n",
		"pipelines/kustomization.yaml": "resources: []\n",
		"configmap.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-vision, namespace: nlp}\ndata: {from: vision}\n",
	})
	requestReconcile(t, c, "vision", "mlc-tenant")
	waitFor(t, c, 2*time.Minute, "vision's ConfigMap applied", func() (bool, string) {
		return get(t, c, "v1", "ConfigMap", "vision", "from-vision") != nil, "not in vision"
	})
	if get(t, c, "v1", "ConfigMap", "nlp", "from-vision") != nil {
		t.Error("vision's artifact created a ConfigMap in nlp")
	}
	// That artifact holds nothing else: Flux prunes vision's workloads.
	waitFor(t, c, 2*time.Minute, "vision's notebooks pruned", func() (bool, string) {
		return get(t, c, "kubeflow.org/v1", "Notebook", "vision", "alice-dev") == nil, "alice-dev still there"
	})

	// Pushing the commit again restores vision (the registry holds the digest, so only
	// the tag moves back).
	digests, pushedFile, _ = push()
	requestReconcile(t, c, "vision", "mlc-tenant")
	// The hand-made artifact pruned vision's workloads; once Flux has applied them all
	// again, the test plays their controllers again.
	out = t.TempDir()
	if code, _, stderr := mlc(t, "render", repo.Dir, "-o", out, "--cluster", "prod"); code != 0 {
		t.Fatalf("render: %s", stderr)
	}
	waitInventory(t, c, "vision", digests["tenants/vision"], renderedIDs(t, filepath.Join(out, "prod", "tenants", "vision"), "vision"))
	makeWorkloadsReady(t, c, "vision")
	if code, stdout, stderr := mlc(t, "status", "--kubeconfig", c.Kubeconfig, "--cluster", "prod", "--wait", "--timeout", "90s", "--interval", "500ms", "--pushed", pushedFile); code != 0 {
		t.Fatalf("status --wait after restoring vision: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if get(t, c, "v1", "ConfigMap", "vision", "from-vision") != nil {
		t.Error("the ConfigMap of the hand-made artifact was not pruned")
	}
	// Without --pushed, --wait waits for the digests the tags point at in the registry.
	if code, stdout, stderr := mlc(t, "status", "--kubeconfig", c.Kubeconfig, "--wait", "--timeout", "60s", "--interval", "500ms"); code != 0 {
		t.Fatalf("status --wait for the registry's tags: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = mlc(t, "status", "--kubeconfig", c.Kubeconfig, "-o", "json")
	var report struct {
		Units []struct {
			Tenant, Applied string
			Workloads       []struct{ Kind, Name, Health string }
		}
		Problems []any
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil || code != 0 {
		t.Fatalf("status -o json: exit %d, %v\n%s\n%s", code, err, stdout, stderr)
	}
	// The platform, nlp, vision, and vision's pipelines (their own Kustomization).
	if len(report.Units) != 4 || report.Units[2].Tenant != "vision" || report.Units[2].Applied != "prod@"+digests["tenants/vision"] ||
		report.Units[3].Tenant != "vision"+status.PipelinesSuffix || report.Units[3].Applied != "prod@"+digests["tenants/vision"] || len(report.Problems) != 0 {
		t.Errorf("status -o json: %s", stdout)
	}

	liveDiff(t, c, repo)
}

// liveDiff runs mlc diff --live against the cluster that applied the committed
// quickstart: no change at first, then the working tree's edits as Flux would apply them,
// then the objects the API server refuses.
func liveDiff(t *testing.T, c *e2etest.Cluster, repo *gittest.Repo) {
	live := func(args ...string) (int, string, string) {
		t.Helper()
		return mlc(t, append([]string{"diff", repo.Dir, "--live", "--kubeconfig", c.Kubeconfig}, args...)...)
	}
	code, stdout, stderr := live("--cluster", "prod", "--exit-code")
	if code != 0 || !strings.Contains(stdout, "No change to the rendered objects.") {
		t.Fatalf("diff --live of what Flux applied: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := live("--cluster", "staging"); code != 2 || !strings.Contains(stderr, "not "+strings.TrimSuffix(repoFluxURL(t, c), "/prod/platform")+"/staging/platform") {
		t.Errorf("diff --live naming a cluster the context is not: exit %d\n%s", code, stderr)
	}

	// Edits, not committed: alice-dev logs elsewhere, nlp's endpoint goes, a tenant comes.
	notebooks := filepath.Join(repo.Dir, "tenants", "vision", "notebooks.cue")
	src, err := os.ReadFile(notebooks)
	if err != nil {
		t.Fatal(err)
	}
	repo.Write("tenants/vision/notebooks.cue", strings.Replace(string(src), `WANDB_PROJECT: "resnet-v2"`, `WANDB_PROJECT: "resnet-v3"`, 1))
	if err := os.Remove(filepath.Join(repo.Dir, "tenants", "nlp", "serving.cue")); err != nil {
		t.Fatal(err)
	}
	repo.Write("tenants/audio/tenant.cue", `package ml

tenant: {
	owner: "fatima@example.com"
	quota: {cpu: 8, memory: "32Gi"}
}

notebooks: "asr": {
	image: "jupyter-scipy"
	resources: {cpu: 1, memory: "2Gi"}
}
`)
	code, stdout, stderr = live("--cluster", "prod", "--format", "json", "--exit-code")
	if code != 1 {
		t.Fatalf("diff --live with changes and --exit-code: exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	var rep struct {
		Base, Head struct{ Ref, State string }
		Totals     struct{ Added, Removed, Changed int }
		Changes    []struct {
			Op, Tenant, Kind, Namespace, Name string
			Fields                            []struct{ Path string }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("diff --live --format json: %v\n%s", err, stdout)
	}
	changes := map[string]string{}
	for _, ch := range rep.Changes {
		var paths []string
		for _, f := range ch.Fields {
			paths = append(paths, f.Path)
		}
		changes[ch.Op+" "+ch.Kind+" "+ch.Namespace+"/"+ch.Name] = strings.Join(paths, " ")
	}
	t.Logf("diff --live: %+v; changes: %v", rep.Totals, changes)
	if !strings.HasPrefix(rep.Base.Ref, "cluster prod (context ") || rep.Head.State != "compiled" {
		t.Errorf("diff --live: base %+v, head %+v", rep.Base, rep.Head)
	}
	if p, ok := changes["changed Notebook vision/alice-dev"]; !ok || !strings.Contains(p, "WANDB_PROJECT") {
		t.Errorf("alice-dev's env change not shown as a changed field (%q): %v", p, changes)
	}
	for _, want := range []string{
		"removed InferenceService nlp/summarizer",
		"added Namespace /audio", "added Profile /audio", "added Kustomization audio/mlc-tenant",
		"added Notebook audio/asr", "added PersistentVolumeClaim audio/asr-workspace",
		// mlc's glue: the reconciler's rights beside kubeflow-edit, default requests.
		"added Role audio/mlc-reconciler-apply", "added RoleBinding audio/mlc-reconciler-apply",
		"added LimitRange audio/mlc-container-defaults",
	} {
		if _, ok := changes[want]; !ok {
			t.Errorf("diff --live does not show %q: %v", want, changes)
		}
	}
	for ch := range changes {
		if strings.HasPrefix(ch, "removed PersistentVolumeClaim") {
			t.Errorf("diff --live shows a protected workspace as removed: %s", ch)
		}
	}
	// nlp's Kustomization no longer waits for the endpoint.
	if p := changes["changed Kustomization nlp/mlc-tenant"]; p != "spec.healthChecks[name=summarizer]" {
		t.Errorf("nlp's Kustomization: changed fields %q, want its health check of summarizer", p)
	}
	if len(rep.Changes) != len(changes) || rep.Totals.Changed != 2 || rep.Totals.Removed != 1 || rep.Totals.Added != 11 {
		t.Errorf("diff --live: want alice-dev and nlp's Kustomization changed, summarizer removed, audio's 11 objects added: %+v %v", rep.Totals, changes)
	}

	// A workspace cannot be resized before it is bound: offline validation cannot know,
	// the API server refuses it, and the preview says so.
	src, err = os.ReadFile(notebooks)
	if err != nil {
		t.Fatal(err)
	}
	repo.Write("tenants/vision/notebooks.cue", strings.Replace(string(src), `workspace: size: "50Gi"`, `workspace: size: "60Gi"`, 1))
	code, stdout, stderr = live("--cluster", "prod")
	if code != 1 || !strings.Contains(stdout, "refuses 1 object") || !strings.Contains(stdout, "the cluster refuses PersistentVolumeClaim vision/alice-dev-workspace") || !strings.Contains(stdout, "immutable") {
		t.Errorf("diff --live with a resized unbound workspace: exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("diff --live refusing a change:\n%s", stdout)
}

// repoFluxURL is the artifact the cluster's platform OCIRepository follows.
func repoFluxURL(t *testing.T, c *e2etest.Cluster) string {
	o := get(t, c, "source.toolkit.fluxcd.io/v1", "OCIRepository", "flux-system", "mlc-platform")
	url, _, _ := unstructured.NestedString(o.Object, "spec", "url")
	return url
}

// pushByHand pushes files as an artifact in Flux's format to repository's prod tag.
func pushByHand(t *testing.T, repository string, files map[string]string) {
	t.Helper()
	var fs []artifact.File
	for p, d := range files {
		fs = append(fs, artifact.File{Path: p, Data: []byte(d)})
	}
	img, err := artifact.Pack(fs, artifact.Metadata{Source: "by hand", Revision: "main@sha1:0000000000000000000000000000000000000000", Created: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&artifact.Pusher{}).Push(context.Background(), repository, img, []string{"prod"}); err != nil {
		t.Fatal(err)
	}
}

// waitInventory waits until a tenant's Kustomization has applied the revision of digest
// and its inventory is want: every object is in the cluster, before the health checks.
func waitInventory(t *testing.T, c *e2etest.Cluster, tenant, digest string, want []string) {
	t.Helper()
	waitFor(t, c, 2*time.Minute, tenant+"'s artifact applied", func() (bool, string) {
		k := get(t, c, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", tenant, "mlc-tenant")
		if k == nil {
			return false, "no Kustomization yet"
		}
		attempted, _, _ := unstructured.NestedString(k.Object, "status", "lastAttemptedRevision")
		got := inventory(k)
		if attempted != "prod@"+digest || !slices.Equal(got, want) {
			return false, fmt.Sprintf("attempted %s, inventory %v (want %v); %s", attempted, got, want, readyMessage(k))
		}
		return true, ""
	})
}

// waitApplied waits until a Kustomization is Ready with the revision of digest applied.
func waitApplied(t *testing.T, c *e2etest.Cluster, ns, name, digest string) {
	t.Helper()
	waitFor(t, c, 2*time.Minute, fmt.Sprintf("Kustomization %s/%s Ready with %s", ns, name, digest), func() (bool, string) {
		k := get(t, c, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", ns, name)
		if k == nil {
			return false, "not created"
		}
		applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
		ready := readyStatus(k)
		return applied == "prod@"+digest && ready == "True", fmt.Sprintf("applied %q, %s", applied, readyMessage(k))
	})
}

func waitFor(t *testing.T, c *e2etest.Cluster, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	err := c.Eventually(context.Background(), timeout, what, func() (bool, error) {
		ok, why := cond()
		last = why
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%v; last: %s", err, last)
	}
}

func get(t *testing.T, c *e2etest.Cluster, apiVersion, kind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	o, err := c.Get(context.Background(), apiVersion, kind, ns, name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// getID reads the object of a Flux inventory ID (<namespace>_<name>_<group>_<kind>).
func getID(t *testing.T, c *e2etest.Cluster, id string) *unstructured.Unstructured {
	t.Helper()
	p := strings.Split(id, "_")
	m, err := c.Mapper.RESTMapping(schema.GroupKind{Group: p[2], Kind: p[3]})
	if err != nil {
		t.Fatal(err)
	}
	return get(t, c, m.GroupVersionKind.GroupVersion().String(), p[3], p[0], p[1])
}

func readyStatus(k *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(k.Object, "status", "conditions")
	for _, ci := range conds {
		if m, _ := ci.(map[string]any); m["type"] == "Ready" {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}

func readyMessage(k *unstructured.Unstructured) string {
	if k == nil {
		return "not created"
	}
	conds, _, _ := unstructured.NestedSlice(k.Object, "status", "conditions")
	for _, ci := range conds {
		if m, _ := ci.(map[string]any); m["type"] == "Ready" {
			return fmt.Sprintf("Ready=%v %v: %v", m["status"], m["reason"], m["message"])
		}
	}
	return "no Ready condition"
}

func inventory(k *unstructured.Unstructured) []string {
	entries, _, _ := unstructured.NestedSlice(k.Object, "status", "inventory", "entries")
	var ids []string
	for _, e := range entries {
		if m, _ := e.(map[string]any); m != nil {
			id, _ := m["id"].(string)
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// renderedIDs are the Flux inventory IDs of the objects in a rendered tenant folder,
// sorted.
func renderedIDs(t *testing.T, dir, ns string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := e2etest.DecodeYAML(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			gvk := o.GroupVersionKind()
			ids = append(ids, ns+"_"+o.GetName()+"_"+gvk.Group+"_"+gvk.Kind)
		}
	}
	slices.Sort(ids)
	return ids
}

// requestReconcile asks Flux to fetch a source now, as `flux reconcile source oci` does.
func requestReconcile(t *testing.T, c *e2etest.Cluster, ns, name string) {
	t.Helper()
	now := time.Now().Format(time.RFC3339Nano)
	patch := []byte(`{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":"` + now + `"}}}`)
	for _, kind := range []string{"source.toolkit.fluxcd.io/v1/OCIRepository", "kustomize.toolkit.fluxcd.io/v1/Kustomization"} {
		i := strings.LastIndex(kind, "/")
		o := &unstructured.Unstructured{}
		o.SetAPIVersion(kind[:i])
		o.SetKind(kind[i+1:])
		o.SetNamespace(ns)
		r, err := c.Resource(o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// makeWorkloadsReady writes, for every notebook and inference service of the tenants,
// the status its controller writes once it serves.
func makeWorkloadsReady(t *testing.T, c *e2etest.Cluster, tenants ...string) {
	t.Helper()
	ctx := context.Background()
	for _, ns := range tenants {
		for _, kind := range []struct{ apiVersion, kind string }{{"kubeflow.org/v1", "Notebook"}, {"serving.kserve.io/v1beta1", "InferenceService"}} {
			o := &unstructured.Unstructured{}
			o.SetAPIVersion(kind.apiVersion)
			o.SetKind(kind.kind)
			o.SetNamespace(ns)
			r, err := c.Resource(o)
			if err != nil {
				t.Fatal(err)
			}
			list, err := r.List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, listed := range list.Items {
				// Flux may touch the object between the list and the write: retry on
				// a conflict with what is stored now.
				err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
					item, err := r.Get(ctx, listed.GetName(), metav1.GetOptions{})
					if err != nil {
						return err
					}
					setReadyStatus(item)
					_, err = r.UpdateStatus(ctx, item, metav1.UpdateOptions{})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// setReadyStatus writes into a Notebook or InferenceService the status its controller
// writes once it serves.
func setReadyStatus(item *unstructured.Unstructured) {
	if item.GetKind() == "Notebook" {
		item.Object["status"] = map[string]any{
			"conditions":     []any{},
			"containerState": map[string]any{"running": map[string]any{"startedAt": "2026-01-01T00:00:00Z"}},
			"readyReplicas":  int64(1),
		}
		return
	}
	item.Object["status"] = map[string]any{
		"observedGeneration": item.GetGeneration(),
		"conditions": []any{map[string]any{
			"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z",
		}},
	}
}

// giveDecryptionKey makes the namespace ns (unless it is there) and, in it, the Secret the tenant's
// Kustomization decrypts its SOPS-encrypted Secrets with (flux.tenantDecryptionSecret's
// default), holding the age key of keyFile.
func giveDecryptionKey(t *testing.T, c *e2etest.Cluster, ns, keyFile string) {
	t.Helper()
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sops-keys", Namespace: ns}, Data: map[string][]byte{"age.agekey": key}}
	if _, err := c.Client.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// checkTenantDecrypted: the real kustomize-controller decrypted vision's SOPS-encrypted
// Secret, and alice-dev, which reads it, is applied.
func checkTenantDecrypted(t *testing.T, c *e2etest.Cluster) {
	t.Helper()
	ctx := context.Background()
	s, err := c.Client.CoreV1().Secrets("vision").Get(ctx, "wandb", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.Data["api-key"]); got != "example-not-a-real-key" {
		t.Errorf("Secret vision/wandb: api-key is %q, want the value encrypted in the repository", got)
	}
	if _, ok := s.Data["sops"]; ok || len(s.Data) != 1 {
		t.Errorf("Secret vision/wandb holds %d keys, want api-key alone", len(s.Data))
	}
	nb := getID(t, c, "vision_alice-dev_kubeflow.org_Notebook")
	env, _, _ := unstructured.NestedSlice(nb.Object, "spec", "template", "spec", "containers")
	if !strings.Contains(fmt.Sprint(env), "map[key:api-key name:wandb]") {
		t.Errorf("Notebook alice-dev does not read the Secret wandb: %v", env)
	}
}
