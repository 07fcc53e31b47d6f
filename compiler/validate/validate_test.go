package validate

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// decode turns a JSON literal into the map Validate takes, the way a caller
// using encoding/json would (numbers become float64).
func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON: %v\n%s", err, s)
	}
	return m
}

// expect checks that Validate(obj) reports exactly want; each wanted
// Message is a prefix of the reported one.
func expect(t *testing.T, v *Validator, obj map[string]any, want ...FieldError) {
	t.Helper()
	got := v.Validate(obj)
	if !matchErrors(got, want) {
		t.Errorf("Validate:\n got  %s\n want %s", show(got), show(want))
	}
}

func show(errs []FieldError) string {
	if len(errs) == 0 {
		return "(accepted)"
	}
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n   %q %q", e.Path, e.Message)
	}
	return b.String()
}

const notebookJSON = `{
  "apiVersion": "kubeflow.org/v1", "kind": "Notebook",
  "metadata": {"name": "jupyter-test", "labels": {"app": "jupyter-test"}},
  "spec": {"template": {"spec": {
    "serviceAccountName": "default-editor",
    "volumes": [
      {"name": "test-vol", "persistentVolumeClaim": {"claimName": "test-pvc"}},
      {"name": "dshm", "emptyDir": {"medium": "Memory"}}
    ],
    "containers": [{
      "name": "notebook",
      "image": "ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:v1.10.0",
      "imagePullPolicy": "IfNotPresent",
      "env": [{"name": "NB_PREFIX", "value": "/notebook/user/jupyter-test"}],
      "ports": [{"containerPort": 8888, "name": "notebook-port", "protocol": "TCP"}],
      "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": 1, "memory": "2Gi"}},
      "volumeMounts": [
        {"mountPath": "/home/jovyan", "name": "test-vol"},
        {"mountPath": "/dev/shm", "name": "dshm"}
      ]
    }]
  }}}
}`

func TestNotebookAccepted(t *testing.T) {
	expect(t, New(), decode(t, notebookJSON))
}

func TestUnknownFieldInNotebookContainer(t *testing.T) {
	obj := decode(t, notebookJSON)
	c := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	c["imagee"] = "typo"
	expect(t, New(), obj, FieldError{Path: "spec.template.spec.containers[0].imagee", Message: "unknown field (the API server would prune it)"})
}

func TestUnknownFieldsEverywhere(t *testing.T) {
	obj := decode(t, notebookJSON)
	obj["extra"] = 1
	obj["metadata"].(map[string]any)["lables"] = map[string]any{"a": "b"}
	// The Notebook CRD's spec.template has only a spec: pod template
	// metadata would be pruned as a whole.
	obj["spec"].(map[string]any)["template"].(map[string]any)["metadata"] = map[string]any{"labels": map[string]any{"a": "b"}}
	expect(t, New(), obj,
		FieldError{Path: "extra", Message: "unknown field (the API server would prune it)"},
		FieldError{Path: "metadata.lables", Message: "unknown field (the API server would drop it)"},
		FieldError{Path: "spec.template.metadata", Message: "unknown field (the API server would prune it)"},
	)
}

func TestProfileOwnerKindWrongType(t *testing.T) {
	obj := decode(t, `{"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "alice"},
		"spec": {"owner": {"kind": 7, "name": "alice@example.com"}}}`)
	expect(t, New(), obj, FieldError{Path: "spec.owner.kind", Message: `Invalid value: "integer": spec.owner.kind in body must be of type string`})
}

func TestEnumViolation(t *testing.T) {
	obj := decode(t, `{"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
		"metadata": {"name": "allow-ingress", "namespace": "alice"},
		"spec": {"action": "Allow", "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"]}}]}]}}`)
	// As on the API server, an enum violation also stops the CEL rules from
	// running, which is reported at the root.
	expect(t, New(), obj,
		FieldError{Path: "", Message: "Invalid value: null: some validation rules were not checked because the object was invalid"},
		FieldError{Path: "spec.action", Message: `Unsupported value: "Allow": supported values: "ALLOW", "DENY", "AUDIT", "CUSTOM"`},
	)
}

func TestCELRules(t *testing.T) {
	v := New()
	t.Run("TrainJob name rule at the root", func(t *testing.T) {
		// "my.job" is a valid DNS subdomain, so only the CRD's CEL rule
		// (RFC 1035 label) objects.
		obj := decode(t, `{"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
			"metadata": {"name": "my.job"}, "spec": {"runtimeRef": {"name": "torch-distributed"}}}`)
		expect(t, v, obj, FieldError{Path: "", Message: "Invalid value: metadata.name must match RFC 1035 DNS label format"})
	})
	t.Run("a missing name stops CEL rules, as on the API server", func(t *testing.T) {
		obj := decode(t, `{"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
			"metadata": {"labels": {"a": "b"}}, "spec": {"runtimeRef": {"name": "torch-distributed"}}}`)
		expect(t, v, obj,
			FieldError{Path: "", Message: "Invalid value: null: some validation rules were not checked"},
			FieldError{Path: "metadata.name", Message: "Required value: name or generateName is required"})
	})
	t.Run("TrainJob numProcPerNode", func(t *testing.T) {
		obj := decode(t, `{"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
			"metadata": {"name": "job"}, "spec": {"runtimeRef": {"name": "torch-distributed"}, "trainer": {"numNodes": 2, "numProcPerNode": 0}}}`)
		expect(t, v, obj, FieldError{Path: "spec.trainer.numProcPerNode", Message: "Invalid value: 0: numProcPerNode must be greater than or equal to 1"})
	})
	t.Run("Flux Kustomization kubeConfig", func(t *testing.T) {
		obj := decode(t, `{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
			"metadata": {"name": "apps", "namespace": "flux-system"},
			"spec": {"interval": "10m", "prune": true, "sourceRef": {"kind": "OCIRepository", "name": "mlc"},
			         "kubeConfig": {"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}}}`)
		expect(t, v, obj, FieldError{Path: "spec.kubeConfig", Message: "Invalid value: exactly one of spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be specified"})
	})
}

func TestRoleBindingUnknownField(t *testing.T) {
	obj := decode(t, `{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
		"metadata": {"name": "user-alice-clusterrole-edit", "namespace": "team-a"},
		"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-edit", "namespace": "team-a"},
		"subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@example.com"}]}`)
	expect(t, New(), obj, FieldError{Path: "roleRef.namespace", Message: "unknown field (the API server would drop it)"})
}

func TestClusterScopedWithNamespace(t *testing.T) {
	obj := decode(t, `{"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "alice", "namespace": "alice"},
		"spec": {"owner": {"kind": "User", "name": "alice@example.com"}}}`)
	expect(t, New(), obj, FieldError{Path: "metadata.namespace", Message: `Forbidden: the kind is cluster-scoped; the API server would clear the namespace "alice"`})
}

func TestInvalidName(t *testing.T) {
	v := New()
	obj := decode(t, notebookJSON)
	obj["metadata"].(map[string]any)["name"] = "My_Notebook"
	expect(t, v, obj, FieldError{Path: "metadata.name", Message: `Invalid value: "My_Notebook": a lowercase RFC 1123 subdomain must consist of`})

	delete(obj["metadata"].(map[string]any), "name")
	expect(t, v, obj, FieldError{Path: "metadata.name", Message: "Required value: name or generateName is required"})

	obj["metadata"].(map[string]any)["generateName"] = "nb-"
	expect(t, v, obj, FieldError{Path: "metadata.name", Message: "Required value: mlc applies objects by name"})

	delete(obj, "metadata")
	expect(t, v, obj, FieldError{Path: "metadata.name", Message: "Required value: name or generateName is required"})
}

func TestMetadata(t *testing.T) {
	v := New()
	t.Run("namespace may be left to apply time", func(t *testing.T) {
		expect(t, v, decode(t, notebookJSON))
	})
	t.Run("invalid namespace", func(t *testing.T) {
		obj := decode(t, notebookJSON)
		obj["metadata"].(map[string]any)["namespace"] = "Team_A"
		expect(t, v, obj, FieldError{Path: "metadata.namespace", Message: `Invalid value: "Team_A": a lowercase RFC 1123 label`})
	})
	t.Run("labels and annotations", func(t *testing.T) {
		obj := decode(t, notebookJSON)
		meta := obj["metadata"].(map[string]any)
		meta["labels"] = map[string]any{"app.kubernetes.io/name": "ok", "bad key": "x", "k": strings.Repeat("v", 64)}
		meta["annotations"] = map[string]any{"-bad": "x"}
		expect(t, v, obj,
			FieldError{Path: "metadata.annotations", Message: `Invalid value: "-bad": name part must consist of`},
			FieldError{Path: "metadata.labels", Message: `Invalid value: "bad key": name part must consist of`},
			FieldError{Path: "metadata.labels", Message: `Invalid value: "vvvv`},
		)
	})
	t.Run("label of wrong type", func(t *testing.T) {
		obj := decode(t, notebookJSON)
		obj["metadata"].(map[string]any)["labels"] = map[string]any{"a": 1}
		expect(t, v, obj, FieldError{Path: "metadata", Message: "Invalid value: json: cannot unmarshal number"})
	})
	t.Run("server-owned fields", func(t *testing.T) {
		obj := decode(t, notebookJSON)
		meta := obj["metadata"].(map[string]any)
		meta["uid"] = "0b7e2b4e-0000-0000-0000-000000000000"
		meta["resourceVersion"] = "42"
		meta["creationTimestamp"] = nil // what many tools write; harmless
		expect(t, v, obj,
			FieldError{Path: "metadata.resourceVersion", Message: "Forbidden: must not be set on objects to be created"},
			FieldError{Path: "metadata.uid", Message: "Forbidden: set by the API server on create"},
		)
	})
}

func TestStatusOnCreate(t *testing.T) {
	v := New()
	obj := decode(t, `{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": {"name": "apps"}, "spec": {"interval": "10m", "prune": true, "sourceRef": {"kind": "OCIRepository", "name": "mlc"}}}`)
	expect(t, v, obj) // the CRD defaults a status; that is not the author's
	obj["status"] = map[string]any{}
	expect(t, v, obj)
	obj["status"] = map[string]any{"observedGeneration": 3}
	expect(t, v, obj, FieldError{Path: "status", Message: "Forbidden: the status subresource is enabled; the API server drops status on create"})
}

func TestVersions(t *testing.T) {
	v := New()
	obj := decode(t, notebookJSON)
	obj["apiVersion"] = "kubeflow.org/v1beta1" // also served
	expect(t, v, obj)
	obj["apiVersion"] = "kubeflow.org/v2"
	expect(t, v, obj, FieldError{Path: "apiVersion", Message: `Unsupported value: "kubeflow.org/v2": the Notebook.kubeflow.org CRD defines versions v1, v1alpha1, v1beta1`})
	// The OCIRepository v1beta2 of older source-controller releases is gone
	// from the default-branch CRD that is embedded.
	expect(t, v, decode(t, `{"apiVersion": "source.toolkit.fluxcd.io/v1beta2", "kind": "OCIRepository", "metadata": {"name": "x"}}`),
		FieldError{Path: "apiVersion", Message: `Unsupported value: "source.toolkit.fluxcd.io/v1beta2"`})
}

func TestUnknownKind(t *testing.T) {
	v := New()
	expect(t, v, decode(t, `{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}`),
		FieldError{Path: "", Message: "mlc has no schema for example.com/v1 Widget"})
	expect(t, v, decode(t, `{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"}}`),
		FieldError{Path: "", Message: "mlc has no schema for apps/v1 Deployment"})
	expect(t, v, decode(t, `{"metadata": {"name": "w"}}`),
		FieldError{Path: "apiVersion", Message: "Required value"},
		FieldError{Path: "kind", Message: "Required value"})
	if got := v.Validate(nil); len(got) != 1 {
		t.Errorf("Validate(nil) = %v", got)
	}
}

func TestKnown(t *testing.T) {
	v := New()
	for _, c := range []struct {
		apiVersion, kind string
		want             bool
	}{
		{"kubeflow.org/v1", "Notebook", true},
		{"kubeflow.org/v1beta1", "Notebook", true},
		{"kubeflow.org/v1", "Profile", true},
		{"kubeflow.org/v1alpha1", "PodDefault", true},
		{"security.istio.io/v1", "AuthorizationPolicy", true},
		{"serving.kserve.io/v1beta1", "InferenceService", true},
		{"kubeflow.org/v1beta1", "Experiment", true},
		{"trainer.kubeflow.org/v1alpha1", "TrainJob", true},
		{"kubeflow.org/v1", "PyTorchJob", true},
		{"pipelines.kubeflow.org/v2beta1", "Pipeline", true},
		{"source.toolkit.fluxcd.io/v1", "OCIRepository", true},
		{"kustomize.toolkit.fluxcd.io/v1", "Kustomization", true},
		{"v1", "PersistentVolumeClaim", true},
		{"v1", "ServiceAccount", true},
		{"v1", "ConfigMap", true},
		{"v1", "Secret", true},
		{"v1", "Namespace", true},
		{"v1", "ResourceQuota", true},
		{"v1", "LimitRange", true},
		{"rbac.authorization.k8s.io/v1", "Role", true},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", true},
		{"rbac.authorization.k8s.io/v1", "ClusterRole", true},
		{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", true},
		{"source.toolkit.fluxcd.io/v1beta2", "OCIRepository", false},
		{"kubeflow.org/v2", "Notebook", false},
		{"kubeflow.org", "Notebook", false},
		{"kustomize.config.k8s.io/v1beta1", "Kustomization", false},
		{"v1", "Pod", false},
		{"", "", false},
	} {
		if got := v.Known(c.apiVersion, c.kind); got != c.want {
			t.Errorf("Known(%q, %q) = %v, want %v", c.apiVersion, c.kind, got, c.want)
		}
	}
}

// TestNamespaced: the scope of a kind is the API server's, from the CRD for custom
// resources and from the built-in kind; an unknown kind has none.
func TestNamespaced(t *testing.T) {
	v := New()
	for _, c := range []struct {
		apiVersion, kind  string
		namespaced, known bool
	}{
		{"kubeflow.org/v1", "Notebook", true, true},
		{"kubeflow.org/v1", "Profile", false, true},
		{"security.istio.io/v1", "AuthorizationPolicy", true, true},
		{"v1", "Namespace", false, true},
		{"v1", "ServiceAccount", true, true},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", true, true},
		{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", false, true},
		{"kubeflow.org/v2", "Notebook", false, false},
		{"v1", "Pod", false, false},
	} {
		namespaced, known := v.Namespaced(c.apiVersion, c.kind)
		if namespaced != c.namespaced || known != c.known {
			t.Errorf("Namespaced(%q, %q) = %v, %v; want %v, %v", c.apiVersion, c.kind, namespaced, known, c.namespaced, c.known)
		}
	}
}

func TestNumbers(t *testing.T) {
	v := New()
	for _, n := range []any{2, int64(2), int32(2), float64(2), json.Number("2"), uint8(2)} {
		obj := decode(t, `{"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
			"metadata": {"name": "job"}, "spec": {"runtimeRef": {"name": "torch-distributed"}, "trainer": {}}}`)
		obj["spec"].(map[string]any)["trainer"].(map[string]any)["numNodes"] = n
		if errs := v.Validate(obj); errs != nil {
			t.Errorf("numNodes %T(%v): %v", n, n, errs)
		}
	}
	obj := decode(t, `{"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
		"metadata": {"name": "job"}, "spec": {"runtimeRef": {"name": "torch-distributed"}, "trainer": {"numNodes": 1.5}}}`)
	got := v.Validate(obj)
	if !slices.ContainsFunc(got, func(e FieldError) bool {
		return e.Path == "spec.trainer.numNodes" && strings.Contains(e.Message, "must be of type int32")
	}) {
		t.Errorf("numNodes 1.5: %s", show(got))
	}
}

func TestValidateDoesNotModify(t *testing.T) {
	v := New()
	for _, s := range []string{
		notebookJSON,
		// Defaulting (status), pruning (extra) and status removal all
		// happen on a private copy.
		`{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "extra": 1,
		  "metadata": {"name": "apps"}, "spec": {"interval": "10m", "prune": true, "sourceRef": {"kind": "OCIRepository", "name": "mlc"}},
		  "status": {"observedGeneration": 3}}`,
	} {
		obj := decode(t, s)
		before := decode(t, s)
		v.Validate(obj)
		if !reflect.DeepEqual(obj, before) {
			t.Errorf("Validate modified its argument:\n%v\n%v", before, obj)
		}
	}
}

func TestErrorsSorted(t *testing.T) {
	obj := decode(t, notebookJSON)
	obj["zzz"], obj["aaa"], obj["mmm"] = 1, 2, 3
	obj["metadata"].(map[string]any)["name"] = "Bad_Name"
	got := New().Validate(obj)
	if len(got) != 4 {
		t.Fatalf("got %s", show(got))
	}
	if !slices.IsSortedFunc(got, func(a, b FieldError) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	}) {
		t.Errorf("not sorted: %s", show(got))
	}
}

func TestConcurrentUse(t *testing.T) {
	v := New() // fresh, so that the lazy loading itself races
	objs := []map[string]any{
		decode(t, notebookJSON),
		decode(t, `{"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "alice"}, "spec": {"owner": {"kind": "User", "name": "alice@example.com"}}}`),
		decode(t, `{"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob", "metadata": {"name": "job"}, "spec": {"runtimeRef": {"name": "torch-distributed"}}}`),
		decode(t, `{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default-editor"}}`),
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			obj := objs[i%len(objs)]
			if errs := v.Validate(obj); errs != nil {
				t.Errorf("%v: %v", obj["kind"], errs)
			}
		}()
	}
	wg.Wait()
}

// TestEmbeddedSchemas checks that the index and the files agree and that
// every embedded CRD version builds into validators.
func TestEmbeddedSchemas(t *testing.T) {
	v := New()
	files, err := fs.Glob(crdFS, "crds/*.json")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := embeddedIndex()
	if err != nil {
		t.Fatal(err)
	}
	referenced := map[string]bool{"crds/index.json": true}
	for _, r := range rows {
		referenced["crds/"+r.File] = true
	}
	versions := 0
	for gk, e := range v.crds {
		for name, ver := range e.versions {
			c, err := e.compile(ver)
			if err != nil {
				t.Errorf("%s %s: %v", gk, name, err)
				continue
			}
			if _, err := c.openapi(); err != nil {
				t.Errorf("%s %s: kube-openapi validator: %v", gk, name, err)
			}
			versions++
		}
	}
	for _, f := range files {
		if !referenced[f] {
			t.Errorf("%s is not in index.json", f)
		}
	}
	if len(v.crds) < 20 || versions < 25 {
		t.Errorf("only %d CRDs with %d versions embedded", len(v.crds), versions)
	}
}
