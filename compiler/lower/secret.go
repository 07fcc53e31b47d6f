package lower

import (
	"maps"
	"slices"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// secret is a tenant's Secret: the SOPS-encrypted file as the repository holds it, which
// the object carries as its YAML and no content (re-encoding it would break SOPS's
// message authentication code; Flux decrypts it in the cluster), or an ExternalSecret.
func secret(ns, name string, s model.Secret) manifest.Object {
	source := model.Path("secrets", name)
	if s.External != nil {
		return manifest.Object{Source: source, Content: externalSecret(ns, name, s.External)}
	}
	return manifest.Object{
		Source:  source,
		Ident:   &manifest.Ident{APIVersion: "v1", Kind: "Secret", Name: name, Namespace: ns},
		Encoded: s.Encrypted,
	}
}

// externalSecret is the ExternalSecret that makes the Secret name from a store.
func externalSecret(ns, name string, e *model.ExternalSecretRef) map[string]any {
	spec := map[string]any{
		"refreshInterval": e.RefreshInterval,
		"secretStoreRef":  map[string]any{"kind": e.StoreKind, "name": e.Store},
		"target":          map[string]any{"name": name, "creationPolicy": "Owner"},
	}
	var data []any
	for _, key := range slices.Sorted(maps.Keys(e.Data)) {
		d := e.Data[key]
		ref := map[string]any{"key": d.RemoteKey}
		if d.Property != "" {
			ref["property"] = d.Property
		}
		if d.Version != "" {
			ref["version"] = d.Version
		}
		data = append(data, map[string]any{"secretKey": key, "remoteRef": ref})
	}
	if len(data) > 0 {
		spec["data"] = data
	}
	var from []any
	for _, key := range e.Extract {
		from = append(from, map[string]any{"extract": map[string]any{"key": key}})
	}
	if len(from) > 0 {
		spec["dataFrom"] = from
	}
	return map[string]any{
		"apiVersion": "external-secrets.io/v1",
		"kind":       "ExternalSecret",
		"metadata":   metadata(name, ns, nil, nil),
		"spec":       spec,
	}
}
