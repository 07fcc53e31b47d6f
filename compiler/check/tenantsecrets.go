package check

import (
	"maps"
	"slices"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// declaredSecrets checks the tenant's secrets: each is a SOPS file or an external one,
// and an external one reads a store that every cluster running the tenant lets tenants
// read. A SOPS file without Flux wiring, which would decrypt it, is a warning.
func (r *reporter) declaredSecrets(p *model.Platform, d *model.Declarations) {
	for _, name := range slices.Sorted(maps.Keys(d.Secrets)) {
		path := model.Path("secrets", name)
		s := d.Secrets[name]
		switch {
		case s.SOPS != "" && s.External == nil && p.Flux == nil:
			r.warnf(path+".sops", "the platform declares no flux wiring, so nothing the render writes decrypts this Secret: applied as it is, it would hold the encrypted values; decrypt it where it is applied (sops --decrypt), or declare flux in the platform files")
		case s.SOPS != "" && s.External != nil:
			r.errorf(path, "set sops (a file encrypted with SOPS) or external (an ExternalSecret), not both")
		case s.SOPS == "" && s.External == nil:
			r.errorf(path, "set sops: \"<file>\", a Secret manifest encrypted with SOPS in the tenant's folder, or external: {store, data}")
		case s.External != nil:
			r.externalSecret(path+".external", s.External)
		}
	}
}

// externalSecret checks an ExternalSecret's store against the clusters that run the
// tenant, and that it reads something.
func (r *reporter) externalSecret(path string, e *model.ExternalSecretRef) {
	if len(e.Data) == 0 && len(e.Extract) == 0 {
		r.errorf(path, "reads nothing: set data (the Secret's keys, each from a remote key) or extract (remote keys whose properties become keys)")
	}
	for _, c := range r.clusters {
		switch {
		case c.ExternalSecrets == nil:
			r.errorf(path, "cluster %s does not run External Secrets (clusters.%s.externalSecrets is unset in the platform files): declare the secret encrypted with SOPS instead, sops: \"<file>\"", c.Name, c.Name)
			return
		case !c.ExternalSecrets.Allows(e.StoreKind, e.Store):
			allowed := c.ExternalSecrets.ClusterSecretStores
			field := "clusterSecretStores"
			if e.StoreKind == "SecretStore" {
				allowed, field = c.ExternalSecrets.SecretStores, "secretStores"
			}
			r.errorf(path+".store", "cluster %s lets tenants read no %s %q (clusters.%s.externalSecrets.%s: %s)", c.Name, e.StoreKind, e.Store, c.Name, field, listOrNone(allowed))
			return
		}
	}
}

// secretKey checks a reference to a key of a Secret the tenant declares: the key must
// be one of the Secret's. A Secret the tenant does not declare may be made otherwise.
func (w *secretWalker) secretKey(ref model.KeyRef) {
	s, ok := w.declared[ref.Name]
	if !ok || !s.KeysKnown || slices.Contains(s.Keys, ref.Key) {
		return
	}
	w.r.errorf(w.path()+".key", "Secret %q (secrets.%s) has no key %q; its keys: %s", ref.Name, model.Path(ref.Name), ref.Key, listOrNone(s.Keys))
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
