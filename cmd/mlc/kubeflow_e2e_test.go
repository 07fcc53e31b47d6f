package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/mlc-gitops/mlc/compiler/gitrev/gittest"
	"github.com/mlc-gitops/mlc/internal/e2etest"
)

// kustomizationAPI is the apiVersion of Flux's Kustomizations.
const kustomizationAPI = "kustomize.toolkit.fluxcd.io/v1"

var schemaKustomization = schema.GroupVersionKind{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Kind: "Kustomization"}

// TestKubeflowInstalledByFlux installs Kubeflow v1.11.0, upstream's manifests as mlc
// builds them, through `mlc push` and Flux, into a cluster that has nothing of Kubeflow,
// then the quickstart's tenants on it, applied by their own reconcilers under upstream's
// roles and the glue mlc generates: no role, CRD or webhook of the test's own. The
// cluster runs no pods: the stand-ins (internal/e2etest, docs/e2e.md) answer the
// install's webhooks and write what its controllers would.
//
// One push converges in one pass: every Kustomization turns Ready at the pushed
// revision with no failed attempt, each after the ones it depends on.
func TestKubeflowInstalledByFlux(t *testing.T) {
	began := time.Now()
	e2etest.Require(t)
	manifests := e2etest.RequireKubeflowManifests(t)
	gittest.Isolate(t)
	t.Setenv("SOURCE_DATE_EPOCH", "")
	c := e2etest.New(t, e2etest.Options{Flux: true})
	reg := e2etest.NewRegistry(t)
	s := e2etest.NewStandIns(t, c)

	in := pushKubeflowQuickstart(t, c, reg, manifests, 15*time.Minute)
	repo, target, prod, want, revisions, units, pushedAt := in.repo, in.target, in.prod, in.want, in.revisions, in.units, in.pushedAt

	// mlc status agrees, and follows every unit.
	code, stdout, stderr := mlc(t, "status", "--kubeconfig", c.Kubeconfig, "--cluster", "prod", "--wait", "--timeout", "60s", "--interval", "500ms", "--pushed", in.pushedFile)
	if code != 0 {
		t.Fatalf("status --wait: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, u := range units {
		if !strings.Contains(stdout, "(kubeflow)/"+u) {
			t.Errorf("mlc status does not follow %s:\n%s", u, stdout)
		}
	}

	t.Run("one pass, in dependsOn order", func(t *testing.T) {
		checkOnePass(t, c)
		checkDependsOnOrder(t, c, slices.Sorted(maps.Keys(want)), pushedAt)
	})
	t.Run("every unit applied as rendered", func(t *testing.T) {
		for _, u := range units {
			k := get(t, c, kustomizationAPI, "Kustomization", "flux-system", u)
			got := inventory(k)
			folder := strings.TrimPrefix(u, "kubeflow-")
			if wantIDs := renderedInstallIDs(t, filepath.Join(prod, "components", folder)); len(got) == 0 || !slices.Equal(got, wantIDs) {
				t.Errorf("%s: inventory of %d objects, the rendered folder has %d: %v", u, len(got), len(wantIDs), symmetricDifference(got, wantIDs))
			}
		}
	})
	t.Run("Secrets decrypted by Flux", func(t *testing.T) {
		checkDecrypted(t, c, prod)
	})
	t.Run("aggregated roles kept across a reconcile", func(t *testing.T) {
		checkAggregationKept(t, c)
	})
	t.Run("tenants under upstream's roles and mlc's glue", func(t *testing.T) {
		checkTenants(t, c, s, prod)
	})
	t.Run("new pipelines, the tenants' artifacts fetched first", func(t *testing.T) {
		newPipelines(t, c, repo, reg.Host, target, revisions)
	})
	calls := s.Calls()
	var routes []string
	for r, n := range calls {
		routes = append(routes, fmt.Sprintf("%s (%d)", r, n))
	}
	sort.Strings(routes)
	t.Logf("webhook requests the stand-in answered: %s", strings.Join(routes, ", "))
	t.Logf("test time: %s", time.Since(began).Round(time.Millisecond))
}

// kubeflowPush is the Kubeflow quickstart pushed to a test cluster and applied by Flux.
type kubeflowPush struct {
	repo   *gittest.Repo
	target string
	// prod is the rendered cluster's folder.
	prod string
	// want are every Kustomization the push makes, "<namespace>/<name>", with the
	// revision it applied; revisions the Flux revision of each artifact (components,
	// platform, tenants/<name>).
	want, revisions map[string]string
	// units are the names of the install's Kustomizations.
	units      []string
	pushedAt   time.Time
	pushedFile string
}

// pushKubeflowQuickstart renders and pushes the Kubeflow quickstart, gives Flux the
// example's age key, applies the bootstrap and waits until every Kustomization is Ready.
func pushKubeflowQuickstart(t *testing.T, c *e2etest.Cluster, reg *e2etest.Registry, manifests string, timeout time.Duration) *kubeflowPush {
	t.Helper()
	ctx := context.Background()
	p := &kubeflowPush{target: "oci://" + reg.Host + "/ml", revisions: map[string]string{}}
	p.repo = kubeflowQuickstart(t, manifests, p.target)
	out := t.TempDir()
	if code, _, stderr := mlc(t, "render", p.repo.Dir, "-o", out, "--cluster", "prod"); code != 0 {
		t.Fatalf("render: %s", stderr)
	}
	p.prod = filepath.Join(out, "prod")

	// Kubeflow installs no Kueue: the platform team does, before the quickstart's queues.
	sched, err := e2etest.SchedulerCRDs()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.InstallCRDs(ctx, sched...); err != nil {
		t.Fatal(err)
	}

	// Flux decrypts the install's Secrets with the cluster's age key.
	key, err := os.ReadFile(filepath.Join("..", "..", "examples", "kubeflow", "secrets", "example-age.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.CoreV1().Secrets("flux-system").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sops-keys", Namespace: "flux-system"},
		Data:       map[string][]byte{"age.agekey": key},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// vision's encrypted Secret: the tenant's age key, in its namespace.
	giveDecryptionKey(t, c, "vision", filepath.Join(p.repo.Dir, "secrets", "example-age.key"))

	p.pushedAt = time.Now()
	code, stdout, stderr := mlc(t, "push", p.repo.Dir, p.target, "--cluster", "prod")
	if code != 0 {
		t.Fatalf("push: exit %d\n%s", code, stderr)
	}
	p.pushedFile = filepath.Join(t.TempDir(), "pushed.txt")
	if err := os.WriteFile(p.pushedFile, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	for repository, digest := range pushedDigests(t, reg.Host, stdout) {
		p.revisions[strings.TrimPrefix(repository, "ml/prod/")] = "prod@" + digest
	}
	if p.revisions["components"] == "" {
		t.Fatalf("push did not publish the components artifact: %v", p.revisions)
	}
	applyBootstrap(t, c, filepath.Join(p.prod, "flux-system"))

	p.want = map[string]string{"flux-system/mlc-components": p.revisions["components"], "flux-system/mlc-platform": p.revisions["platform"]}
	p.units = unitNames(t, filepath.Join(p.prod, "components", "flux"))
	for _, u := range p.units {
		p.want["flux-system/"+u] = p.revisions["components"]
	}
	// On a cluster that runs KFP's Kubernetes-native mode, every tenant has its pipelines
	// Kustomization, nlp's empty until its first pipeline.
	for _, tenant := range []string{"vision", "nlp"} {
		p.want[tenant+"/mlc-tenant"] = p.revisions["tenants/"+tenant]
		p.want[tenant+"/mlc-tenant-pipelines"] = p.revisions["tenants/"+tenant]
	}
	waitAllReady(t, c, p.want, timeout)
	t.Logf("push to every Kustomization Ready (%d: mlc-components, %d units, mlc-platform, 4 of tenants): %s",
		len(p.want), len(p.units), time.Since(p.pushedAt).Round(time.Millisecond))
	return p
}

// kubeflowQuickstart commits the quickstart with the Kubeflow install of
// examples/kubeflow (its source read from manifests, its Secrets), on the Training
// Operator, Flux pointed at target.
func kubeflowQuickstart(t *testing.T, manifests, target string) *gittest.Repo {
	t.Helper()
	repo := gittest.New(t)
	repo.CopyDir(filepath.Join("..", "..", "examples", "quickstart"), ".")
	secrets, err := filepath.Glob(filepath.Join("..", "..", "examples", "kubeflow", "secrets", "*.sops.yaml"))
	if err != nil || len(secrets) == 0 {
		t.Fatalf("no SOPS files in examples/kubeflow/secrets: %v", err)
	}
	for _, f := range secrets {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		repo.Write("secrets/"+filepath.Base(f), string(b))
	}

	// examples/kubeflow's kubeflow block, its paths to the manifests made absolute.
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "kubeflow", "platform.cue"))
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)\nkubeflow: \{.*?\n\}\n`).Find(example)
	const rel = `"../../../shared/kubeflow-manifests/`
	if block == nil || !strings.Contains(string(block), rel) {
		t.Fatalf("examples/kubeflow/platform.cue has no kubeflow block reading %s...", rel)
	}
	abs, err := filepath.Abs(manifests)
	if err != nil {
		t.Fatal(err)
	}
	repo.Write("kubeflow.cue", "package ml\n"+strings.ReplaceAll(string(block), rel, `"`+abs+"/")+`
kubeflow: components: trainingOperator: true

// Kubeflow v1.11.0's Trainer (v2.1.0) has no XGBoost runtime: train on the Training Operator.
clusters: prod: training: backend: "training-operator"
`)

	// prod trains on the Training Operator here: vision's prod-only patch of its fraud
	// job follows the job to its XGBoostJob.
	raw, err := os.ReadFile(filepath.Join(repo.Dir, "tenants", "vision", "rawobjects.cue"))
	if err != nil {
		t.Fatal(err)
	}
	patched := strings.NewReplacer(`kind: "TrainJob"`, `kind: "XGBoostJob"`, "apiVersion: trainer.kubeflow.org/v1alpha1", "apiVersion: kubeflow.org/v1", "kind: TrainJob", "kind: XGBoostJob").Replace(string(raw))
	if patched == string(raw) {
		t.Fatal("the quickstart's vision has no TrainJob patch to move to the Training Operator")
	}
	repo.Write("tenants/vision/rawobjects.cue", patched)

	platform, err := os.ReadFile(filepath.Join(repo.Dir, "platform.cue"))
	if err != nil {
		t.Fatal(err)
	}
	flux := regexp.MustCompile(`(?s)\nflux: \{.*?\n\}\n`)
	if !flux.Match(platform) {
		t.Fatal("the quickstart's platform.cue has no flux block to replace")
	}
	// A failed attempt is retried after the interval: long, so that none goes unseen.
	repo.Write("platform.cue", flux.ReplaceAllString(string(platform), fmt.Sprintf(`
flux: {
	repository: %q
	insecure:   true
	interval:   "10m"
	timeout:    "3m"
}
`, target)))
	repo.Commit("quickstart on Kubeflow v1.11.0, on the test registry")
	return repo
}

// applyBootstrap applies a cluster's flux-system folder, as its operator does once.
func applyBootstrap(t *testing.T, c *e2etest.Cluster, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ApplyYAML(context.Background(), data); err != nil {
			t.Fatal(err)
		}
	}
}

// unitNames are the names of the units' Kustomizations in a rendered components/flux.
func unitNames(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	for _, o := range readFolder(t, dir) {
		names = append(names, o.GetName())
	}
	if len(names) < 20 {
		t.Fatalf("%s: %d units", dir, len(names))
	}
	sort.Strings(names)
	return names
}

// readFolder decodes every object of a rendered folder but its kustomization.yaml.
func readFolder(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		o, err := e2etest.DecodeYAML(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		objs = append(objs, o...)
	}
	return objs
}

// renderedInstallIDs are the Flux inventory IDs of a rendered unit's objects, sorted.
// An ID writes a colon of a name as "__" (cert-manager's role names have some).
func renderedInstallIDs(t *testing.T, dir string) []string {
	t.Helper()
	var ids []string
	for _, o := range readFolder(t, dir) {
		gvk := o.GroupVersionKind()
		ids = append(ids, o.GetNamespace()+"_"+strings.ReplaceAll(o.GetName(), ":", "__")+"_"+gvk.Group+"_"+gvk.Kind)
	}
	slices.Sort(ids)
	return ids
}

func symmetricDifference(a, b []string) string {
	var onlyA, onlyB []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			onlyB = append(onlyB, x)
		}
	}
	return fmt.Sprintf("only in the inventory %v, only rendered %v", onlyA, onlyB)
}

// waitAllReady waits until every Kustomization of want ("<namespace>/<name>") is Ready
// with its revision applied. A Kustomization that fails on the way fails the test at
// once, with Flux's message: Flux would retry it only after its interval.
func waitAllReady(t *testing.T, c *e2etest.Cluster, want map[string]string, timeout time.Duration) {
	t.Helper()
	ctx := context.Background()
	r, err := c.ResourceFor(schemaKustomization, "")
	if err != nil {
		t.Fatal(err)
	}
	lastReport := time.Now()
	waitFor(t, c, timeout, "every Kustomization Ready", func() (bool, string) {
		list, err := r.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		var pending []string
		seen := 0
		for i := range list.Items {
			k := &list.Items[i]
			id := k.GetNamespace() + "/" + k.GetName()
			rev, ok := want[id]
			if !ok {
				continue
			}
			seen++
			applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
			if applied != rev || readyStatus(k) != "True" {
				pending = append(pending, id+": "+readyMessage(k))
			}
			if failed := failure(k); failed != "" {
				t.Fatalf("%s failed: %s", id, failed)
			}
		}
		if seen < len(want) {
			pending = append(pending, fmt.Sprintf("%d of %d Kustomizations created", seen, len(want)))
		}
		sort.Strings(pending)
		if time.Since(lastReport) > time.Minute && len(pending) > 0 {
			lastReport = time.Now()
			t.Logf("%d not ready yet, e.g. %s", len(pending), pending[0])
		}
		return len(pending) == 0, strings.Join(pending, "\n")
	})
}

// failure returns what made a Kustomization's last attempt fail, or "": waiting for its
// dependencies, its source's first artifact or its health checks is not a failure.
func failure(k *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(k.Object, "status", "conditions")
	for _, ci := range conds {
		m, _ := ci.(map[string]any)
		if m["type"] != "Ready" || m["status"] != "False" {
			continue
		}
		switch m["reason"] {
		case "DependencyNotReady", "ArtifactFailed", "Progressing", "ProgressingWithRetry":
			return ""
		}
		return fmt.Sprintf("%v: %v", m["reason"], m["message"])
	}
	return ""
}

// checkOnePass checks that no Kustomization reported a failed attempt: Flux records each
// as a Warning event, and each success as a Normal one.
func checkOnePass(t *testing.T, c *e2etest.Cluster) {
	t.Helper()
	events, err := c.Client.CoreV1().Events("").List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.kind=Kustomization"})
	if err != nil {
		t.Fatal(err)
	}
	normal := 0
	for _, e := range events.Items {
		if e.Type != corev1.EventTypeNormal {
			t.Errorf("Kustomization %s/%s: %s %s: %s", e.InvolvedObject.Namespace, e.InvolvedObject.Name, e.Type, e.Reason, e.Message)
			continue
		}
		normal++
	}
	if normal == 0 {
		t.Error("Flux recorded no event for any Kustomization: a failure would go unseen")
	}
}

// checkDependsOnOrder checks that each Kustomization began applying only after every
// Kustomization it depends on was Ready: its objects were created no earlier than the
// time each dependency's Ready condition turned true (both to the second).
//
// It logs when each turned Ready, counted from pushedAt.
func checkDependsOnOrder(t *testing.T, c *e2etest.Cluster, ids []string, pushedAt time.Time) {
	t.Helper()
	readyAt := map[string]time.Time{}
	ks := map[string]*unstructured.Unstructured{}
	succeeded := firstSuccesses(t, c)
	for _, id := range ids {
		ns, name, _ := strings.Cut(id, "/")
		k := get(t, c, kustomizationAPI, "Kustomization", ns, name)
		ks[id] = k
		// A Kustomization reconciled again since has a later Ready transition: the first
		// success is when it was first Ready.
		if at, ok := succeeded[id]; ok {
			readyAt[id] = at
		} else {
			readyAt[id] = readyTransition(k)
		}
	}
	byTime := slices.SortedFunc(slices.Values(ids), func(a, b string) int { return readyAt[a].Compare(readyAt[b]) })
	var timeline strings.Builder
	for _, id := range byTime {
		fmt.Fprintf(&timeline, "\n  %6.0fs %s", readyAt[id].Sub(pushedAt.Truncate(time.Second)).Seconds(), id)
	}
	t.Logf("Ready after the push (to the second):%s", timeline.String())
	checked := 0
	for _, id := range ids {
		k := ks[id]
		deps, _, _ := unstructured.NestedSlice(k.Object, "spec", "dependsOn")
		if len(deps) == 0 {
			continue
		}
		began, first := firstCreated(t, c, k, pushedAt)
		if first == "" {
			continue // it applied nothing (a tenant's pipelines folder before its first pipeline)
		}
		for _, d := range deps {
			m, _ := d.(map[string]any)
			ns, _ := m["namespace"].(string)
			if ns == "" {
				ns = k.GetNamespace()
			}
			dep := ns + "/" + m["name"].(string)
			ready, ok := readyAt[dep]
			if !ok {
				t.Errorf("%s depends on %s, which the push does not make", id, dep)
				continue
			}
			checked++
			if began.Before(ready) {
				t.Errorf("%s created %s at %s, before %s was Ready (%s)", id, first, began.Format(time.RFC3339), dep, ready.Format(time.RFC3339))
			}
		}
	}
	t.Logf("%d dependsOn edges respected", checked)
	if checked < len(ids) {
		t.Errorf("only %d dependsOn edges among %d Kustomizations", checked, len(ids))
	}
}

// firstSuccesses returns, by "<namespace>/<name>", when each Kustomization first
// reported a successful reconciliation (Flux's ReconciliationSucceeded event).
func firstSuccesses(t *testing.T, c *e2etest.Cluster) map[string]time.Time {
	t.Helper()
	events, err := c.Client.CoreV1().Events("").List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.kind=Kustomization"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Time{}
	for _, e := range events.Items {
		if e.Reason != "ReconciliationSucceeded" {
			continue
		}
		at := e.FirstTimestamp.Time
		if at.IsZero() {
			at = e.EventTime.Time
		}
		id := e.InvolvedObject.Namespace + "/" + e.InvolvedObject.Name
		if prev, ok := out[id]; !at.IsZero() && (!ok || at.Before(prev)) {
			out[id] = at
		}
	}
	return out
}

// readyTransition is when a Kustomization's Ready condition last changed.
func readyTransition(k *unstructured.Unstructured) time.Time {
	conds, _, _ := unstructured.NestedSlice(k.Object, "status", "conditions")
	for _, ci := range conds {
		if m, _ := ci.(map[string]any); m["type"] == "Ready" {
			at, _ := time.Parse(time.RFC3339, fmt.Sprint(m["lastTransitionTime"]))
			return at
		}
	}
	return time.Time{}
}

// firstCreated returns when the first object of a Kustomization's inventory was created,
// and which it was.
// An object made before the push (a tenant's namespace the test made for its decryption
// key) was not the Kustomization's doing.
func firstCreated(t *testing.T, c *e2etest.Cluster, k *unstructured.Unstructured, pushedAt time.Time) (time.Time, string) {
	t.Helper()
	var first time.Time
	var which string
	for _, id := range inventory(k) {
		o := getID(t, c, id)
		if o == nil {
			t.Errorf("%s/%s: %s is in the inventory but not in the cluster", k.GetNamespace(), k.GetName(), id)
			continue
		}
		at := o.GetCreationTimestamp().Time
		if !at.After(pushedAt.Truncate(time.Second)) {
			continue // to the second: Flux applies nothing before the push has ended
		}
		if first.IsZero() || at.Before(first) {
			first, which = at, id
		}
	}
	return first, which
}

// checkDecrypted checks that each Secret the install publishes encrypted is in the
// cluster decrypted: every key of the SOPS file, no value left encrypted.
func checkDecrypted(t *testing.T, c *e2etest.Cluster, prod string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(prod, "components", "*", "secret_*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		for _, o := range readFolderFile(t, f) {
			if _, sops := o.Object["sops"]; !sops {
				continue
			}
			n++
			live, err := c.Client.CoreV1().Secrets(o.GetNamespace()).Get(context.Background(), o.GetName(), metav1.GetOptions{})
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			enc, _, _ := unstructured.NestedStringMap(o.Object, "stringData")
			if len(enc) == 0 {
				enc, _, _ = unstructured.NestedStringMap(o.Object, "data")
			}
			for key := range enc {
				v, ok := live.Data[key]
				if !ok || len(v) == 0 || strings.HasPrefix(string(v), "ENC[") {
					t.Errorf("Secret %s/%s: %s is %q, not decrypted", live.Namespace, live.Name, key, v)
				}
			}
			if _, ok := live.Data["sops"]; ok {
				t.Errorf("Secret %s/%s holds SOPS's metadata", live.Namespace, live.Name)
			}
		}
	}
	if n != 6 {
		t.Errorf("%d Secrets published encrypted, want the six of examples/kubeflow", n)
	}
}

func readFolderFile(t *testing.T, f string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := e2etest.DecodeYAML(data)
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return objs
}

// checkAggregationKept asks Flux to reconcile Kubeflow's roles again and checks that
// the aggregated ClusterRoles kept the rules Kubernetes aggregated into them: Flux does
// not own their rules, so its apply changes nothing (fluxcd/flux2#2472).
func checkAggregationKept(t *testing.T, c *e2etest.Cluster) {
	t.Helper()
	ctx := context.Background()
	roles := c.Client.RbacV1().ClusterRoles()
	before, err := roles.Get(ctx, "kubeflow-edit", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkAggregated(t, c, before)

	k := reconcileKustomization(t, c, "flux-system", "kubeflow-kubeflow-roles")
	if id := "_kubeflow-edit_rbac.authorization.k8s.io_ClusterRole"; !slices.Contains(inventory(k), id) {
		t.Fatalf("kubeflow-kubeflow-roles does not apply kubeflow-edit: %v", inventory(k))
	}
	after, err := roles.Get(ctx, "kubeflow-edit", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("kubeflow-edit changed when Flux reconciled it again (resourceVersion %s, then %s): its rules were rewritten", before.ResourceVersion, after.ResourceVersion)
	}
	for _, mf := range after.ManagedFields {
		if mf.Manager == "kustomize-controller" && mf.FieldsV1 != nil && strings.Contains(string(mf.FieldsV1.Raw), `"f:rules"`) {
			t.Errorf("Flux owns kubeflow-edit's rules, which Kubernetes aggregates: %s", mf.FieldsV1.Raw)
		}
	}
	checkAggregated(t, c, after)
	t.Logf("kubeflow-edit: %d rules, kept across a reconcile of kubeflow-kubeflow-roles", len(after.Rules))
}

// checkAggregated checks that an aggregated ClusterRole holds the rules of every role
// its selectors match, among them PodDefaults' and Pipelines'.
func checkAggregated(t *testing.T, c *e2etest.Cluster, role *rbacv1.ClusterRole) {
	t.Helper()
	all, err := c.Client.RbacV1().ClusterRoles().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sel := range role.AggregationRule.ClusterRoleSelectors {
		s, err := metav1.LabelSelectorAsSelector(&sel)
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range all.Items {
			if other.Name == role.Name || !s.Matches(labels.Set(other.Labels)) {
				continue
			}
			n++
			for _, r := range other.Rules {
				if !slices.ContainsFunc(role.Rules, func(x rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(x, r) }) {
					t.Errorf("%s lacks the rule %v of %s", role.Name, r, other.Name)
				}
			}
		}
	}
	for _, resource := range []string{"poddefaults", "pipelineversions", "notebooks", "inferenceservices"} {
		if !slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool { return slices.Contains(r.Resources, resource) }) {
			t.Errorf("%s has no rule on %s", role.Name, resource)
		}
	}
	if n < 10 {
		t.Errorf("%s: only %d roles aggregate into it", role.Name, n)
	}
}

// reconcileKustomization asks Flux to reconcile a Kustomization now, as `flux reconcile
// kustomization` does, and waits until it has, Ready.
func reconcileKustomization(t *testing.T, c *e2etest.Cluster, ns, name string) *unstructured.Unstructured {
	t.Helper()
	r, err := c.ResourceFor(schemaKustomization, ns)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Format(time.RFC3339Nano)
	patch := []byte(`{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":"` + now + `"}}}`)
	if _, err := r.Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	var k *unstructured.Unstructured
	waitFor(t, c, 3*time.Minute, "Kustomization "+ns+"/"+name+" reconciled again", func() (bool, string) {
		k = get(t, c, kustomizationAPI, "Kustomization", ns, name)
		handled, _, _ := unstructured.NestedString(k.Object, "status", "lastHandledReconcileAt")
		return handled == now && readyStatus(k) == "True", readyMessage(k)
	})
	return k
}

// checkTenants checks what the tenants' reconcilers applied: each tenant's objects as
// rendered, the Pipelines applied before their PipelineVersions (KFP's webhook refuses a
// version whose Pipeline does not exist), the PodDefaults by the reconciler.
func checkTenants(t *testing.T, c *e2etest.Cluster, s *e2etest.StandIns, prod string) {
	t.Helper()
	for _, k := range []struct{ ns, name, dir string }{
		{"vision", "mlc-tenant", "tenants/vision"},
		{"vision", "mlc-tenant-pipelines", "tenants/vision/pipelines"},
		{"nlp", "mlc-tenant", "tenants/nlp"},
		{"nlp", "mlc-tenant-pipelines", "tenants/nlp/pipelines"},
	} {
		ks := get(t, c, kustomizationAPI, "Kustomization", k.ns, k.name)
		if sa, _, _ := unstructured.NestedString(ks.Object, "spec", "serviceAccountName"); sa != "mlc-reconciler" {
			t.Errorf("%s/%s applies as %q, not the tenant's reconciler", k.ns, k.name, sa)
		}
		want := renderedIDs(t, filepath.Join(prod, k.dir), k.ns)
		if got := inventory(ks); !slices.Equal(got, want) {
			t.Errorf("%s/%s: %s", k.ns, k.name, symmetricDifference(got, want))
		}
	}
	// The reconciler is bound to upstream's kubeflow-edit and mlc's Role, nothing else.
	bindings, err := c.Client.RbacV1().RoleBindings("vision").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, b := range bindings.Items {
		for _, s := range b.Subjects {
			if s.Kind == "ServiceAccount" && s.Name == "mlc-reconciler" {
				roles = append(roles, b.RoleRef.Kind+"/"+b.RoleRef.Name)
			}
		}
	}
	slices.Sort(roles)
	if want := []string{"ClusterRole/kubeflow-edit", "Role/mlc-reconciler-apply"}; !slices.Equal(roles, want) {
		t.Errorf("vision's reconciler is bound to %v, want %v", roles, want)
	}

	pd := get(t, c, "kubeflow.org/v1alpha1", "PodDefault", "vision", "s3-credentials")
	if pd == nil || !slices.ContainsFunc(pd.GetManagedFields(), func(m metav1.ManagedFieldsEntry) bool {
		return m.Manager == "kustomize-controller" && m.Operation == metav1.ManagedFieldsOperationApply
	}) {
		t.Errorf("PodDefault vision/s3-credentials not applied by Flux: %v", pd)
	}
	pipelines := get(t, c, kustomizationAPI, "Kustomization", "vision", "mlc-tenant-pipelines")
	tenant := get(t, c, kustomizationAPI, "Kustomization", "vision", "mlc-tenant")
	for _, id := range inventory(pipelines) {
		if !strings.HasSuffix(id, "_pipelines.kubeflow.org_Pipeline") {
			t.Errorf("mlc-tenant-pipelines applies %s", id)
		}
	}
	versions := 0
	for _, id := range inventory(tenant) {
		if strings.HasSuffix(id, "_pipelines.kubeflow.org_PipelineVersion") {
			versions++
			o := getID(t, c, id)
			name, _, _ := unstructured.NestedString(o.Object, "spec", "pipelineName")
			if get(t, c, "pipelines.kubeflow.org/v2beta1", "Pipeline", "vision", name) == nil {
				t.Errorf("%s names the Pipeline %s, which is not in the cluster", id, name)
			}
		}
	}
	if versions == 0 {
		t.Error("vision's reconciler applied no PipelineVersion")
	}
	if n := s.Calls()["mutating ml-pipeline.kubeflow.svc/webhooks/mutate-pipelineversion"]; n == 0 {
		t.Error("no PipelineVersion went through KFP's mutating webhook")
	}
	// The rule holds in vision: a version whose Pipeline is absent is refused, dry run
	// or not, so the one the reconciler applied found its Pipeline there.
	orphan := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "PipelineVersion",
		"metadata": map[string]any{"name": "orphan-v1", "namespace": "vision"},
		"spec": map[string]any{
			"pipelineName": "absent",
			"pipelineSpec": map[string]any{"pipelineInfo": map[string]any{"name": "absent"}, "schemaVersion": "2.1.0"},
		},
	}}
	const refused = "The spec.pipelineName doesn't map to an existing Pipeline object"
	if _, err := c.Create(context.Background(), orphan, true); err == nil || !strings.Contains(err.Error(), refused) {
		t.Errorf("a PipelineVersion without its Pipeline in vision: got %v, want %q", err, refused)
	}
}

// newPipelines pushes a commit that gives vision a second pipeline and nlp its first,
// and lets Flux fetch the tenants' artifacts before the platform's, as happens when a
// tenant's source polls first: no PipelineVersion may be applied before its Pipeline
// (KFP's webhook refuses it), and everything converges at the new revisions. The
// install, unchanged, keeps its artifact's digest.
func newPipelines(t *testing.T, c *e2etest.Cluster, repo *gittest.Repo, host, target string, before map[string]string) {
	t.Helper()
	pipeline := func(name, image string) string {
		return fmt.Sprintf(`package ml

pipelines: %q: {
	description: "Score the model on the held-out set"
	tasks: score: {
		image: %q
		command: ["python", "-m", "score"]
		resources: {cpu: 1, memory: "2Gi"}
	}
}
`, name, image)
	}
	repo.Write("tenants/vision/eval.cue", pipeline("resnet-eval", "ghcr.io/example/vision-eval:1.0.0"))
	repo.Write("tenants/nlp/pipelines.cue", pipeline("summarizer-eval", "ghcr.io/example/nlp-eval:1.0.0"))
	repo.Commit("vision: a second pipeline; nlp: a first one")
	pushedAt := time.Now()
	code, stdout, stderr := mlc(t, "push", repo.Dir, target, "--cluster", "prod")
	if code != 0 {
		t.Fatalf("push: exit %d\n%s", code, stderr)
	}
	revisions := map[string]string{}
	for repository, digest := range pushedDigests(t, host, stdout) {
		revisions[strings.TrimPrefix(repository, "ml/prod/")] = "prod@" + digest
	}
	if revisions["components"] != before["components"] {
		t.Errorf("the components artifact changed (%s, then %s) although the install did not", before["components"], revisions["components"])
	}

	// The tenants' sources first: their Kustomizations, still as the platform wrote them
	// before, attempt the new artifacts.
	for _, tenant := range []string{"vision", "nlp"} {
		requestSource(t, c, tenant, "mlc-tenant")
	}
	for _, tenant := range []string{"vision", "nlp"} {
		var attempt string
		waitFor(t, c, 3*time.Minute, tenant+"/mlc-tenant attempts the new artifact", func() (bool, string) {
			k := get(t, c, kustomizationAPI, "Kustomization", tenant, "mlc-tenant")
			attempted, _, _ := unstructured.NestedString(k.Object, "status", "lastAttemptedRevision")
			attempt = readyMessage(k)
			return attempted == revisions["tenants/"+tenant] && readyStatus(k) != "Unknown", attempt
		})
		t.Logf("%s/mlc-tenant on its new artifact before the platform's: %s", tenant, attempt)
		if strings.Contains(attempt, "doesn't map to an existing Pipeline") {
			t.Errorf("%s's new PipelineVersion was applied before its Pipeline: %s", tenant, attempt)
		}
	}

	requestSource(t, c, "flux-system", "mlc-platform")
	want := map[string]string{"flux-system/mlc-platform": revisions["platform"]}
	for _, tenant := range []string{"vision", "nlp"} {
		want[tenant+"/mlc-tenant"] = revisions["tenants/"+tenant]
		want[tenant+"/mlc-tenant-pipelines"] = revisions["tenants/"+tenant]
	}
	waitAllReadyEventually(t, c, want, 5*time.Minute)
	t.Logf("second push to the new pipelines Ready: %s", time.Since(pushedAt).Round(time.Millisecond))
	for _, p := range []struct{ ns, name string }{{"vision", "resnet-eval"}, {"nlp", "summarizer-eval"}} {
		if get(t, c, "pipelines.kubeflow.org/v2beta1", "Pipeline", p.ns, p.name) == nil {
			t.Errorf("the Pipeline %s/%s is not in the cluster", p.ns, p.name)
		}
	}
}

// requestSource asks Flux to fetch an OCIRepository now.
func requestSource(t *testing.T, c *e2etest.Cluster, ns, name string) {
	t.Helper()
	r, err := c.ResourceFor(schema.GroupVersionKind{Group: "source.toolkit.fluxcd.io", Version: "v1", Kind: "OCIRepository"}, ns)
	if err != nil {
		t.Fatal(err)
	}
	patch := []byte(`{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":"` + time.Now().Format(time.RFC3339Nano) + `"}}}`)
	if _, err := r.Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitAllReadyEventually waits until every Kustomization of want is Ready at its
// revision, through failed attempts.
func waitAllReadyEventually(t *testing.T, c *e2etest.Cluster, want map[string]string, timeout time.Duration) {
	t.Helper()
	waitFor(t, c, timeout, "every Kustomization Ready", func() (bool, string) {
		var pending []string
		for id, rev := range want {
			ns, name, _ := strings.Cut(id, "/")
			k := get(t, c, kustomizationAPI, "Kustomization", ns, name)
			if k == nil {
				pending = append(pending, id+": not created")
				continue
			}
			applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
			if applied != rev || readyStatus(k) != "True" {
				pending = append(pending, id+": "+readyMessage(k))
			}
		}
		sort.Strings(pending)
		return len(pending) == 0, strings.Join(pending, "\n")
	})
}
