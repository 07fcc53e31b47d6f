package model

import "strings"

// ServiceAccount is a service account of the tenant's namespace, with at most one cloud
// identity.
type ServiceAccount struct {
	AWS              *AWSIdentity      `json:"aws"`
	GCP              *GCPIdentity      `json:"gcp"`
	Azure            *AzureIdentity    `json:"azure"`
	ImagePullSecrets []string          `json:"imagePullSecrets"`
	Labels           map[string]string `json:"labels"`
	Annotations      map[string]string `json:"annotations"`
}

// AWSIdentity is an IAM role for service accounts (IRSA).
type AWSIdentity struct {
	RoleARN string `json:"roleArn"`
}

// GCPIdentity is a Google service account of GKE Workload Identity.
type GCPIdentity struct {
	ServiceAccount string `json:"serviceAccount"`
}

// AzureIdentity is a managed identity or application of Azure workload identity.
type AzureIdentity struct {
	ClientID string `json:"clientId"`
	TenantID string `json:"tenantId,omitempty"`
}

// Identity is a service account's cloud identity: its cloud ("aws", "gcp", "azure"),
// the field that holds it and its value. It is empty when the account has none.
type Identity struct {
	Cloud, Field, Value string
}

// Identities returns the account's cloud identities, in a fixed order: more than one is
// an error the checks report.
func (a ServiceAccount) Identities() []Identity {
	var out []Identity
	if a.AWS != nil {
		out = append(out, Identity{"aws", "aws.roleArn", a.AWS.RoleARN})
	}
	if a.GCP != nil {
		out = append(out, Identity{"gcp", "gcp.serviceAccount", a.GCP.ServiceAccount})
	}
	if a.Azure != nil {
		out = append(out, Identity{"azure", "azure.clientId", a.Azure.ClientID})
	}
	return out
}

// Volume is a persistent volume claim of the tenant's namespace that workloads mount
// by name.
type Volume struct {
	Size         string            `json:"size"`
	AccessMode   string            `json:"accessMode"`
	StorageClass string            `json:"storageClass,omitempty"`
	KeepOnDelete bool              `json:"keepOnDelete"`
	DataSource   *VolumeSource     `json:"dataSource"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
}

// VolumeSource is what a new claim is filled from: a VolumeSnapshot or another claim.
type VolumeSource struct {
	Snapshot string `json:"snapshot,omitempty"`
	Claim    string `json:"claim,omitempty"`
}

// ReadMany reports whether pods on several nodes can mount the volume at once.
func (v Volume) ReadMany() bool {
	return v.AccessMode == "ReadWriteMany" || v.AccessMode == "ReadOnlyMany"
}

// ConfigMap is a ConfigMap of the tenant's namespace.
type ConfigMap struct {
	Data        ConfigMapData     `json:"data"`
	BinaryData  map[string]string `json:"binaryData"`
	Immutable   *bool             `json:"immutable"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// ConfigMapData are a ConfigMap's values by key. A type of its own, so that the
// credential checks know a key names its value.
type ConfigMapData map[string]string

// HasKey reports whether the ConfigMap holds key, in data or binaryData.
func (c ConfigMap) HasKey(key string) bool {
	_, inData := c.Data[key]
	_, inBinary := c.BinaryData[key]
	return inData || inBinary
}

// WorkloadIdentityPolicy lists, by cloud, patterns of the identities tenants' service
// accounts may take: "*" matches any run of characters, "{tenant}" the tenant's name.
type WorkloadIdentityPolicy struct {
	AWS   []string `json:"aws"`
	GCP   []string `json:"gcp"`
	Azure []string `json:"azure"`
}

// Patterns returns the patterns of a cloud.
func (w WorkloadIdentityPolicy) Patterns(cloud string) []string {
	switch cloud {
	case "aws":
		return w.AWS
	case "gcp":
		return w.GCP
	case "azure":
		return w.Azure
	}
	return nil
}

// Allows reports whether a pattern of the cloud allows the identity for the tenant.
func (w WorkloadIdentityPolicy) Allows(cloud, tenant, identity string) bool {
	for _, p := range w.Patterns(cloud) {
		if globMatch(strings.ReplaceAll(p, "{tenant}", tenant), identity) {
			return true
		}
	}
	return false
}

// globMatch reports whether s matches pattern, in which '*' matches any run of
// characters (slashes too) and everything else itself.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last) && len(s) >= len(last)
}

// ServiceAccountNamed finds the tenant's service account of a name, as Kubernetes
// names it.
func (d *Declarations) ServiceAccountNamed(name string) (ServiceAccount, bool) {
	for declared, sa := range d.ServiceAccounts {
		if NormalizeName(declared) == name {
			return sa, true
		}
	}
	return ServiceAccount{}, false
}

// UsesAzureIdentity reports whether pods running as the named account need Azure
// workload identity's label.
func (d *Declarations) UsesAzureIdentity(name string) bool {
	if name == "" {
		return false
	}
	sa, ok := d.ServiceAccountNamed(name)
	return ok && sa.Azure != nil
}
