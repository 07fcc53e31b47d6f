package compiler

import (
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/sops"
)

// belongs tells whether outputs, read from the cache for tenant, hold only what compiling
// the tenant can give: an output for each of clusters (the selected clusters that run
// it) and for no other, and only objects that stay with the tenant (ownedBy). The cache
// binds each entry to its key and tenant; this is the defence behind that binding, so
// that no entry, however it came into the cache, places an object outside its tenant.
func belongs(tenant string, clusters []string, outputs map[string]*lower.Output) bool {
	if len(outputs) != len(clusters) {
		return false
	}
	for _, name := range clusters {
		out := outputs[name]
		if out == nil {
			return false
		}
		for _, o := range out.Platform {
			if !ownedBy(tenant, o, true) {
				return false
			}
		}
		for _, o := range out.Workloads {
			if !ownedBy(tenant, o, false) {
				return false
			}
		}
	}
	return true
}

// tenantClusterKinds are the kinds of the cluster-scoped objects a tenant compiles to,
// among the platform's objects (lower.Tenant, lower.FluxTenant): its Profile and its
// Namespace, named after it.
var tenantClusterKinds = map[[2]string]bool{
	{"kubeflow.org/v1", "Profile"}: true,
	{"v1", "Namespace"}:            true,
}

// ownedBy tells whether o is an object compiling tenant can give: of a kind mlc
// validates, named as the compiler names objects (a DNS subdomain, so that its file stays
// in the tenant's folder), in the tenant's namespace; or, among the platform's objects
// (platform), the tenant's own Profile or Namespace.
func ownedBy(tenant string, o manifest.Object, platform bool) bool {
	// What is written is the YAML: it must say what the entry says the object is.
	id, ok := manifest.IdentOfYAML(o.Encoded)
	if !platform && o.Kind() == "Secret" && o.APIVersion() == "v1" {
		id, ok = encryptedIdent(tenant, o.Encoded)
	}
	if !ok || id != o.Identity() {
		return false
	}
	namespaced, known := validator.Namespaced(o.APIVersion(), o.Kind())
	if !known || len(validation.IsDNS1123Subdomain(o.Name())) > 0 {
		return false
	}
	if namespaced {
		return o.Namespace() == tenant
	}
	return platform && o.Namespace() == "" && o.Name() == tenant && tenantClusterKinds[[2]string{o.APIVersion(), o.Kind()}]
}

// encryptedIdent is the identity of a tenant's Secret, which is its SOPS-encrypted file
// as the repository holds it (any YAML or JSON layout): false unless it is still
// encrypted. A file that names no namespace is placed in the tenant's by its
// Kustomization's targetNamespace.
func encryptedIdent(tenant string, data []byte) (manifest.Ident, bool) {
	s, err := sops.Check(data, "")
	if err != nil {
		return manifest.Ident{}, false
	}
	ns := s.Namespace
	if ns == "" {
		ns = tenant
	}
	return manifest.Ident{APIVersion: "v1", Kind: "Secret", Name: s.Name, Namespace: ns}, true
}
