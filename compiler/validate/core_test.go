package validate

import (
	"strings"
	"testing"
)

func TestCoreAccepted(t *testing.T) {
	v := New()
	for _, s := range []string{
		`{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default-editor", "namespace": "alice"}}`,
		`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a.yaml": "x: 1", "B_2": ""}, "binaryData": {"bin": "AAEC"}}`,
		`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque", "data": {"k": "dmFsdWU="}, "stringData": {"p": "plain"}}`,
		`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pull"}, "type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": "{\"auths\": {}}"}}`,
		`{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "alice", "labels": {"istio-injection": "enabled"}}}`,
		`{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "workspace", "namespace": "alice"},
		  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}, "storageClassName": "standard", "volumeMode": "Filesystem"}}`,
		`{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "n"}, "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": 5}}}}`,
		`{"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "kf-resource-quota"}, "spec": {"hard": {"cpu": "8", "requests.nvidia.com/gpu": 2, "memory": "32Gi"}}}`,
		`{"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"}, "spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "100m"}}]}}`,
		`{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "reader"},
		  "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}]}`,
		`{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "kubeflow-edit:extra"},
		  "rules": [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}, {"apiGroups": ["kubeflow.org"], "resources": ["notebooks"], "verbs": ["*"]}]}`,
		`{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "user-alice-clusterrole-edit", "annotations": {"role": "edit", "user": "alice@example.com"}},
		  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-edit"},
		  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@example.com"}, {"kind": "ServiceAccount", "name": "default-editor", "namespace": "alice"}]}`,
		`{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "system:mlc"},
		  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
		  "subjects": [{"kind": "ServiceAccount", "name": "mlc", "namespace": "mlc-system"}, {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "admins"}]}`,
	} {
		obj := decode(t, s)
		if errs := v.Validate(obj); errs != nil {
			t.Errorf("%v %v:%s", obj["kind"], obj["metadata"], show(errs))
		}
	}
}

func TestCoreRejected(t *testing.T) {
	v := New()
	for _, c := range []struct {
		name, obj string
		want      []FieldError
	}{
		{"PVC typo", `{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "w"},
		  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "storageClass": "standard"}}`,
			[]FieldError{{Path: "spec.storageClass", Message: "unknown field (the API server would drop it)"}}},
		{"PVC without size and modes", `{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "w"}, "spec": {"volumeMode": "Raw"}}`,
			[]FieldError{
				{Path: "spec.accessModes", Message: "Required value: at least 1 access mode is required"},
				{Path: "spec.resources[storage]", Message: "Required value"},
				{Path: "spec.volumeMode", Message: `Unsupported value: "Raw": supported values: "Block", "Filesystem"`},
			}},
		{"PVC wrong type", `{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "w"}, "spec": {"accessModes": "ReadWriteOnce"}}`,
			[]FieldError{{Path: "spec.accessModes", Message: "Invalid value: json: cannot unmarshal string"}}},
		{"PVC bad quantity", `{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "w"},
		  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10 GB"}}}}`,
			[]FieldError{{Path: "", Message: "Invalid value: quantities must match the regular expression"}}},
		{"PVC status", `{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "w"},
		  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}, "status": {"phase": "Bound"}}`,
			[]FieldError{{Path: "status", Message: "Forbidden: the API server resets status on create"}}},
		{"Namespace name must be a label", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team.a"}}`,
			[]FieldError{{Path: "metadata.name", Message: `Invalid value: "team.a": must not contain dots`}}},
		{"Namespace with namespace", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "namespace": "b"}}`,
			[]FieldError{{Path: "metadata.namespace", Message: "Forbidden: the kind is cluster-scoped"}}},
		{"ServiceAccount name", `{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "Default_Editor"}}`,
			[]FieldError{{Path: "metadata.name", Message: `Invalid value: "Default_Editor": a lowercase RFC 1123 subdomain`}}},
		{"ConfigMap key", `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a/b": "x"}}`,
			[]FieldError{{Path: "data[a/b]", Message: `Invalid value: "a/b": a valid config key must consist of`}}},
		{"Secret bad base64", `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "not base64!"}}`,
			[]FieldError{{Path: "", Message: "Invalid value: illegal base64 data"}}},
		{"TLS secret keys", `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/tls", "stringData": {"tls.crt": "x"}}`,
			[]FieldError{{Path: "data[tls.key]", Message: "Required value"}}},
		{"RoleBinding unknown top-level field", `{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
		  "spec": {}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}}`,
			[]FieldError{{Path: "spec", Message: "unknown field (the API server would drop it)"}}},
		{"RoleBinding refs and subjects", `{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
		  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Roles", "name": ""},
		  "subjects": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "apiGroup": "v1", "name": "sa"}, {"kind": "Robot", "name": "r2"}]}`,
			[]FieldError{
				{Path: "roleRef.kind", Message: `Unsupported value: "Roles": supported values: "Role", "ClusterRole"`},
				{Path: "roleRef.name", Message: "Required value"},
				{Path: "subjects[0].apiGroup", Message: `Unsupported value: "": supported values: "rbac.authorization.k8s.io"`},
				{Path: "subjects[1].apiGroup", Message: `Unsupported value: "v1": supported values: ""`},
				{Path: "subjects[2].kind", Message: `Unsupported value: "Robot"`},
			}},
		{"ClusterRoleBinding to a Role", `{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "crb"},
		  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}, "subjects": [{"kind": "ServiceAccount", "name": "sa"}]}`,
			[]FieldError{
				{Path: "roleRef.kind", Message: `Unsupported value: "Role": supported values: "ClusterRole"`},
				{Path: "subjects[0].namespace", Message: "Required value"},
			}},
		{"Role rules", `{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
		  "rules": [{"resources": ["pods"]}, {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]}`,
			[]FieldError{
				{Path: "rules[0].apiGroups", Message: "Required value: resource rules must supply at least one api group"},
				{Path: "rules[0].verbs", Message: "Required value: verbs must contain at least one value"},
				{Path: "rules[1].nonResourceURLs", Message: "Invalid value: "},
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			expect(t, v, decode(t, c.obj), c.want...)
		})
	}
}

// TestCoreRBACNames shows that RBAC objects take any URL path segment as a
// name, as the API server allows (e.g. "system:" names).
func TestCoreRBACNames(t *testing.T) {
	v := New()
	obj := decode(t, `{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "Kubeflow:Admin"}}`)
	expect(t, v, obj)
	obj["metadata"].(map[string]any)["name"] = "a/b"
	got := v.Validate(obj)
	if len(got) != 1 || got[0].Path != "metadata.name" || !strings.Contains(got[0].Message, "/") {
		t.Errorf("got %s", show(got))
	}
}
