// Package contain holds the rules that keep what a tenant writes as raw objects, or
// makes of its workloads with patches, inside the tenant: in its namespace, of kinds
// the platform allows, naming no other namespace, and widening no one's access. The
// checks of declarations and the compiler's checks of patched output share them.
package contain

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// Violation is one reason an object may not be in a tenant's artifact.
type Violation struct {
	// Path is the field inside the object, as a CUE path ("subjects[0].namespace");
	// empty for the object as a whole.
	Path    string
	Message string
}

// GroupKind names a kind as policy.objects.allowedKinds writes it: Kind.group, or Kind
// alone for the core group.
func GroupKind(group, kind string) string {
	if group == "" {
		return kind
	}
	return kind + "." + group
}

// refusedKinds are the namespaced kinds no policy can let a tenant declare, with why.
var refusedKinds = map[string]string{
	"Secret":                             "a Secret written in the repository is plain text: declare it encrypted with SOPS",
	"ResourceQuota":                      "the namespace's quota is the platform's, set by the tenant's quota",
	"LimitRange":                         "the namespace's default requests are the platform's (defaults.containerDefaults)",
	"Profile.kubeflow.org":               "the tenant's Profile is mlc's, from tenant",
	"Namespace":                          "the tenant's namespace is mlc's",
	"PodDefault.kubeflow.org":            "declare it under podDefaults",
	"Binding":                            "it schedules pods by hand",
	"Event":                              "events are the cluster's record",
	"Lease.coordination.k8s.io":          "leases are the controllers'",
	"TokenRequest.authentication.k8s.io": "it mints service account tokens",
}

// RefusedKind says why no tenant may declare objects of the kind, whatever the policy;
// empty when the policy decides.
func RefusedKind(group, kind string) string {
	if strings.HasSuffix(group, ".toolkit.fluxcd.io") || group == "toolkit.fluxcd.io" {
		return "Flux's objects are the platform's: they decide what is applied, and as whom"
	}
	return refusedKinds[GroupKind(group, kind)]
}

// Allowed reports whether the policy's allowed kinds hold the kind.
func Allowed(allowed []string, group, kind string) bool {
	return slices.Contains(allowed, GroupKind(group, kind))
}

// refusedClusterRoles are roles no tenant object may bind: they grant more than a
// tenant's namespace, or everything in it.
var refusedClusterRoles = []string{"cluster-admin", "admin", "kubeflow-admin"}

// Check returns what keeps obj out of the tenant's namespace: a namespace other than
// tenant's anywhere in it (a field called namespace), a pod that runs as the tenant's
// reconciler or on its node's host, a binding that grants access beyond the
// namespace's contributors, or a role that grants every verb or resource.
func Check(obj map[string]any, tenant string) []Violation {
	var out []Violation
	walk(obj, "", func(path, key string, v any) {
		out = append(out, field(path, key, v, tenant)...)
	})
	group, _, _ := strings.Cut(str(obj["apiVersion"]), "/")
	if !strings.Contains(str(obj["apiVersion"]), "/") {
		group = ""
	}
	if group == "rbac.authorization.k8s.io" {
		switch str(obj["kind"]) {
		case "RoleBinding":
			out = append(out, roleBinding(obj, tenant)...)
		case "Role":
			out = append(out, role(obj)...)
		}
	}
	slices.SortStableFunc(out, func(a, b Violation) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// field judges one field of an object, wherever it is.
func field(path, key string, v any, tenant string) []Violation {
	switch key {
	case "namespace":
		if s, ok := v.(string); ok && s != tenant {
			return []Violation{{path, fmt.Sprintf("names namespace %q: a tenant's objects live in, and name, its namespace %s only", s, tenant)}}
		}
	case "serviceAccountName", "serviceAccount":
		if v == names.ReconcilerName {
			return []Violation{{path, fmt.Sprintf("%s is the account Flux applies the tenant's artifact as: a pod may not run as it", names.ReconcilerName)}}
		}
	case "hostPath":
		return []Violation{{path, "a hostPath volume reads the node's files: not allowed in a tenant's namespace"}}
	case "hostNetwork", "hostPID", "hostIPC", "privileged":
		if v == true {
			return []Violation{{path, "a pod with " + key + " reaches outside its sandbox: not allowed in a tenant's namespace"}}
		}
	}
	return nil
}

// roleBinding refuses a binding to the reconciler's own role, to a role that grants
// more than the namespace, or of a subject that is not a user, group or account of
// the namespace.
func roleBinding(obj map[string]any, tenant string) []Violation {
	var out []Violation
	ref, _ := obj["roleRef"].(map[string]any)
	kind, name := str(ref["kind"]), str(ref["name"])
	switch {
	case kind == "ClusterRole" && (slices.Contains(refusedClusterRoles, name) || strings.HasPrefix(name, "system:")):
		out = append(out, Violation{"roleRef.name", fmt.Sprintf("ClusterRole %s grants more than a tenant may give: bind a Role of the namespace, or a narrower ClusterRole", name)})
	case name == names.ReconcilerRoleName:
		out = append(out, Violation{"roleRef.name", fmt.Sprintf("%s is the reconciler's role, the platform's to grant", name)})
	}
	subjects, _ := obj["subjects"].([]any)
	for i, s := range subjects {
		m, _ := s.(map[string]any)
		path := "subjects[" + strconv.Itoa(i) + "]"
		switch n := str(m["name"]); {
		case strings.HasPrefix(n, "system:"):
			out = append(out, Violation{path + ".name", fmt.Sprintf("%s names the cluster's own users or groups, beyond the tenant's", n)})
		case str(m["kind"]) == "ServiceAccount" && n == names.ReconcilerName:
			out = append(out, Violation{path + ".name", fmt.Sprintf("%s is the account Flux applies the tenant's artifact as: its access is the platform's", n)})
		}
	}
	return out
}

// role refuses a rule that grants every verb, resource or group, or the verbs that
// get around RBAC's own limits (escalate, bind, impersonate).
func role(obj map[string]any) []Violation {
	var out []Violation
	rules, _ := obj["rules"].([]any)
	for i, r := range rules {
		m, _ := r.(map[string]any)
		path := "rules[" + strconv.Itoa(i) + "]"
		for _, f := range []string{"apiGroups", "resources", "verbs"} {
			l, _ := m[f].([]any)
			for j, x := range l {
				switch s := str(x); {
				case s == "*":
					out = append(out, Violation{fmt.Sprintf("%s.%s[%d]", path, f, j), "\"*\" grants everything, now and later: list what the role needs"})
				case f == "verbs" && (s == "escalate" || s == "bind" || s == "impersonate"):
					out = append(out, Violation{fmt.Sprintf("%s.%s[%d]", path, f, j), fmt.Sprintf("%q gets around RBAC's limits: not for a tenant's role", s)})
				}
			}
		}
	}
	return out
}

// walk calls fn on every field of v below path, depth first, in key order.
func walk(v any, path string, fn func(path, key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			p := join(path, k)
			fn(p, k, v[k])
			walk(v[k], p, fn)
		}
	case []any:
		for i, x := range v {
			walk(x, path+"["+strconv.Itoa(i)+"]", fn)
		}
	}
}

// join appends a field to a CUE path, quoting it unless it is an identifier.
func join(path, key string) string {
	key = model.Path(key)
	if path == "" {
		return key
	}
	return path + "." + key
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
