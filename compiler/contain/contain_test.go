package contain_test

import (
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/contain"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		obj  string
		want []string // the paths of the violations
	}{
		{"a NetworkPolicy that admits another namespace's pods by label", `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: vision}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}}]}]
`, nil},
		{"another namespace", `
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: nlp}
`, []string{"metadata.namespace"}},
		{"a binding within the namespace", `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubeflow-view}
subjects: [{kind: User, name: bob@example.com}, {kind: ServiceAccount, name: default, namespace: vision}]
`, nil},
		{"a binding beyond the namespace", `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:controller:foo}
subjects:
- {kind: ServiceAccount, name: default, namespace: nlp}
- {kind: Group, name: system:authenticated}
- {kind: ServiceAccount, name: mlc-reconciler, namespace: vision}
`, []string{"roleRef.name", "subjects[0].namespace", "subjects[1].name", "subjects[2].name"}},
		{"a binding to the reconciler's role", `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: mlc-reconciler-apply}
subjects: [{kind: User, name: bob@example.com}]
`, []string{"roleRef.name"}},
		{"a role that grants too much", `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: a}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
- {apiGroups: ["*"], resources: [roles], verbs: [escalate]}
`, []string{"rules[1].apiGroups[0]", "rules[1].verbs[0]"}},
		{"a pod on the host, as the reconciler", `
apiVersion: batch/v1
kind: CronJob
metadata: {name: a}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          hostNetwork: true
          serviceAccountName: mlc-reconciler
          containers: [{name: c, securityContext: {privileged: true}}]
          volumes: [{name: h, hostPath: {path: /}}]
`, []string{
			"spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged",
			"spec.jobTemplate.spec.template.spec.hostNetwork",
			"spec.jobTemplate.spec.template.spec.serviceAccountName",
			"spec.jobTemplate.spec.template.spec.volumes[0].hostPath",
		}},
		{"quoted keys", `
apiVersion: v1
kind: ConfigMap
metadata: {name: a, annotations: {example.com/namespace: x}}
data: {"my key": {namespace: other}}
`, []string{`data."my key".namespace`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(c.obj), &obj); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range contain.Check(obj, "vision") {
				got = append(got, v.Path)
				if v.Message == "" {
					t.Errorf("%s: no message", v.Path)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("violations at %q, want %q", got, c.want)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	t.Parallel()
	allowed := []string{"NetworkPolicy.networking.k8s.io", "Service", "Secret"}
	for _, c := range []struct {
		group, kind     string
		allowed, refuse bool
	}{
		{"networking.k8s.io", "NetworkPolicy", true, false},
		{"", "Service", true, false},
		{"", "NetworkPolicy", false, false},
		{"apps", "Deployment", false, false},
		{"", "Secret", true, true},
		{"kustomize.toolkit.fluxcd.io", "Kustomization", false, true},
		{"source.toolkit.fluxcd.io", "OCIRepository", false, true},
		{"kustomize.config.k8s.io", "Kustomization", false, false},
		{"kubeflow.org", "Profile", false, true},
		{"", "ResourceQuota", false, true},
		{"", "LimitRange", false, true},
	} {
		if got := contain.Allowed(allowed, c.group, c.kind); got != c.allowed {
			t.Errorf("Allowed(%s) = %v", contain.GroupKind(c.group, c.kind), got)
		}
		if got := contain.RefusedKind(c.group, c.kind) != ""; got != c.refuse {
			t.Errorf("RefusedKind(%s) = %v", contain.GroupKind(c.group, c.kind), got)
		}
	}
}
