package compiler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/internal/e2etest"
)

// TestScheduleStartsARun runs the quickstart's nightly schedule against a real API
// server: the rendered Pipeline, PipelineVersion and CronJob are created in the tenant's
// namespace (so the API server accepts the CronJob as mlc writes it), and the job's
// script, taken from the CronJob, runs with python3 on this machine as the CronJob's
// service account (default-editor, bound to kubeflow-edit as Kubeflow's profile
// controller binds it), with tokens the API server issued. An HTTP server stands in for
// KFP's API server only: it authenticates the bearer token as KFP does (a TokenReview
// for the pipelines.kubeflow.org audience), and records the experiment and run requests.
func TestScheduleStartsARun(t *testing.T) {
	e2etest.Require(t)
	crds := e2etest.RequireUpstreamCRDs(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is needed to run the schedule's script (.ci/run installs it): ", err)
		}
		t.Skip("python3 is not installed: apt-get install python3 to run the schedule's script")
	}
	ctx := context.Background()

	res, err := compiler.Compile(ctx, filepath.Join("..", "examples", "quickstart"), compiler.Options{Tenants: []string{"vision"}, NoCache: true})
	if err != nil || res.Diagnostics.HasErrors() {
		t.Fatalf("compile: %v %v", err, res.Diagnostics)
	}
	const ns = "vision"
	cronObject := renderedObject(t, res, "CronJob", "nightly")
	var cron batchv1.CronJob
	if b, err := json.Marshal(tree(t, cronObject)); err != nil || json.Unmarshal(b, &cron) != nil {
		t.Fatal("the rendered CronJob does not decode")
	}
	container := cron.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	var version string
	for _, e := range container.Env {
		if e.Name == "MLC_PIPELINE_VERSION" {
			version = e.Value
		}
	}
	objects := []manifest.Object{renderedObject(t, res, "Pipeline", "nightly"), renderedObject(t, res, "PipelineVersion", version), cronObject}

	c := e2etest.New(t, e2etest.Options{CRDs: crds})
	if err := c.InstallKubeflowRoles(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	account := cron.Spec.JobTemplate.Spec.Template.Spec.ServiceAccountName
	if _, err := c.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: account}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: account},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "kubeflow-edit"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: account, Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	uids := map[string]string{}
	for _, o := range objects {
		created, err := c.Create(ctx, &unstructured.Unstructured{Object: tree(t, o)}, false)
		if err != nil {
			t.Fatalf("the API server refuses the rendered %s %s: %v", o.Kind(), o.Name(), err)
		}
		uids[o.Kind()] = string(created.GetUID())
	}

	dir := t.TempDir()
	kubeToken := tokenFile(t, c, ns, account, nil, filepath.Join(dir, "kube-token"))
	kfpToken := tokenFile(t, c, ns, account, []string{lower.KFPTokenAudience}, filepath.Join(dir, "kfp-token"))
	ca := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(ca, c.Config.CAData, 0o600); err != nil {
		t.Fatal(err)
	}
	kfp := newFakeKFP(t, c)

	run := func(extra ...string) (string, error) {
		cmd := exec.Command(python, container.Command[1:]...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		for _, e := range container.Env {
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
		cmd.Env = append(cmd.Env,
			"MLC_KUBERNETES_API="+c.Host, "MLC_KUBERNETES_TOKEN_PATH="+kubeToken, "MLC_KUBERNETES_CA="+ca,
			"KF_PIPELINES_ENDPOINT="+kfp.URL, "KF_PIPELINES_SA_TOKEN_PATH="+kfpToken)
		cmd.Env = append(cmd.Env, extra...) // later values win
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	t.Run("starts a run of the version", func(t *testing.T) {
		out, err := run()
		if err != nil {
			t.Fatalf("the script failed: %v\n%s", err, out)
		}
		t.Logf("script: %s", strings.TrimSpace(out))
		reqs := kfp.take()
		if len(reqs) != 3 || reqs[0].path != "GET /apis/v2beta1/experiments" || reqs[1].path != "POST /apis/v2beta1/experiments" || reqs[2].path != "POST /apis/v2beta1/runs" {
			t.Fatalf("requests to KFP: %v, want the experiment looked up, created, then a run", reqs)
		}
		for _, r := range reqs {
			if r.user != "system:serviceaccount:"+ns+":"+account {
				t.Errorf("%s authenticated as %q, want the CronJob's service account", r.path, r.user)
			}
		}
		if q := reqs[0].query; q.Get("namespace") != ns || !strings.Contains(q.Get("filter"), `"string_value": "Default"`) {
			t.Errorf("experiment lookup %v: want namespace %s and a filter on the display name Default", q, ns)
		}
		var runBody struct {
			DisplayName  string `json:"display_name"`
			ExperimentID string `json:"experiment_id"`
			VersionRef   struct {
				PipelineID        string `json:"pipeline_id"`
				PipelineVersionID string `json:"pipeline_version_id"`
			} `json:"pipeline_version_reference"`
			RuntimeConfig struct {
				Parameters map[string]any `json:"parameters"`
			} `json:"runtime_config"`
			ServiceAccount string `json:"service_account"`
		}
		dec := json.NewDecoder(bytes.NewReader(reqs[2].body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&runBody); err != nil {
			t.Fatalf("run request %s: %v", reqs[2].body, err)
		}
		if ref := runBody.VersionRef; ref.PipelineID != uids["Pipeline"] || ref.PipelineVersionID != uids["PipelineVersion"] {
			t.Errorf("pipeline_version_reference %+v, want the objects' UIDs %s and %s", ref, uids["Pipeline"], uids["PipelineVersion"])
		}
		if runBody.ExperimentID != fakeExperimentID {
			t.Errorf("experiment_id %q, want the created experiment's %q", runBody.ExperimentID, fakeExperimentID)
		}
		if p := runBody.RuntimeConfig.Parameters; len(p) != 1 || p["source"] != "gs://vision-data/incoming" {
			t.Errorf("parameters %v, want the schedule's: source gs://vision-data/incoming", p)
		}
		if !regexp.MustCompile(`^nightly \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`).MatchString(runBody.DisplayName) {
			t.Errorf("display name %q, want the pipeline and the time", runBody.DisplayName)
		}
		if runBody.ServiceAccount != "" {
			t.Errorf("service_account %q, want KFP's default", runBody.ServiceAccount)
		}
	})

	t.Run("an account that may not read pipelines fails", func(t *testing.T) {
		if _, err := c.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nobody"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		out, err := run("MLC_KUBERNETES_TOKEN_PATH=" + tokenFile(t, c, ns, "nobody", nil, filepath.Join(dir, "nobody-token")))
		t.Logf("script: %s", strings.TrimSpace(out))
		if err == nil || !strings.Contains(out, "mlc-schedule: GET "+c.Host+"/apis/pipelines.kubeflow.org/v2beta1/namespaces/vision/pipelines/nightly: HTTP 403") {
			t.Errorf("want a 403 from the API server named in the output; got %v:\n%s", err, out)
		}
		if reqs := kfp.take(); len(reqs) != 0 {
			t.Errorf("KFP was asked %v", reqs)
		}
	})

	t.Run("a missing version fails", func(t *testing.T) {
		api, err := c.Resource(&unstructured.Unstructured{Object: tree(t, objects[1])})
		if err != nil {
			t.Fatal(err)
		}
		if err := api.Delete(ctx, version, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		out, err := run()
		t.Logf("script: %s", strings.TrimSpace(out))
		if err == nil {
			t.Fatalf("the script succeeded without the PipelineVersion:\n%s", out)
		}
		want := "mlc-schedule: PipelineVersion " + ns + "/" + version + " does not exist"
		if !strings.Contains(out, want) {
			t.Errorf("output %q, want it to say %q", out, want)
		}
		if reqs := kfp.take(); len(reqs) != 0 {
			t.Errorf("KFP was asked %v", reqs)
		}
	})
}

// renderedObject returns the compiled object of a kind and name.
func renderedObject(t *testing.T, res *compiler.Result, kind, name string) manifest.Object {
	t.Helper()
	for _, cl := range res.Clusters {
		for _, tn := range cl.Tenants {
			for _, o := range tn.Workloads {
				if o.Kind() == kind && o.Name() == name {
					return o
				}
			}
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return manifest.Object{}
}

// tokenFile writes a token the API server issues for a service account, for the
// audiences (the API server's own when nil), and returns its path.
func tokenFile(t *testing.T, c *e2etest.Cluster, ns, account string, audiences []string, path string) string {
	t.Helper()
	tr, err := c.Client.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), account, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{Audiences: audiences},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(tr.Status.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeExperimentID is the ID the stand-in for KFP gives the experiment it creates.
const fakeExperimentID = "0b7a8e4c-6f0e-4c36-9d4e-2f7f3c1f9a10"

// kfpRequest is a request the stand-in for KFP received.
type kfpRequest struct {
	path  string // method and path
	query url.Values
	body  []byte
	// user is who the bearer token authenticates as, by a TokenReview.
	user string
}

func (r kfpRequest) String() string { return r.path }

// fakeKFP stands in for KFP's API server: it authenticates each request's bearer token
// with a TokenReview for KFP's audience, as KFP does, answers the experiment and run
// calls, and records them.
type fakeKFP struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []kfpRequest
}

func newFakeKFP(t *testing.T, c *e2etest.Cluster) *fakeKFP {
	f := &fakeKFP{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := kfpRequest{path: r.Method + " " + r.URL.Path, query: r.URL.Query(), body: body}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok {
			review, err := c.Client.AuthenticationV1().TokenReviews().Create(r.Context(), &authenticationv1.TokenReview{
				Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: []string{lower.KFPTokenAudience}},
			}, metav1.CreateOptions{})
			if err == nil && review.Status.Authenticated {
				req.user = review.Status.User.Username
			}
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		f.mu.Unlock()
		if req.user == "" {
			http.Error(w, `{"error":"Unauthenticated"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch req.path {
		case "GET /apis/v2beta1/experiments":
			_, _ = w.Write([]byte(`{}`))
		case "POST /apis/v2beta1/experiments":
			_, _ = w.Write([]byte(`{"experiment_id":"` + fakeExperimentID + `","display_name":"Default","namespace":"vision"}`))
		case "POST /apis/v2beta1/runs":
			_, _ = w.Write([]byte(`{"run_id":"4e1b0c55-2a55-4d9c-8a0e-3d0a8f5c2b71"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// take returns the requests received since the last call.
func (f *fakeKFP) take() []kfpRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	reqs := f.reqs
	f.reqs = nil
	return reqs
}
