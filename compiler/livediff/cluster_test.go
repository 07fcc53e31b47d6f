package livediff

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/object"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/ssa"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/cache/cachetest"
	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/diff"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/names"
	"github.com/mlc-gitops/mlc/internal/e2etest"
)

// The tests below run against a real kube-apiserver with the upstream and Flux CRDs,
// without Flux's controllers: the Flux objects and their inventories are written as
// kustomize-controller leaves them. They share one cluster and keep to names of their own.

func TestMain(m *testing.M) {
	code := cachetest.Run(m)
	shared.stop()
	os.Exit(code)
}

// sharedCluster is a cluster the tests share, started by the first that asks.
type sharedCluster struct {
	once sync.Once
	dir  string
	c    *e2etest.Cluster
	err  error
}

var shared sharedCluster

func (s *sharedCluster) stop() {
	if s.c != nil {
		s.c.Stop()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// cluster returns the shared cluster, or stops the test as e2etest.Require says.
func cluster(t *testing.T) *e2etest.Cluster {
	t.Helper()
	e2etest.Require(t)
	crds := e2etest.RequireUpstreamCRDs(t)
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "mlc-livediff-"); shared.err != nil {
			return
		}
		shared.c, shared.err = e2etest.Start(context.Background(), e2etest.Options{
			Dir: shared.dir, CRDs: append(crds, e2etest.FluxCRDs()...),
		})
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("end of the cluster's logs:\n%s", shared.c.Logs(6000))
		}
	})
	return shared.c
}

// realClient writes to the cluster, as Flux does; the preview's client never does.
func realClient(t *testing.T, c *e2etest.Cluster) client.Client {
	t.Helper()
	k, err := client.New(rest.CopyConfig(c.Config), client.Options{Scheme: scheme, Log: klog.Background()})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func obj(source string, content map[string]any) manifest.Object {
	return manifest.Object{Content: content, Source: source}
}

func configMap(ns, name string, data map[string]any) map[string]any {
	return map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"data":     data,
	}
}

var widgetCRD = map[string]any{
	"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
	"metadata": map[string]any{"name": "widgets.stages.mlc.test"},
	"spec": map[string]any{
		"group": "stages.mlc.test", "scope": "Namespaced",
		"names": map[string]any{"kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "singular": "widget"},
		"versions": []any{map[string]any{
			"name": "v1", "served": true, "storage": true,
			"schema": map[string]any{"openAPIV3Schema": map[string]any{
				"type":       "object",
				"properties": map[string]any{"spec": map[string]any{"type": "object", "properties": map[string]any{"size": map[string]any{"type": "integer"}}}},
			}},
		}},
	},
}

func widget(ns, name string) map[string]any {
	return map[string]any{
		"apiVersion": "stages.mlc.test/v1", "kind": "Widget",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"size": 3},
	}
}

func namespace(name string) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}
}

// TestStagesOnARealAPIServer: one apply with a CRD and its custom resource, a Namespace
// and objects in it, none of them in the cluster: as in Flux's staged apply, the CRD and
// the Namespace come first, so what needs them is created, not refused. What needs a
// CRD or namespace that neither the cluster nor the apply has is refused, at its
// declaration, as are objects the API server finds invalid.
func TestStagesOnARealAPIServer(t *testing.T) {
	c := cluster(t)
	l, err := newLive(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		objs    []manifest.Object
		created []string
		refused []string // path: message
	}{{
		name: "CRD and custom resource, Namespace and its objects",
		objs: []manifest.Object{
			obj("widgets.w1", widget("gadgets", "w1")),
			obj("settings", configMap("gadgets", "settings", map[string]any{"size": "3"})),
			obj("crd", widgetCRD),
			obj("ns", namespace("gadgets")),
		},
		created: []string{
			"apiextensions.k8s.io/CustomResourceDefinition//widgets.stages.mlc.test",
			"/Namespace//gadgets", "/ConfigMap/gadgets/settings", "stages.mlc.test/Widget/gadgets/w1",
		},
	}, {
		name:    "custom resource without its CRD",
		objs:    []manifest.Object{obj("widgets.w1", widget("default", "w1"))},
		refused: []string{"widgets.w1: the cluster refuses Widget default/w1: it does not serve stages.mlc.test/v1 Widget: its CRD is not installed"},
	}, {
		name: "an object in a namespace nobody makes, an invalid one",
		objs: []manifest.Object{
			obj("settings", configMap("nowhere", "settings", nil)),
			obj("flags", configMap("default", "Not_A_Name", nil)),
		},
		refused: []string{
			`settings: the cluster refuses ConfigMap nowhere/settings: namespaces "nowhere" not found`,
			`flags: the cluster refuses ConfigMap default/Not_A_Name: ConfigMap "Not_A_Name" is invalid`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p := &applyPlan{applies: []apply{{by: applier{"gadgets", names.TenantFluxName}}}}
			for _, o := range tc.objs {
				p.applies[0].items = append(p.applies[0].items, item{tenant: "gadgets", obj: o})
			}
			s, refused, err := l.dryRun(ctx, p, 2)
			if err != nil {
				t.Fatal(err)
			}
			var created []string
			for _, o := range s.head["gadgets"] {
				created = append(created, o.ID())
				if labels := o.Content["metadata"].(map[string]any)["labels"].(map[string]any); labels[fluxGroup+"/name"] != names.TenantFluxName || labels[fluxGroup+"/namespace"] != "gadgets" {
					t.Errorf("%s is created without Flux's owner labels: %v", o.ID(), labels)
				}
			}
			slices.Sort(created)
			slices.Sort(tc.created)
			if !slices.Equal(created, tc.created) || len(s.base) > 0 {
				t.Errorf("created %q, want %q; live %v", created, tc.created, s.base)
			}
			var got []string
			for _, d := range refused {
				if d.Severity != diag.Error {
					t.Errorf("a refusal is not an error: %+v", d)
				}
				got = append(got, d.Path+": "+d.Message)
			}
			if len(got) != len(tc.refused) {
				t.Fatalf("refused:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.refused, "\n"))
			}
			for i, want := range tc.refused {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("refusal %d:\n got %s\nwant %s...", i, got[i], want)
				}
			}
		})
	}
	// Nothing was stored: the preview only ever sends dry runs.
	if _, err := c.Client.CoreV1().Namespaces().Get(ctx, "gadgets", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the namespace of the preview was created: %v", err)
	}
}

// TestSecretDataIsMasked: a Secret's values never reach the report, whether it is
// created (stringData too), changed or pruned; ssa masks them, and says which changed.
func TestSecretDataIsMasked(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()
	if err := c.CreateNamespace(ctx, "vault"); err != nil {
		t.Fatal(err)
	}
	by := applier{"vault", names.TenantFluxName}
	k := realClient(t, c)
	live := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "vault", Labels: map[string]string{fluxGroup + "/name": by.name, fluxGroup + "/namespace": by.namespace}},
		Data:       map[string][]byte{"user": []byte("admin"), "password": []byte("hunter2")},
	}
	if err := k.Create(ctx, live); err != nil {
		t.Fatal(err)
	}
	secret := func(name string, fields map[string]any) manifest.Object {
		return obj("secrets."+name, map[string]any{
			"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": name, "namespace": "vault"},
			"stringData": fields,
		})
	}
	p := &applyPlan{applies: []apply{{by: by, items: []item{
		{tenant: "vault", obj: secret("db", map[string]any{"user": "admin", "password": "t0ps3cret"})},
		{tenant: "vault", obj: secret("api", map[string]any{"token": "s3cr3t-t0ken"})},
	}}}}
	l, err := newLive(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	s, refused, err := l.dryRun(ctx, p, 2)
	if err != nil || len(refused) > 0 {
		t.Fatal(err, refused)
	}
	r, err := diff.Compare(diff.Snapshot{"c": s.base}, diff.Snapshot{"c": s.head})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, ch := range r.Changes {
		switch ch.Name {
		case "api":
			seen = append(seen, string(ch.Op)+" "+ch.Name+" "+strings.TrimSpace(jsonOf(t, ch.Object["data"])))
		case "db":
			for _, f := range ch.Fields {
				seen = append(seen, string(ch.Op)+" "+ch.Name+" "+f.Path+" "+jsonOf(t, f.Old)+" → "+jsonOf(t, f.New))
			}
		}
	}
	want := []string{
		`added api {"token":"(hidden)"}`,
		`changed db data.password "(hidden)" → "(value changed)"`,
	}
	if !slices.Equal(seen, want) {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// TestPreviewOfTheQuickstart: the quickstart against a cluster that has only Flux's
// CRDs and namespace (every object added, the tenants' namespaces before what lives in
// them); then as Flux applied it (no change); with objects in a tenant's inventory that
// it no longer renders (the one Flux would prune removed, the protected and the handed
// over kept); and with a change the API server refuses.
func TestPreviewOfTheQuickstart(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()
	if err := c.CreateNamespace(ctx, names.FluxNamespace); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "examples", "quickstart"))); err != nil {
		t.Fatal(err)
	}
	preview := func() *diff.Report {
		t.Helper()
		r, err := Preview(ctx, Options{Dir: dir, Cluster: "prod", Connect: func() (*rest.Config, string, error) { return c.Config, "e2e", nil }})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	res, err := compiler.Compile(ctx, dir, compiler.Options{Clusters: []string{"prod"}})
	if err != nil || res.Diagnostics.HasErrors() {
		t.Fatal(err, res.Diagnostics)
	}
	p := plan(res, nil)
	// An encrypted Secret is not dry-run (Flux applies it decrypted): the preview shows
	// the rest.
	rendered := 0
	for _, a := range p.applies {
		for _, it := range a.items {
			if u, err := toUnstructured(it.obj); err != nil || u.Object["sops"] == nil {
				rendered++
			}
		}
	}
	r := preview()
	if r.Head.State != diff.Compiled || r.Base.Ref != "cluster prod (context e2e)" || r.Totals != (diff.Counts{Added: rendered}) {
		t.Fatalf("preview of an empty cluster: base %+v, head %+v, totals %+v; want all %d objects added", r.Base, r.Head, r.Totals, rendered)
	}

	applyAsFlux(t, c, p)
	if r := preview(); r.Head.State != diff.Compiled || r.Totals.Total() != 0 {
		t.Fatalf("preview of what Flux applied: head %+v, changes %+v", r.Head, r.Changes)
	}

	// vision's inventory holds three ConfigMaps and a Secret the repository does not
	// render: Flux prunes those with its labels (the Secret's values masked), and keeps
	// the one marked not to be pruned and the one another owner's labels now claim.
	k := realClient(t, c)
	owner := map[string]string{fluxGroup + "/name": names.TenantFluxName, fluxGroup + "/namespace": "vision"}
	var inv kustomizev1.ResourceInventory
	for _, a := range p.applies {
		if a.by == (applier{"vision", names.TenantFluxName}) {
			for _, it := range a.items {
				inv.Entries = append(inv.Entries, kustomizev1.ResourceRef{ID: objMetadata(it.obj).String(), Version: strings.TrimPrefix(it.obj.APIVersion(), it.obj.Group()+"/")})
			}
		}
	}
	for name, meta := range map[string]metav1.ObjectMeta{
		"retired":     {Labels: owner},
		"kept":        {Labels: owner, Annotations: map[string]string{fluxGroup + "/prune": "disabled"}},
		"handed-over": {Labels: map[string]string{fluxGroup + "/name": "other", fluxGroup + "/namespace": "vision"}},
	} {
		meta.Name, meta.Namespace = name, "vision"
		if err := k.Create(ctx, &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"a": "1"}}); err != nil {
			t.Fatal(err)
		}
		id := object.ObjMetadata{Namespace: "vision", Name: name, GroupKind: schema.GroupKind{Kind: "ConfigMap"}}
		inv.Entries = append(inv.Entries, kustomizev1.ResourceRef{ID: id.String(), Version: "v1"})
	}
	token := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "retired-token", Namespace: "vision", Labels: owner}, Data: map[string][]byte{"token": []byte("hunter2")}}
	if err := k.Create(ctx, token); err != nil {
		t.Fatal(err)
	}
	id := object.ObjMetadata{Namespace: "vision", Name: token.Name, GroupKind: schema.GroupKind{Kind: "Secret"}}
	inv.Entries = append(inv.Entries, kustomizev1.ResourceRef{ID: id.String(), Version: "v1"})
	var kust kustomizev1.Kustomization
	if err := k.Get(ctx, client.ObjectKey{Namespace: "vision", Name: names.TenantFluxName}, &kust); err != nil {
		t.Fatal(err)
	}
	kust.Status.Inventory = &inv
	if err := k.Status().Update(ctx, &kust); err != nil {
		t.Fatal(err)
	}
	r = preview()
	var removed []string
	for _, ch := range r.Changes {
		removed = append(removed, fmt.Sprintf("%s %s %s: %s", ch.Op, ch.Tenant, ch, jsonOf(t, ch.Object["data"])))
	}
	if want := []string{`removed vision ConfigMap vision/retired: {"a":"1"}`, `removed vision Secret vision/retired-token: {"token":"(hidden)"}`}; !slices.Equal(removed, want) {
		t.Errorf("preview with a stale inventory:\n%s\nwant:\n%s", strings.Join(removed, "\n"), strings.Join(want, "\n"))
	}
	var cm corev1.ConfigMap
	if err := k.Get(ctx, client.ObjectKey{Namespace: "vision", Name: "retired"}, &cm); err != nil {
		t.Errorf("the preview deleted what it says Flux would prune: %v", err)
	}

	// A workspace cannot be resized before it is bound: offline validation cannot know,
	// the API server refuses it, at the notebook's declaration.
	notebooks := filepath.Join(dir, "tenants", "vision", "notebooks.cue")
	src, err := os.ReadFile(notebooks)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notebooks, []byte(strings.Replace(string(src), `workspace: size: "50Gi"`, `workspace: size: "60Gi"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = preview()
	var refusals []diag.Diagnostic
	for _, d := range r.Head.Diagnostics {
		if d.Severity == diag.Error {
			refusals = append(refusals, d)
		}
	}
	if r.Head.State != diff.Rejected || len(r.Changes) != 0 || len(refusals) != 1 ||
		refusals[0].Path != `notebooks."alice-dev".workspace` ||
		!strings.HasPrefix(refusals[0].Message, "the cluster refuses PersistentVolumeClaim vision/alice-dev-workspace: ") ||
		!strings.Contains(refusals[0].Message, "immutable") {
		t.Errorf("preview of a resized unbound workspace: head %+v, changes %+v", r.Head, r.Changes)
	}
}

// applyAsFlux applies the plan as kustomize-controller would, through ssa: each apply's
// objects with its owner labels, stage by stage.
func applyAsFlux(t *testing.T, c *e2etest.Cluster, p *applyPlan) {
	t.Helper()
	ctx := context.Background()
	k := realClient(t, c)
	managers := map[bool]*ssa.ResourceManager{
		true:  ssa.NewResourceManager(k, nil, ssa.Owner{Field: fluxFieldManager, Group: fluxGroup}),
		false: ssa.NewResourceManager(k, nil, ssa.Owner{Field: ownFieldManager}),
	}
	for _, a := range p.applies {
		rm := managers[a.by != (applier{})]
		stages, err := stagesOf(rm, a)
		if err != nil {
			t.Fatal(err)
		}
		for _, stage := range stages {
			var objs []*unstructured.Unstructured
			for _, st := range stage {
				objs = append(objs, st.sent)
			}
			if _, err := rm.ApplyAll(ctx, objs, ssa.DefaultApplyOptions()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
