package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// object builds a manifest.Object from JSON, the way a test reads best.
func object(t *testing.T, js string) manifest.Object {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	return manifest.Object{Content: m}
}

func notebook(t *testing.T, name, image string, gpus int) manifest.Object {
	return object(t, fmt.Sprintf(`{"apiVersion": "kubeflow.org/v1", "kind": "Notebook",
		"metadata": {"name": %q, "namespace": "vision"},
		"spec": {"template": {"spec": {"containers": [{"name": %[1]q, "image": %q,
			"resources": {"limits": {"cpu": "1", "nvidia.com/gpu": "%d"}}}]}}}}`, name, image, gpus))
}

func pvc(t *testing.T, name string, keep bool) manifest.Object {
	ann := ""
	if keep {
		ann = `"annotations": {"kustomize.toolkit.fluxcd.io/prune": "disabled"},`
	}
	return object(t, fmt.Sprintf(`{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
		"metadata": {%s "name": %q, "namespace": "vision"}, "spec": {"resources": {"requests": {"storage": "10Gi"}}}}`, ann, name))
}

func profile(t *testing.T, owner string, gpus int) manifest.Object {
	return object(t, fmt.Sprintf(`{"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "vision"},
		"spec": {"owner": {"kind": "User", "name": %q}, "resourceQuotaSpec": {"hard": {"cpu": "8", "requests.nvidia.com/gpu": "%d"}}}}`, owner, gpus))
}

func roleBinding(t *testing.T, user, role string) manifest.Object {
	return object(t, fmt.Sprintf(`{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
		"metadata": {"name": "user-%s-%s", "namespace": "vision", "annotations": {"user": %[1]q, "role": %[2]q}},
		"roleRef": {"kind": "ClusterRole", "name": "kubeflow-%[2]s"}, "subjects": [{"kind": "User", "name": %[1]q}]}`, user, role))
}

func inferenceService(t *testing.T, traffic int, model string) manifest.Object {
	return object(t, fmt.Sprintf(`{"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
		"metadata": {"name": "resnet", "namespace": "vision"},
		"spec": {"predictor": {"canaryTrafficPercent": %d, "model": {"storageUri": %q}}}}`, traffic, model))
}

func namespace(t *testing.T, name string) manifest.Object {
	return object(t, fmt.Sprintf(`{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": %q}}`, name))
}

func snapshot(cluster, tenant string, objs ...manifest.Object) Snapshot {
	return Snapshot{cluster: {tenant: objs}}
}

func compare(t *testing.T, base, head Snapshot) *Report {
	t.Helper()
	r, err := Compare(base, head)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// changes lists a report's changes as "cluster tenant op Kind name".
func changes(r *Report) []string {
	var out []string
	for _, c := range r.Changes {
		out = append(out, strings.Join([]string{c.Cluster, c.Tenant, string(c.Op), c.Kind, c.Name}, " "))
	}
	return out
}

// calloutsOf lists a report's callouts as "rule op Kind name: note".
func calloutsOf(r *Report) []string {
	var out []string
	for _, c := range r.Callouts {
		s := c.Rule + " " + string(c.Op) + " " + c.Kind + " " + c.Name
		for _, f := range c.Fields {
			s += " " + f.Path
		}
		if c.Note != "" {
			s += ": " + c.Note
		}
		out = append(out, s)
	}
	return out
}

func TestCompareByIdentity(t *testing.T) {
	base := Snapshot{
		"prod": {"vision": {profile(t, "alice", 1), notebook(t, "a", "x:1", 0), pvc(t, "a-ws", true)}},
		"old":  {"vision": {profile(t, "alice", 1)}},
	}
	moved := profile(t, "alice", 1)
	moved.Content["apiVersion"] = "kubeflow.org/v2" // same group, kind and name: the same object
	head := Snapshot{
		"prod": {"vision": {moved, notebook(t, "a", "x:1", 0), notebook(t, "b", "x:1", 0)}},
		"new":  {"vision": {profile(t, "alice", 1)}},
	}
	r := compare(t, base, head)
	want := []string{
		"new vision added Profile vision",
		"old vision removed Profile vision",
		"prod vision changed Profile vision",
		"prod vision removed PersistentVolumeClaim a-ws",
		"prod vision added Notebook b",
	}
	if got := changes(r); !slices.Equal(got, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.Changes[2].APIVersion != "kubeflow.org/v2" || len(r.Changes[2].Fields) != 1 || r.Changes[2].Fields[0].Path != "apiVersion" {
		t.Errorf("changed Profile: %+v", r.Changes[2])
	}
	if r.Totals != (Counts{Added: 2, Removed: 2, Changed: 1}) {
		t.Errorf("totals %+v", r.Totals)
	}
	wantClusters := []ClusterCounts{{"new", Counts{Added: 1}}, {"old", Counts{Removed: 1}}, {"prod", Counts{Added: 1, Removed: 1, Changed: 1}}}
	if !slices.Equal(r.Clusters, wantClusters) {
		t.Errorf("clusters %+v", r.Clusters)
	}
	wantRows := []Row{
		{"new", "vision", "Profile", Counts{Added: 1}},
		{"old", "vision", "Profile", Counts{Removed: 1}},
		{"prod", "vision", "Notebook", Counts{Added: 1}},
		{"prod", "vision", "PersistentVolumeClaim", Counts{Removed: 1}},
		{"prod", "vision", "Profile", Counts{Changed: 1}},
	}
	if !slices.Equal(r.Summary, wantRows) {
		t.Errorf("summary %+v", r.Summary)
	}
}

func TestNoChange(t *testing.T) {
	s := snapshot("prod", "vision", profile(t, "alice", 1), notebook(t, "a", "x:1", 1))
	r := compare(t, s, snapshot("prod", "vision", notebook(t, "a", "x:1", 1), profile(t, "alice", 1)))
	if r.Totals.Total() != 0 || len(r.Changes) != 0 || len(r.Callouts) != 0 {
		t.Errorf("same objects in another order: %+v", r)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"changes": []`) || !strings.Contains(b.String(), `"callouts": []`) {
		t.Errorf("empty lists must be [] in JSON:\n%s", b.String())
	}
}

func TestCallouts(t *testing.T) {
	base := snapshot("prod", "vision",
		profile(t, "alice", 4), roleBinding(t, "bob", "edit"),
		notebook(t, "gpu", "x:1", 1), notebook(t, "img", "x:1", 0), notebook(t, "gone", "x:1", 0),
		pvc(t, "kept", true), pvc(t, "lost", false), inferenceService(t, 10, "s3://m/v3"), namespace(t, "old"))
	head := snapshot("prod", "vision",
		profile(t, "carol", 8), roleBinding(t, "dave", "view"),
		notebook(t, "gpu", "x:1", 2), notebook(t, "img", "x:2", 0), notebook(t, "new", "x:1", 1),
		inferenceService(t, 50, "s3://m/v4"))
	want := []string{
		"data removed Namespace old: everything in the namespace is deleted with it",
		"data removed PersistentVolumeClaim kept: Flux keeps it, as kustomize.toolkit.fluxcd.io/prune is disabled; mlc stops managing it",
		"data removed PersistentVolumeClaim lost: Flux deletes the claim and the data on its volume",
		"data removed Notebook gone: Flux deletes it: what is not on a kept volume is lost",
		"access removed RoleBinding user-bob-edit: user bob, role edit",
		"access added RoleBinding user-dave-view: user dave, role view",
		"access changed Profile vision spec.owner.name",
		`quota changed Profile vision spec.resourceQuotaSpec.hard["requests.nvidia.com/gpu"]`,
		`gpu changed Notebook gpu spec.template.spec.containers[name=gpu].resources.limits["nvidia.com/gpu"]`,
		`gpu added Notebook new spec.template.spec.containers[name=new].resources.limits["nvidia.com/gpu"]`,
		"traffic changed InferenceService resnet spec.predictor.canaryTrafficPercent",
		"image changed Notebook img spec.template.spec.containers[name=img].image",
		"model changed InferenceService resnet spec.predictor.model.storageUri",
	}
	if got := calloutsOf(compare(t, base, head)); !slices.Equal(got, want) {
		t.Errorf("callouts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCalloutOfAddedValue: a GPU limit that appears with a whole new limits map is
// still called out, down to the single value.
func TestCalloutOfAddedValue(t *testing.T) {
	before := object(t, `{"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": "n", "namespace": "v"},
		"spec": {"template": {"spec": {"containers": [{"name": "n", "resources": {"requests": {"cpu": "1"}}}]}}}}`)
	after := object(t, `{"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": "n", "namespace": "v"},
		"spec": {"template": {"spec": {"containers": [{"name": "n", "resources": {"requests": {"cpu": "1"}, "limits": {"nvidia.com/gpu": "4", "cpu": "2"}}}]}}}}`)
	r := compare(t, snapshot("c", "v", before), snapshot("c", "v", after))
	want := []string{`gpu changed Notebook n spec.template.spec.containers[name=n].resources.limits["nvidia.com/gpu"]`}
	if got := calloutsOf(r); !slices.Equal(got, want) {
		t.Errorf("callouts %q, want %q", got, want)
	}
	if f := r.Callouts[0].Fields[0]; f.Op != Added || f.New != "4" {
		t.Errorf("called-out field %+v", f)
	}
}

// TestRulesAreData: a rule added to the table is applied with no other change.
func TestRulesAreData(t *testing.T) {
	saved := Rules
	t.Cleanup(func() { Rules = saved })
	Rules = append(slices.Clone(Rules), Rule{ID: "replicas", Title: "replicas", Kinds: []string{"Deployment"}, Ops: []Op{Changed}, Path: "spec.replicas"})
	dep := func(n int) manifest.Object {
		return object(t, fmt.Sprintf(`{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "v"}, "spec": {"replicas": %d}}`, n))
	}
	got := calloutsOf(compare(t, snapshot("c", "v", dep(1)), snapshot("c", "v", dep(3))))
	if want := []string{"replicas changed Deployment d spec.replicas"}; !slices.Equal(got, want) {
		t.Errorf("callouts %q, want %q", got, want)
	}
}

func TestSelect(t *testing.T) {
	s := Snapshot{"prod": {"a": nil, "b": nil}, "staging": {"a": nil}}
	got := s.Select([]string{"prod"}, []string{"b"})
	if len(got) != 1 || len(got["prod"]) != 1 || got["prod"]["b"] != nil {
		t.Errorf("Select: %v", got)
	}
	if got := s.Select(nil, nil); len(got) != 2 || len(got["prod"]) != 2 {
		t.Errorf("Select with nothing named keeps all: %v", got)
	}
}

func crd(t *testing.T, group, kind, plural string) manifest.Object {
	return object(t, fmt.Sprintf(`{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": {"name": "%[3]s.%[1]s"}, "spec": {"group": %[1]q, "names": {"kind": %[2]q, "plural": %[3]q}, "scope": "Namespaced"}}`, group, kind, plural))
}

// TestCalloutsOfCRDs: a removed CRD is called out with what the API server deletes with
// it; KFP's Pipeline CRD appearing says what happens to pipelines kept in its database;
// another CRD appearing is not called out.
func TestCalloutsOfCRDs(t *testing.T) {
	base := snapshot("prod", "", crd(t, "kubeflow.org", "Experiment", "experiments"))
	head := snapshot("prod", "", crd(t, "pipelines.kubeflow.org", "Pipeline", "pipelines"), crd(t, "trainer.kubeflow.org", "TrainJob", "trainjobs"))
	got := calloutsOf(compare(t, base, head))
	want := []string{
		"data removed CustomResourceDefinition experiments.kubeflow.org: the API server deletes every Experiment (kubeflow.org) in the cluster with it, tenants' included",
		`data added CustomResourceDefinition pipelines.pipelines.kubeflow.org: Kubeflow Pipelines then lists Pipeline objects only: pipelines it kept in its database before are no longer shown; export them first (KFP's tools/k8s-native) and declare them, or keep kubeflow.pipelines.definitions "database"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("callouts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCalloutOfCloudIdentity: a service account that takes or changes a cloud identity
// is called out as access, with the identity; one without is not.
func TestCalloutOfCloudIdentity(t *testing.T) {
	sa := func(name, annotations string) manifest.Object {
		return object(t, fmt.Sprintf(`{"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": {"name": %q, "namespace": "vision", "annotations": {%s}}}`, name, annotations))
	}
	base := snapshot("prod", "vision",
		sa("s3", `"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/a"`), sa("plain", `"team": "a"`))
	head := snapshot("prod", "vision",
		sa("s3", `"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/b"`), sa("plain", `"team": "b"`),
		sa("gcs", `"iam.gke.io/gcp-service-account": "a@p.iam.gserviceaccount.com"`),
		sa("blob", `"azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000000"`))
	want := []string{
		`access added ServiceAccount blob metadata.annotations["azure.workload.identity/client-id"]`,
		`access added ServiceAccount gcs metadata.annotations["iam.gke.io/gcp-service-account"]`,
		`access changed ServiceAccount s3 metadata.annotations["eks.amazonaws.com/role-arn"]`,
	}
	if got := calloutsOf(compare(t, base, head)); !slices.Equal(got, want) {
		t.Errorf("callouts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCalloutOfProfilePlugin: a cloud identity given to a namespace through a Profile
// plugin is an access change reviewers see.
func TestCalloutOfProfilePlugin(t *testing.T) {
	before := object(t, `{"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "vision"},
		"spec": {"owner": {"kind": "User", "name": "alice"}}}`)
	after := object(t, `{"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "vision"},
		"spec": {"owner": {"kind": "User", "name": "alice"}, "plugins": [{"kind": "WorkloadIdentity", "spec": {"gcpServiceAccount": "kf@p.iam.gserviceaccount.com"}}]}}`)
	want := []string{"access changed Profile vision spec.plugins[0].kind spec.plugins[0].spec.gcpServiceAccount"}
	if got := calloutsOf(compare(t, snapshot("c", "vision", before), snapshot("c", "vision", after))); !slices.Equal(got, want) {
		t.Errorf("callouts %q, want %q", got, want)
	}
}

// TestCalloutOfQueueQuota: a ClusterQueue's quota that changes is called out, as the
// quota of a namespace is.
func TestCalloutOfQueueQuota(t *testing.T) {
	cq := func(gpus string) manifest.Object {
		return object(t, `{"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ClusterQueue", "metadata": {"name": "research"},
		"spec": {"namespaceSelector": {}, "resourceGroups": [{"coveredResources": ["nvidia.com/gpu"],
		"flavors": [{"name": "a100", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "`+gpus+`"}]}]}]}}`)
	}
	r := compare(t, snapshot("prod", "", cq("4")), snapshot("prod", "", cq("8")))
	want := []string{`quota changed ClusterQueue research spec.resourceGroups[0].flavors[name=a100].resources[name="nvidia.com/gpu"].nominalQuota`}
	if got := calloutsOf(r); !slices.Equal(got, want) {
		t.Errorf("callouts %q, want %q", got, want)
	}
}
