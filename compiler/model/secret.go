package model

// Secret is a Secret of the tenant's namespace: one of SOPS or External is set.
type Secret struct {
	// SOPS is the path, relative to the tenant's folder, of a Secret manifest encrypted
	// with SOPS.
	SOPS string `json:"sops,omitempty"`
	// External is where External Secrets takes the Secret's values from.
	External *ExternalSecretRef `json:"external"`

	// Keys are the Secret's keys, as far as the repository knows them: those of the
	// SOPS file's data and stringData (read by the compiler, not decoded from CUE), or
	// the external secret's data. KeysKnown is false where they are not known (an
	// external secret that extracts every property of a remote key, a file not read).
	Keys      []string `json:"-"`
	KeysKnown bool     `json:"-"`
	// Encrypted is the SOPS file's bytes, read by the compiler: published as they are.
	Encrypted []byte `json:"-"`
}

// ExternalSecretRef is an ExternalSecret's store and the keys it reads.
type ExternalSecretRef struct {
	Store           string                        `json:"store"`
	StoreKind       string                        `json:"storeKind"`
	RefreshInterval string                        `json:"refreshInterval"`
	Data            map[string]ExternalSecretData `json:"data"`
	Extract         []string                      `json:"extract"`
}

// ExternalSecretData is a key of the store (and a property of its value).
type ExternalSecretData struct {
	RemoteKey string `json:"remoteKey"`
	Property  string `json:"property,omitempty"`
	Version   string `json:"version,omitempty"`
}

// ExternalSecrets are the stores of External Secrets a cluster lets tenants read.
type ExternalSecrets struct {
	ClusterSecretStores []string `json:"clusterSecretStores"`
	SecretStores        []string `json:"secretStores"`
}

// Allows reports whether a store of that kind and name is one tenants may read.
func (e *ExternalSecrets) Allows(kind, name string) bool {
	if e == nil {
		return false
	}
	list := e.ClusterSecretStores
	if kind == "SecretStore" {
		list = e.SecretStores
	}
	for _, s := range list {
		if s == name {
			return true
		}
	}
	return false
}
