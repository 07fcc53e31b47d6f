package lower

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/model/modeltest"
	"github.com/mlc-gitops/mlc/compiler/names"
	"github.com/mlc-gitops/mlc/compiler/validate"
)

// everyDeclaration is a tenant that declares one of everything lowering writes on
// Kubeflow Trainer: modeltest's, with a PodDefault, a serving runtime, a schedule, a
// service account, a volume and a ConfigMap.
func everyDeclaration() *model.Declarations {
	d := modeltest.Declarations()
	d.PodDefaults = map[string]model.PodDefault{"s3": {Env: map[string]model.EnvValue{"AWS_REGION": {Value: "eu-west-1"}}}}
	d.Runtimes = map[string]model.ServingRuntime{"custom": {
		Image: "ghcr.io/vision/serve:1", Formats: []model.RuntimeFormat{{Name: "custom"}}, Protocols: []string{"v2"},
	}}
	pl := modeltest.Pipeline()
	pl.Schedule = &model.PipelineSchedule{Cron: "0 2 * * *", Enabled: true}
	d.Pipelines = map[string]model.Pipeline{"nightly": pl}
	d.ServiceAccounts = map[string]model.ServiceAccount{"s3-reader": {AWS: &model.AWSIdentity{RoleARN: "arn:aws:iam::123456789012:role/vision-s3"}}}
	d.Volumes = map[string]model.Volume{"coco-2017": {Size: "500Gi", AccessMode: "ReadOnlyMany", KeepOnDelete: true}}
	d.ConfigMaps = map[string]model.ConfigMap{"settings": {Data: model.ConfigMapData{"LOG_LEVEL": "info"}}}
	d.Secrets = map[string]model.Secret{
		"s3-creds": {SOPS: "s3-creds.sops.yaml", Encrypted: []byte("apiVersion: v1\nkind: Secret\n")},
		"hf":       {External: &model.ExternalSecretRef{Store: "vault", StoreKind: "ClusterSecretStore", RefreshInterval: "1h", Extract: []string{"ml/hf"}}},
	}
	d.Queues = map[string]model.Queue{"gpu": {ClusterQueue: "research"}}
	// Raw objects and patches: Tenant writes neither (Objects lowers the objects, of
	// the kinds the platform's policy allows; patches change what is written).
	d.Objects = map[string]map[string]map[string]any{"NetworkPolicy": {"deny": {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy"}}}
	d.Patches = map[string]model.TenantPatch{"cost": {Patch: "metadata: {annotations: {cost: cv}}"}}
	return d
}

// TestEveryDeclaration keeps everyDeclaration whole: it declares something of every
// kind model.Declarations holds, so that TestTenantKinds sees a kind a new declaration
// lowers to.
func TestEveryDeclaration(t *testing.T) {
	t.Parallel()
	v := reflect.ValueOf(*everyDeclaration())
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.IsExported() && v.Field(i).IsZero() {
			t.Errorf("everyDeclaration declares no %s: add one, so that TestTenantKinds sees what it lowers to", f.Name)
		}
	}
}

// loweredKinds lowers every declaration, on Kubeflow Trainer and for every framework on
// the Training Operator, and returns the kinds of what the tenant's artifact holds.
func loweredKinds(t *testing.T) map[AppliedKind]bool {
	t.Helper()
	p := modeltest.Platform()
	got := map[AppliedKind]bool{}
	add := func(objs []manifest.Object) {
		for _, o := range objs {
			got[AppliedKind{Group: o.Group(), Kind: o.Kind()}] = true
		}
	}
	add(Tenant(p, Target{Training: p.DefaultTrainingTarget()}, everyDeclaration()).Workloads)
	operator := p.DefaultTrainingTarget()
	operator.Backend = model.BackendTrainingOperator
	for _, fw := range names.OperatorFrameworks() {
		d := everyDeclaration()
		job := d.Training["resnet50"]
		job.Framework = fw
		d.Training = map[string]model.TrainingJob{"job": job}
		add(Tenant(p, Target{Training: operator}, d).Workloads)
	}
	if len(got) == 0 {
		t.Fatal("lowering wrote nothing")
	}
	return got
}

// TestTenantKinds proves the reconciler's table whole: every kind lowering writes into
// a tenant's artifact is in it (else Flux could not apply it), and it holds no kind
// lowering never writes (a grant for nothing).
func TestTenantKinds(t *testing.T) {
	t.Parallel()
	table := map[AppliedKind]bool{}
	for i, k := range tenantKinds {
		table[AppliedKind{Group: k.Group, Kind: k.Kind}] = true
		if i > 0 {
			prev := tenantKinds[i-1]
			if prev.Group > k.Group || prev.Group == k.Group && prev.Kind >= k.Kind {
				t.Errorf("tenantKinds: %s/%s follows %s/%s; keep the table sorted by group and kind, as the Role's rules are", k.Group, k.Kind, prev.Group, prev.Kind)
			}
		}
	}
	for k := range loweredKinds(t) {
		if !table[k] {
			t.Errorf("lowering writes %s (group %q) into tenants' artifacts, and tenantKinds lacks it: the reconciler could not apply it", k.Kind, k.Group)
		}
		delete(table, k)
	}
	for k := range table {
		t.Errorf("tenantKinds has %s (group %q), which lowering never writes", k.Kind, k.Group)
	}
}

// TestTenantKindResources checks each table entry's resource against the name the API
// server serves it under: the plural of the CRD the validator embeds, or the built-in's.
func TestTenantKindResources(t *testing.T) {
	t.Parallel()
	builtin := map[string]string{"/ConfigMap": "configmaps", "/PersistentVolumeClaim": "persistentvolumeclaims", "/Secret": "secrets", "/ServiceAccount": "serviceaccounts", "batch/CronJob": "cronjobs"}
	plurals := map[string]string{}
	for _, b := range validate.EmbeddedCRDs() {
		var crd struct {
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind, Plural string
				} `json:"names"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(b, &crd); err != nil {
			t.Fatal(err)
		}
		plurals[crd.Spec.Group+"/"+crd.Spec.Names.Kind] = crd.Spec.Names.Plural
	}
	for _, k := range tenantKinds {
		want, ok := plurals[k.Group+"/"+k.Kind]
		if !ok {
			want, ok = builtin[k.Group+"/"+k.Kind]
		}
		if !ok {
			t.Errorf("%s/%s: no CRD among the validator's embedded ones nor built-in kind", k.Group, k.Kind)
			continue
		}
		if k.Resource != want {
			t.Errorf("%s/%s: resource %q, the API server serves %q", k.Group, k.Kind, k.Resource, want)
		}
	}
}

// fluxTenant is FluxTenant's output for vision on prod, with the platform's Flux
// settings edited by edit.
func fluxTenant(edit func(*model.Flux), d *model.Declarations) map[string]manifest.Object {
	f := &model.Flux{Repository: "oci://registry.example.com/ml", Interval: "5m", Timeout: "10m", TenantRole: "kubeflow-edit"}
	if edit != nil {
		edit(f)
	}
	p := modeltest.Platform()
	out := Tenant(p, Target{Training: p.DefaultTrainingTarget()}, d)
	objs := map[string]manifest.Object{}
	for _, o := range FluxTenant(f, "prod", d.Tenant, out.Workloads, false) {
		objs[o.Kind()+"/"+o.Name()] = o
	}
	return objs
}

// TestReconcilerRole reads the reconciler's grants as RBAC reads them: bound to the
// tenant role and to a Role of its namespace that allows FluxVerbs on every kind.
func TestReconcilerRole(t *testing.T) {
	t.Parallel()
	objs := fluxTenant(nil, modeltest.Declarations())
	var role rbacv1.Role
	decode(t, objs["Role/"+names.ReconcilerRoleName], &role)
	if role.Namespace != "vision" {
		t.Errorf("the Role is in namespace %q, want vision", role.Namespace)
	}
	for _, k := range tenantKinds {
		for _, verb := range []string{"create", "delete", "get", "list", "patch", "update", "watch", "deletecollection"} {
			want := slices.Contains(FluxVerbs, verb)
			if got := allows(role.Rules, k.Group, k.Resource, verb); got != want {
				t.Errorf("the Role allows %s on %s.%s: %v, want %v", verb, k.Resource, k.Group, got, want)
			}
		}
	}
	for _, tc := range []struct{ binding, kind, role string }{
		{names.ReconcilerName, "ClusterRole", "kubeflow-edit"},
		{names.ReconcilerRoleName, "Role", names.ReconcilerRoleName},
	} {
		var b rbacv1.RoleBinding
		decode(t, objs["RoleBinding/"+tc.binding], &b)
		if b.RoleRef.Kind != tc.kind || b.RoleRef.Name != tc.role || b.Namespace != "vision" {
			t.Errorf("RoleBinding %s binds %s %s in %q, want %s %s in vision", tc.binding, b.RoleRef.Kind, b.RoleRef.Name, b.Namespace, tc.kind, tc.role)
		}
		if len(b.Subjects) != 1 || b.Subjects[0] != (rbacv1.Subject{Kind: "ServiceAccount", Name: names.ReconcilerName, Namespace: "vision"}) {
			t.Errorf("RoleBinding %s binds %v, want the reconciler only", tc.binding, b.Subjects)
		}
	}
}

// TestReconcilerOnUpstreamKubeflow reads the ClusterRoles of Kubeflow v1.11.0's
// manifests and aggregates kubeflow-edit as Kubernetes does: it lacks, of what Flux
// needs, exactly patch on PodDefaults, Pipelines and PipelineVersions and every verb on
// ExternalSecrets (External Secrets is not Kubeflow's), and together with the
// reconciler's Role nothing.
func TestReconcilerOnUpstreamKubeflow(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("MLC_KUBEFLOW_MANIFESTS")
	if dir == "" {
		dir = "../../../shared/kubeflow-manifests/v1.11.0"
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no Kubeflow manifests (set MLC_KUBEFLOW_MANIFESTS): %v", err)
	}
	edit := aggregated(t, clusterRoles(t, dir), "kubeflow-edit")
	if len(edit) == 0 {
		t.Fatal("kubeflow-edit aggregates no rules")
	}
	var gaps []string
	var role rbacv1.Role
	decode(t, fluxTenant(nil, modeltest.Declarations())["Role/"+names.ReconcilerRoleName], &role)
	for _, k := range tenantKinds {
		for _, verb := range FluxVerbs {
			if !allows(edit, k.Group, k.Resource, verb) {
				gaps = append(gaps, k.Kind+":"+verb)
			}
			if !allows(edit, k.Group, k.Resource, verb) && !allows(role.Rules, k.Group, k.Resource, verb) {
				t.Errorf("neither kubeflow-edit nor the reconciler's Role allows %s on %s", verb, k.Kind)
			}
		}
	}
	want := []string{"ExternalSecret:create", "ExternalSecret:delete", "ExternalSecret:get", "ExternalSecret:list", "ExternalSecret:patch", "LocalQueue:create", "LocalQueue:delete", "LocalQueue:get", "LocalQueue:list", "LocalQueue:patch", "Pipeline:patch", "PipelineVersion:patch", "PodDefault:patch"}
	slices.Sort(gaps)
	if !slices.Equal(gaps, want) {
		t.Errorf("kubeflow-edit lacks %v of what Flux needs, want %v: say what changed in reconcilerRole's comment and the docs", gaps, want)
	}
}

// clusterRole is what RBAC aggregation reads of a ClusterRole.
type clusterRole struct {
	Kind            string                  `json:"kind"`
	Metadata        metav1.ObjectMeta       `json:"metadata"`
	Rules           []rbacv1.PolicyRule     `json:"rules"`
	AggregationRule *rbacv1.AggregationRule `json:"aggregationRule"`
}

// clusterRoles reads every ClusterRole of the YAML files under dir.
func clusterRoles(t *testing.T, dir string) []clusterRole {
	t.Helper()
	var roles []clusterRole
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(b, []byte("ClusterRole")) {
			return err
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return nil // not YAML a kustomization reads
			}
			var cr clusterRole
			if yaml.Unmarshal(doc, &cr) == nil && cr.Kind == "ClusterRole" {
				roles = append(roles, cr)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return roles
}

// aggregated returns the rules of the ClusterRoles named name: their own, and those of
// every ClusterRole their aggregation rules select, transitively, as Kubernetes'
// aggregation controller gathers them.
func aggregated(t *testing.T, roles []clusterRole, name string) []rbacv1.PolicyRule {
	t.Helper()
	seen := map[int]bool{}
	var rules []rbacv1.PolicyRule
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		rules = append(rules, roles[i].Rules...)
		if roles[i].AggregationRule == nil {
			return
		}
		for _, s := range roles[i].AggregationRule.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&s)
			if err != nil {
				t.Fatalf("ClusterRole %s: %v", roles[i].Metadata.Name, err)
			}
			for j := range roles {
				if sel.Matches(labels.Set(roles[j].Metadata.Labels)) {
					visit(j)
				}
			}
		}
	}
	for i := range roles {
		if roles[i].Metadata.Name == name {
			visit(i)
		}
	}
	return rules
}

// allows reports whether rules allow verb on resource of group.
func allows(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	has := func(l []string, s string) bool { return slices.Contains(l, s) || slices.Contains(l, "*") }
	for _, r := range rules {
		if has(r.APIGroups, group) && has(r.Resources, resource) && has(r.Verbs, verb) {
			return true
		}
	}
	return false
}

// decode reads an object's content into a typed value, failing on a field it lacks.
func decode(t *testing.T, o manifest.Object, into any) {
	t.Helper()
	if o.Content == nil {
		t.Fatal("no such object")
	}
	b, err := json.Marshal(o.Content)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s %s: %v", o.Kind(), o.Name(), err)
	}
}
