package e2etest_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mlc-gitops/mlc/internal/e2etest"
)

// TestControllerManager checks the controllers kube-controller-manager runs for the
// tests: upstream's Kubeflow roles are aggregated, a deleted namespace is emptied and
// removed, and an object whose owner is deleted is collected.
func TestControllerManager(t *testing.T) {
	e2etest.RequireKubeflowManifests(t)
	c := e2etest.New(t, e2etest.Options{})
	ctx := context.Background()

	t.Run("role aggregation", func(t *testing.T) {
		if err := c.InstallKubeflowRoles(ctx); err != nil {
			t.Fatal(err)
		}
		roles, err := e2etest.KubeflowRoles()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"kubeflow-admin", "kubeflow-edit", "kubeflow-view"} {
			live, err := c.Client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			label := "rbac.authorization.kubeflow.org/aggregate-to-" + name
			n := 0
			for _, r := range roles {
				if r.GetLabels()[label] != "true" {
					continue
				}
				n++
				for _, rule := range clusterRoleRules(t, r) {
					if !containsRule(live.Rules, rule) {
						t.Errorf("%s lacks the rule %v of %s", name, rule, r.GetName())
					}
				}
			}
			if n == 0 || len(live.Rules) == 0 {
				t.Errorf("%s: %d roles aggregate into it, it has %d rules", name, n, len(live.Rules))
			}
		}
	})

	t.Run("namespace clean-up", func(t *testing.T) {
		if err := c.CreateNamespace(ctx, "doomed"); err != nil {
			t.Fatal(err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "left", Namespace: "doomed"}}
		if _, err := c.Client.CoreV1().ConfigMaps("doomed").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := c.Client.CoreV1().Namespaces().Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, c, "namespace doomed", func() error {
			_, err := c.Client.CoreV1().Namespaces().Get(ctx, "doomed", metav1.GetOptions{})
			return err
		})
	})

	t.Run("garbage collection", func(t *testing.T) {
		cms := c.Client.CoreV1().ConfigMaps("default")
		owner, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		owned := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owned", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID},
		}}}
		if _, err := cms.Create(ctx, owned, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cms.Delete(ctx, "owner", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, c, "ConfigMap owned", func() error {
			_, err := cms.Get(ctx, "owned", metav1.GetOptions{})
			return err
		})
	})
}

// TestKubeflowInstall installs upstream's Kubeflow v1.11.0 example, with Pipelines in
// Kubernetes-native mode, in one ordered server-side pass, every webhook it registers
// served by the stand-in, and checks that the API server accepts every object, that the
// webhooks are kept as upstream wrote them, that the roles are aggregated and that every
// object turns ready as Flux's health checks see it. Then KFP's rules, as the stand-in
// enforces them, and the clean-up of a namespace full of custom resources.
func TestKubeflowInstall(t *testing.T) {
	e2etest.RequireKubeflowManifests(t)
	ctx := context.Background()

	objs, err := e2etest.KubeflowExampleInstall()
	if err != nil {
		t.Fatal(err)
	}

	c := e2etest.New(t, e2etest.Options{})
	s := e2etest.NewStandIns(t, c)
	t0 := time.Now()
	stats, errs := c.ApplyOrdered(ctx, objs, s)
	for _, err := range errs {
		if strings.Contains(err.Error(), upstreamProfileDefect) {
			t.Logf("refused as expected (upstream's defect): %v", err)
			continue
		}
		t.Error(err)
	}
	if !slices.ContainsFunc(errs, func(err error) bool { return strings.Contains(err.Error(), upstreamProfileDefect) }) {
		t.Errorf("the example's Profile %q was accepted: upstream's defect is fixed, drop upstreamProfileDefect", "$(profile-name)")
	}
	errs = slices.DeleteFunc(errs, func(err error) bool { return strings.Contains(err.Error(), upstreamProfileDefect) })
	t.Logf("Kubeflow %s example install: %d objects built in %s (once per test process), applied in %s (CRDs established %s, namespaces %s, webhook configurations and services until live %s, the rest %s)",
		e2etest.KubeflowRelease, len(objs), e2etest.KubeflowExampleBuildTime().Round(time.Millisecond), time.Since(t0).Round(time.Millisecond),
		stats.CRDs.Round(time.Millisecond), stats.Namespaces.Round(time.Millisecond), stats.Webhooks.Round(time.Millisecond), stats.Rest.Round(time.Millisecond))
	if len(errs) > 0 {
		t.FailNow()
	}

	t.Run("webhooks kept and served", func(t *testing.T) {
		checkWebhooksKept(t, c, s, objs)
	})

	t.Run("caBundle injected again after a re-apply", func(t *testing.T) {
		// Upstream's PodDefault webhook carries caBundle: "", which an apply (Flux's every
		// reconcile) writes back; the stand-in injects the CA again, as cainjector does.
		i := slices.IndexFunc(objs, func(o *unstructured.Unstructured) bool {
			return o.GetKind() == "MutatingWebhookConfiguration" && o.GetName() == "admission-webhook-mutating-webhook-configuration"
		})
		if i < 0 {
			t.Fatal("no admission-webhook-mutating-webhook-configuration in the install")
		}
		if err := c.Apply(ctx, objs[i]); err != nil {
			t.Fatal(err)
		}
		err := c.Eventually(ctx, 30*time.Second, "caBundle injected", func() (bool, error) {
			live, err := c.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, objs[i].GetName(), metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return string(live.Webhooks[0].ClientConfig.CABundle) == string(s.CABundle()), nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("kubeflow-edit aggregated", func(t *testing.T) {
		if err := c.WaitClusterRolesAggregated(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		live, err := c.Client.RbacV1().ClusterRoles().Get(ctx, "kubeflow-edit", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range objs {
			if o.GetKind() != "ClusterRole" || o.GetLabels()["rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit"] != "true" {
				continue
			}
			n++
			for _, rule := range clusterRoleRules(t, o) {
				if !containsRule(live.Rules, rule) {
					t.Errorf("kubeflow-edit lacks the rule %v of %s", rule, o.GetName())
				}
			}
		}
		t.Logf("kubeflow-edit: %d rules from %d roles", len(live.Rules), n)
		if n < 10 {
			t.Errorf("only %d ClusterRoles of the install aggregate into kubeflow-edit", n)
		}
	})

	t.Run("ready as Flux sees it", func(t *testing.T) {
		t0 := time.Now()
		waitCurrent(t, c, stats.Applied)
		t.Logf("every object Current (kstatus) %s after the install", time.Since(t0).Round(time.Millisecond))
	})

	t.Run("cert-manager and the job controller stood in for", func(t *testing.T) {
		checkCertificates(t, c, s, stats.Applied)
		checkJobCompletes(t, c)
	})

	t.Run("KFP: a PipelineVersion needs its Pipeline", func(t *testing.T) {
		checkPipelineRules(t, c, s)
	})
}

// upstreamProfileDefect is how the API server refuses the one object of the example
// install that no cluster accepts: common/user-namespace/base names its Profile
// "$(profile-name)" and means to replace that from a ConfigMap, but its replacements
// select the Profile by that name, which kustomize reads as a regular expression that
// matches nothing, so the name stays (upstream's own tests create the profile with a
// script instead).
const upstreamProfileDefect = `applying Profile /$(profile-name): Profile.kubeflow.org "$(profile-name)" is invalid: metadata.name: Invalid value: "$(profile-name)"`

// checkWebhooksKept checks that every webhook configuration of the install is in the
// cluster with all its webhooks and their failure policies, its caBundle the stand-in's
// CA, and that the stand-in answered requests.
func checkWebhooksKept(t *testing.T, c *e2etest.Cluster, s *e2etest.StandIns, objs []*unstructured.Unstructured) {
	ctx := context.Background()
	api := c.Client.AdmissionregistrationV1()
	configs, webhooks, failClosed := 0, 0, 0
	for _, o := range objs {
		var want, got []webhook
		switch o.GetKind() {
		case "MutatingWebhookConfiguration":
			var cfg admissionregistrationv1.MutatingWebhookConfiguration
			fromUnstructured(t, o, &cfg)
			live, err := api.MutatingWebhookConfigurations().Get(ctx, o.GetName(), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want, got = mutatingWebhooks(cfg.Webhooks), mutatingWebhooks(live.Webhooks)
		case "ValidatingWebhookConfiguration":
			var cfg admissionregistrationv1.ValidatingWebhookConfiguration
			fromUnstructured(t, o, &cfg)
			live, err := api.ValidatingWebhookConfigurations().Get(ctx, o.GetName(), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want, got = validatingWebhooks(cfg.Webhooks), validatingWebhooks(live.Webhooks)
		default:
			continue
		}
		configs++
		if len(got) != len(want) {
			t.Errorf("%s %s: %d webhooks, upstream has %d", o.GetKind(), o.GetName(), len(got), len(want))
			continue
		}
		for i, w := range want {
			webhooks++
			g := got[i]
			// Unset, the failure policy is Fail.
			if w.failurePolicy == "" {
				w.failurePolicy = admissionregistrationv1.Fail
			}
			if g.name != w.name || g.failurePolicy != w.failurePolicy {
				t.Errorf("%s %s: webhook %s with failurePolicy %s, upstream has %s with %s", o.GetKind(), o.GetName(), g.name, g.failurePolicy, w.name, w.failurePolicy)
			}
			if g.failurePolicy == admissionregistrationv1.Fail {
				failClosed++
			}
			if w.service && string(g.caBundle) != string(s.CABundle()) {
				t.Errorf("%s %s: webhook %s has not the stand-in's CA as its caBundle", o.GetKind(), o.GetName(), w.name)
			}
		}
	}
	calls := s.Calls()
	var routes []string
	total := 0
	for r, n := range calls {
		routes = append(routes, r)
		total += n
	}
	sort.Strings(routes)
	t.Logf("%d webhook configurations, %d webhooks (%d failurePolicy Fail) served; %d requests answered through %d routes: %s",
		configs, webhooks, failClosed, total, len(routes), strings.Join(routes, ", "))
	if configs < 25 || failClosed < 30 {
		t.Errorf("the install registers %d webhook configurations, %d webhooks failing closed: fewer than upstream's", configs, failClosed)
	}
	// KServe's validator sees the install's ClusterServingRuntimes.
	if calls["validating kserve-webhook-server-service.kubeflow.svc/validate-serving-kserve-io-v1alpha1-clusterservingruntime"] == 0 {
		t.Error("no ClusterServingRuntime went through KServe's validating webhook")
	}
}

// webhook is what the test compares of a mutating or validating webhook.
type webhook struct {
	name          string
	failurePolicy admissionregistrationv1.FailurePolicyType
	service       bool
	caBundle      []byte
}

func mutatingWebhooks(ws []admissionregistrationv1.MutatingWebhook) []webhook {
	var out []webhook
	for _, w := range ws {
		out = append(out, webhook{w.Name, ptrValue(w.FailurePolicy), w.ClientConfig.Service != nil, w.ClientConfig.CABundle})
	}
	return out
}

func validatingWebhooks(ws []admissionregistrationv1.ValidatingWebhook) []webhook {
	var out []webhook
	for _, w := range ws {
		out = append(out, webhook{w.Name, ptrValue(w.FailurePolicy), w.ClientConfig.Service != nil, w.ClientConfig.CABundle})
	}
	return out
}

func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// waitCurrent waits until kstatus, which Flux's health checks use, finds every object
// Current. It lists each kind once per round.
func waitCurrent(t *testing.T, c *e2etest.Cluster, objs []*unstructured.Unstructured) {
	ctx := context.Background()
	pending := slices.Clone(objs)
	err := c.Eventually(ctx, time.Minute, "every object Current", func() (bool, error) {
		live := map[string]*unstructured.Unstructured{}
		listed := map[schema.GroupVersionKind]bool{}
		for _, o := range pending {
			gvk := o.GroupVersionKind()
			if listed[gvk] {
				continue
			}
			listed[gvk] = true
			r, err := c.ResourceFor(gvk, "")
			if err != nil {
				return false, err
			}
			list, err := r.List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			for i := range list.Items {
				item := &list.Items[i]
				item.SetGroupVersionKind(gvk)
				live[objectID(item)] = item
			}
		}
		var still []*unstructured.Unstructured
		var last error
		for _, o := range pending {
			l, ok := live[objectID(o)]
			if !ok {
				// A cluster-scoped object the install gives a namespace, which the API
				// server ignores (spark-operator's ClusterRoles).
				l, ok = live[o.GroupVersionKind().GroupKind().String()+" /"+o.GetName()]
			}
			if !ok {
				return false, fmt.Errorf("%s is not in the cluster", objectID(o))
			}
			res, err := status.Compute(l)
			if err != nil {
				return false, err
			}
			if res.Status != status.CurrentStatus {
				still = append(still, o)
				last = &notCurrent{o, res}
			}
		}
		pending = still
		if len(still) > 0 {
			return false, last
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("%v (%d objects not Current)", err, len(pending))
	}
}

func objectID(o *unstructured.Unstructured) string {
	return o.GroupVersionKind().GroupKind().String() + " " + o.GetNamespace() + "/" + o.GetName()
}

type notCurrent struct {
	o   *unstructured.Unstructured
	res *status.Result
}

func (e *notCurrent) Error() string {
	return e.o.GetKind() + " " + e.o.GetNamespace() + "/" + e.o.GetName() + " is " + string(e.res.Status) + ": " + e.res.Message
}

// checkPipelineRules checks KFP's rules as the stand-in enforces them, then deletes the
// namespace with the Pipeline and its version in it.
func checkPipelineRules(t *testing.T, c *e2etest.Cluster, s *e2etest.StandIns) {
	ctx := context.Background()
	const ns = "kfp-rules"
	if err := c.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pipeline := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline",
		"metadata": map[string]any{"name": "nightly", "namespace": ns},
		"spec":     map[string]any{"displayName": "nightly"},
	}}
	version := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "PipelineVersion",
		"metadata": map[string]any{"name": "nightly-v1", "namespace": ns},
		"spec": map[string]any{
			"pipelineName": "nightly",
			"pipelineSpec": map[string]any{"pipelineInfo": map[string]any{"name": "nightly"}, "schemaVersion": "2.1.0"},
		},
	}}
	const refused = `admission webhook "pipelineversions.pipelines.kubeflow.org" denied the request: The spec.pipelineName doesn't map to an existing Pipeline object`
	for _, dryRun := range []bool{true, false} {
		_, err := c.Create(ctx, version, dryRun)
		if err == nil || !strings.Contains(err.Error(), refused) {
			t.Errorf("a PipelineVersion without its Pipeline (dry run %v): got %v, want %q", dryRun, err, refused)
		}
	}
	if _, err := c.Create(ctx, pipeline, false); err != nil {
		t.Fatal(err)
	}
	created, err := c.Create(ctx, version, false)
	if err != nil {
		t.Fatalf("a PipelineVersion with its Pipeline: %v", err)
	}

	r, err := c.Resource(created)
	if err != nil {
		t.Fatal(err)
	}
	changed := created.DeepCopy()
	if err := unstructured.SetNestedField(changed.Object, "2.2.0", "spec", "pipelineSpec", "schemaVersion"); err != nil {
		t.Fatal(err)
	}
	const immutable = "Pipeline spec is immutable; only metadata changes (labels/annotations) are allowed"
	if _, err := r.Update(ctx, changed, metav1.UpdateOptions{}); err == nil || !strings.Contains(err.Error(), immutable) {
		t.Errorf("a changed PipelineVersion spec: got %v, want %q", err, immutable)
	}
	labelled := created.DeepCopy()
	labelled.SetLabels(map[string]string{"team": "vision"})
	if _, err := r.Update(ctx, labelled, metav1.UpdateOptions{}); err != nil {
		t.Errorf("a new label on a PipelineVersion: %v", err)
	}
	if n := s.Calls()["mutating ml-pipeline.kubeflow.svc/webhooks/mutate-pipelineversion"]; n < 4 {
		t.Errorf("KFP's mutating webhook answered %d requests, want 4 at least", n)
	}

	if err := c.Client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c, "namespace "+ns, func() error {
		_, err := c.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return err
	})
}

// waitGone waits until get says NotFound.
func waitGone(t *testing.T, c *e2etest.Cluster, what string, get func() error) {
	t.Helper()
	err := c.Eventually(context.Background(), time.Minute, what+" gone", func() (bool, error) {
		err := get()
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fromUnstructured(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

func clusterRoleRules(t *testing.T, u *unstructured.Unstructured) []rbacv1.PolicyRule {
	var role rbacv1.ClusterRole
	fromUnstructured(t, u, &role)
	return role.Rules
}

func containsRule(rules []rbacv1.PolicyRule, r rbacv1.PolicyRule) bool {
	return slices.ContainsFunc(rules, func(x rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(x, r) })
}

// checkCertificates checks what the cert-manager stand-in did for the install: every
// issuer Ready, every Certificate Ready with its Secret, a certificate for its DNS names
// that the stand-ins' CA signed.
func checkCertificates(t *testing.T, c *e2etest.Cluster, s *e2etest.StandIns, objs []*unstructured.Unstructured) {
	ctx := context.Background()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(s.CABundle()) {
		t.Fatal("the stand-ins' CA bundle holds no certificate")
	}
	n := 0
	for _, o := range objs {
		// Knative has a Certificate kind of its own, which no controller of the
		// install reports on without a pod.
		if o.GroupVersionKind().Group != "cert-manager.io" {
			continue
		}
		n++
		var live *unstructured.Unstructured
		err := c.Eventually(ctx, 30*time.Second, o.GetKind()+" "+o.GetName()+" Ready", func() (bool, error) {
			var err error
			live, err = c.Get(ctx, o.GetAPIVersion(), o.GetKind(), o.GetNamespace(), o.GetName())
			return err == nil && conditionTrue(live, "Ready"), err
		})
		if err != nil {
			t.Error(err)
			continue
		}
		if o.GetKind() != "Certificate" {
			continue
		}
		secretName, _, _ := unstructured.NestedString(o.Object, "spec", "secretName")
		dnsNames, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "dnsNames")
		secret, err := c.Client.CoreV1().Secrets(o.GetNamespace()).Get(ctx, secretName, metav1.GetOptions{})
		if err != nil {
			t.Errorf("Certificate %s/%s: %v", o.GetNamespace(), o.GetName(), err)
			continue
		}
		block, _ := pem.Decode(secret.Data[corev1.TLSCertKey])
		if block == nil || secret.Type != corev1.SecretTypeTLS || len(secret.Data[corev1.TLSPrivateKeyKey]) == 0 {
			t.Errorf("Secret %s/%s: not a TLS Secret with a certificate and its key", secret.Namespace, secret.Name)
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range dnsNames {
			if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
				t.Errorf("Secret %s/%s: %v", secret.Namespace, secret.Name, err)
			}
		}
		if after, _, _ := unstructured.NestedString(live.Object, "status", "notAfter"); after != cert.NotAfter.UTC().Format(time.RFC3339) {
			t.Errorf("Certificate %s/%s: status.notAfter %q, its Secret's certificate expires %s", o.GetNamespace(), o.GetName(), after, cert.NotAfter.UTC())
		}
	}
	if n < 10 {
		t.Errorf("the install has %d issuers and certificates", n)
	}
}

func conditionTrue(o *unstructured.Unstructured, typ string) bool {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	return slices.ContainsFunc(conds, func(ci any) bool {
		m, _ := ci.(map[string]any)
		return m["type"] == typ && m["status"] == "True"
	})
}

// checkJobCompletes creates a Job, which the stand-in completes as the job controller
// would once its pod succeeded: kstatus, and so Flux's health checks, find it Current.
func checkJobCompletes(t *testing.T, c *e2etest.Cluster) {
	ctx := context.Background()
	job := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "batch/v1", "kind": "Job",
		"metadata": map[string]any{"name": "migrate", "namespace": "default"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"restartPolicy": "Never",
			"containers":    []any{map[string]any{"name": "migrate", "image": "docker.io/library/busybox:1.37"}},
		}}},
	}}
	if _, err := c.Create(ctx, job, false); err != nil {
		t.Fatal(err)
	}
	var res *status.Result
	err := c.Eventually(ctx, 30*time.Second, "Job default/migrate Current", func() (bool, error) {
		live, err := c.Get(ctx, "batch/v1", "Job", "default", "migrate")
		if err != nil {
			return false, err
		}
		res, err = status.Compute(live)
		return err == nil && res.Status == status.CurrentStatus && conditionTrue(live, "Complete"), err
	})
	if err != nil {
		t.Fatalf("%v (kstatus: %+v)", err, res)
	}
}
