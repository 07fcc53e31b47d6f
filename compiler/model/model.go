// Package model holds the Go form of a platform repository after CUE evaluation: the
// platform settings and, for each tenant, what it declares. Values are concrete and have
// passed the CUE schemas; the field names follow the CUE definitions in schemas/.
package model

import (
	"encoding/json"
	"strings"
)

// Platform is what the files at the top of a repository declare.
type Platform struct {
	Clusters map[string]Cluster `json:"clusters"`
	Defaults Defaults           `json:"defaults"`
	Policy   Policy             `json:"policy"`
	Flux     *Flux              `json:"flux"`
	Kubeflow *Kubeflow          `json:"kubeflow"`

	// here is the cluster the platform is seen from (OnCluster), or nil.
	here *Cluster
	// Scheduling are the scheduling objects of every cluster.
	Scheduling *Scheduling `json:"scheduling"`
}

// Flux is how clusters pull and apply what mlc pushes.
type Flux struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag,omitempty"`
	Interval   string `json:"interval"`
	Timeout    string `json:"timeout"`
	PullSecret string `json:"pullSecret,omitempty"`
	Insecure   bool   `json:"insecure"`
	TenantRole string `json:"tenantRole"`

	// Provider is the cloud whose identity source-controller signs in with: aws, azure
	// or gcp; empty for static credentials or none.
	Provider string `json:"provider,omitempty"`
	// TenantPullSecret names the Secret, in each tenant's namespace, that may pull that
	// tenant's artifacts only.
	TenantPullSecret string `json:"tenantPullSecret,omitempty"`
	// TenantDecryptionSecret names the Secret, in each tenant's namespace, that holds
	// the key Flux decrypts the tenant's SOPS-encrypted secrets with.
	TenantDecryptionSecret string `json:"tenantDecryptionSecret,omitempty"`
}

// DefaultTenantDecryptionSecret is flux.tenantDecryptionSecret's default.
const DefaultTenantDecryptionSecret = "sops-keys"

// DecryptionSecret returns the Secret, in each tenant's namespace, that holds the key
// Flux decrypts the tenant's SOPS-encrypted secrets with.
func (f Flux) DecryptionSecret() string {
	if f.TenantDecryptionSecret != "" {
		return f.TenantDecryptionSecret
	}
	return DefaultTenantDecryptionSecret
}

// TagFor returns the tag a cluster follows.
func (f Flux) TagFor(cluster string) string {
	if f.Tag != "" {
		return f.Tag
	}
	return cluster
}

// Cluster is one Kubernetes cluster running Kubeflow.
type Cluster struct {
	Name string `json:"name"`
	// Tenants lists tenant names, or "*" for all tenants.
	Tenants []string `json:"tenants"`
	// GPUTypes lists the GPU types the cluster has; nil means all of the platform's.
	GPUTypes []string `json:"gpuTypes"`
	// Training overrides the platform's training defaults for this cluster.
	Training ClusterTraining `json:"training"`
	// Kubeflow overrides the platform's Kubeflow for this cluster.
	Kubeflow *Kubeflow `json:"kubeflow"`
	// ExternalSecrets, when set, says the cluster runs External Secrets, with the
	// stores tenants may read.
	ExternalSecrets *ExternalSecrets `json:"externalSecrets"`
	// Scheduling adds to the platform's scheduling objects on this cluster.
	Scheduling *Scheduling `json:"scheduling"`
}

// HasGPUType reports whether the cluster has GPUs of the named type.
func (c Cluster) HasGPUType(name string) bool {
	if c.GPUTypes == nil {
		return true
	}
	for _, t := range c.GPUTypes {
		if t == name {
			return true
		}
	}
	return false
}

// Runs reports whether the cluster runs the tenant.
func (c Cluster) Runs(tenant string) bool {
	for _, t := range c.Tenants {
		if t == "*" || t == tenant {
			return true
		}
	}
	return false
}

// Defaults fill in what declarations leave unset.
type Defaults struct {
	ImageCatalog      map[string]string         `json:"imageCatalog"`
	StorageClass      string                    `json:"storageClass,omitempty"`
	Notebook          NotebookDefaults          `json:"notebook"`
	GPUTypes          map[string]GPUType        `json:"gpuTypes"`
	GPUType           string                    `json:"gpuType,omitempty"`
	SharedPodDefaults []string                  `json:"sharedPodDefaults"`
	Access            Access                    `json:"access"`
	Serving           ServingDefaults           `json:"serving"`
	ServingRuntimes   map[string]RuntimeSupport `json:"servingRuntimes"`
	Training          TrainingDefaults          `json:"training"`
	Katib             KatibDefaults             `json:"katib"`
	Pipelines         PipelineDefaults          `json:"pipelines"`
	ContainerDefaults ContainerDefaults         `json:"containerDefaults"`
	// ServiceAccounts are those the platform provides in every tenant namespace.
	ServiceAccounts []string `json:"serviceAccounts"`
}

// ContainerDefaults are what a container that requests nothing gets in a tenant
// namespace whose quota limits CPU or memory: the namespace's LimitRange.
type ContainerDefaults struct {
	CPU    Quantity `json:"cpu"`
	Memory string   `json:"memory"`
	// Limits are for a container that sets none; empty fields leave it unlimited.
	Limits ContainerLimits `json:"limits"`
}

// ContainerLimits are default limits of containers.
type ContainerLimits struct {
	CPU    Quantity `json:"cpu,omitempty"`
	Memory string   `json:"memory,omitempty"`
}

// ServingDefaults are the cluster's KServe settings.
type ServingDefaults struct {
	Mode   string   `json:"mode"`
	CPU    Quantity `json:"cpu"`
	Memory string   `json:"memory"`
}

// RuntimeSupport is what a serving runtime serves.
type RuntimeSupport struct {
	Formats   []RuntimeFormat `json:"formats"`
	Protocols []string        `json:"protocols"`
}

// RuntimeFormat is a model format a serving runtime serves.
type RuntimeFormat struct {
	Name       string `json:"name"`
	Version    string `json:"version,omitempty"`
	AutoSelect *bool  `json:"autoSelect"`
	Priority   *int64 `json:"priority,omitempty"`
}

// Selectable reports whether KServe may pick the runtime for this format by itself.
func (f RuntimeFormat) Selectable() bool { return f.AutoSelect == nil || *f.AutoSelect }

// Access is how Kubeflow's access management identifies users.
type Access struct {
	UserIDHeader string   `json:"userIdHeader"`
	UserIDPrefix string   `json:"userIdPrefix"`
	Principals   []string `json:"principals"`
	GroupsHeader string   `json:"groupsHeader"`
}

// NotebookDefaults are the spawner's defaults for notebook servers.
type NotebookDefaults struct {
	CPU           Quantity `json:"cpu"`
	Memory        string   `json:"memory"`
	LimitFactor   float64  `json:"limitFactor"`
	WorkspaceSize string   `json:"workspaceSize"`
}

// GPUType maps a kind of accelerator to its resource name and scheduling constraints.
type GPUType struct {
	Vendor       string            `json:"vendor"`
	Resource     string            `json:"resource,omitempty"`
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	Tolerations  []Toleration      `json:"tolerations,omitempty"`
}

// ResourceName is the extended resource a pod requests for this GPU type.
func (g GPUType) ResourceName() string {
	if g.Resource != "" {
		return g.Resource
	}
	switch g.Vendor {
	case "amd":
		return "amd.com/gpu"
	case "intel":
		return "gpu.intel.com/i915"
	}
	return "nvidia.com/gpu"
}

// GPUPreference lists the GPU types a request accepts, most preferred first; written in
// CUE as one type ("a100") or a list (["h100", "a100"]).
type GPUPreference []string

// UnmarshalJSON reads a GPU type or a list of them.
func (g *GPUPreference) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*g = GPUPreference{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*g = list
	return nil
}

// String lists the types, comma-separated.
func (g GPUPreference) String() string { return strings.Join(g, ", ") }

// Toleration is a Kubernetes pod toleration.
type Toleration struct {
	Key               string `json:"key,omitempty"`
	Operator          string `json:"operator,omitempty"`
	Value             string `json:"value,omitempty"`
	Effect            string `json:"effect,omitempty"`
	TolerationSeconds *int64 `json:"tolerationSeconds,omitempty"`
}

// Policy is what the platform allows.
type Policy struct {
	AllowedRegistries  []string `json:"allowedRegistries"`
	ReservedNamespaces []string `json:"reservedNamespaces"`
	Limits             struct {
		Notebook ResourceLimits `json:"notebook"`
	} `json:"limits"`
	Secrets SecretsPolicy `json:"secrets"`
	// WorkloadIdentity lists the cloud identities service accounts may take.
	WorkloadIdentity WorkloadIdentityPolicy `json:"workloadIdentity"`
	// ProfilePlugins are the cloud identities tenants may name in Profile plugins.
	ProfilePlugins ProfilePluginsPolicy `json:"profilePlugins"`
	Objects        ObjectsPolicy        `json:"objects"`
}

// ProfilePluginsPolicy lists patterns of the identities tenants may name ({tenant} is
// the tenant's name, "*" any run of characters but '/').
type ProfilePluginsPolicy struct {
	AwsIamRoles           []string `json:"awsIamRoles"`
	GcpServiceAccounts    []string `json:"gcpServiceAccounts"`
	AwsTrustPolicyChanges bool     `json:"awsTrustPolicyChanges"`
}

// ObjectsPolicy is what tenants may declare as raw objects.
type ObjectsPolicy struct {
	// AllowedKinds are the kinds tenants may declare, as Kind.group ("ConfigMap" for
	// the core group).
	AllowedKinds []string `json:"allowedKinds"`
}

// SecretsPolicy is how credentials written into the repository are treated.
type SecretsPolicy struct {
	// LiteralCredentials is "error" (the default) or "warning".
	LiteralCredentials string `json:"literalCredentials"`
}

// LiteralCredentialsAllowed reports whether the policy lets a credential written as a
// plain value compile, with a warning.
func (p Policy) LiteralCredentialsAllowed() bool { return p.Secrets.LiteralCredentials == "warning" }

// ResourceLimits caps what a single workload may request.
type ResourceLimits struct {
	CPU    Quantity `json:"cpu,omitempty"`
	Memory string   `json:"memory,omitempty"`
	GPU    *int64   `json:"gpu,omitempty"`
}

// Declarations are what one tenant directory declares.
type Declarations struct {
	Tenant      *Tenant                    `json:"tenant"`
	Notebooks   map[string]Notebook        `json:"notebooks"`
	PodDefaults map[string]PodDefault      `json:"podDefaults"`
	Serving     map[string]ServingEndpoint `json:"servingEndpoints"`
	Runtimes    map[string]ServingRuntime  `json:"servingRuntimes"`
	Training    map[string]TrainingJob     `json:"trainingJobs"`
	Experiments map[string]Experiment      `json:"experiments"`
	Pipelines   map[string]Pipeline        `json:"pipelines"`
	Secrets     map[string]Secret          `json:"secrets"`

	ServiceAccounts map[string]ServiceAccount `json:"serviceAccounts"`
	Volumes         map[string]Volume         `json:"volumes"`
	ConfigMaps      map[string]ConfigMap      `json:"configMaps"`
	Queues          map[string]Queue          `json:"queues"`
	// Objects are raw Kubernetes objects, by kind and name.
	Objects map[string]map[string]map[string]any `json:"objects"`
	// Patches are kustomize patches over the tenant's workloads, by name.
	Patches map[string]TenantPatch `json:"patches"`

	// pipelineTrees are the pipelines' trees, by declared name, built on first use.
	pipelineTrees map[string]*PipelineTree
}

// Tenant is one team's Kubeflow profile.
type Tenant struct {
	Name         string            `json:"name"`
	Owner        string            `json:"owner"`
	Contributors map[string]string `json:"contributors"`
	Quota        *Quota            `json:"quota"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	// Plugins are the Profile's plugins; nil when it declares none.
	Plugins *ProfilePlugins `json:"plugins"`
	// ContributorGroups are contributor groups by name, with their role.
	ContributorGroups map[string]string `json:"contributorGroups"`
}

// ProfilePlugins are Kubeflow profile controller plugins.
type ProfilePlugins struct {
	AwsIamForServiceAccount *AwsIamPlugin           `json:"awsIamForServiceAccount"`
	WorkloadIdentity        *WorkloadIdentityPlugin `json:"workloadIdentity"`
}

// AwsIamPlugin gives the namespace's default-editor an AWS IAM role (kind
// AwsIamForServiceAccount).
type AwsIamPlugin struct {
	AwsIamRole   string `json:"awsIamRole"`
	AnnotateOnly bool   `json:"annotateOnly,omitempty"`
}

// WorkloadIdentityPlugin gives the namespace's default-editor a Google service account
// (kind WorkloadIdentity).
type WorkloadIdentityPlugin struct {
	GcpServiceAccount string `json:"gcpServiceAccount"`
}

// Quota is the most a tenant's namespace may request.
type Quota struct {
	CPU                    Quantity `json:"cpu,omitempty"`
	Memory                 string   `json:"memory,omitempty"`
	GPU                    *int64   `json:"gpu,omitempty"`
	Storage                string   `json:"storage,omitempty"`
	Pods                   *int64   `json:"pods,omitempty"`
	PersistentVolumeClaims *int64   `json:"persistentVolumeClaims,omitempty"`
	Services               *int64   `json:"services,omitempty"`
	Secrets                *int64   `json:"secrets,omitempty"`
	ConfigMaps             *int64   `json:"configMaps,omitempty"`
	Notebooks              *int64   `json:"notebooks,omitempty"`
}

// Notebook is a notebook server.
type Notebook struct {
	Type            string                `json:"type"`
	Image           string                `json:"image"`
	ImagePullPolicy string                `json:"imagePullPolicy"`
	Resources       Resources             `json:"resources"`
	Workspace       Workspace             `json:"workspace"`
	DataVolumes     map[string]DataVolume `json:"dataVolumes"`
	PodDefaults     []string              `json:"podDefaults"`
	Env             map[string]EnvValue   `json:"env"`
	SHM             bool                  `json:"shm"`
	Stopped         bool                  `json:"stopped"`
	Labels          map[string]string     `json:"labels"`
	Annotations     map[string]string     `json:"annotations"`
	// ServiceAccount is the account the server runs as; default-editor when empty.
	ServiceAccount string `json:"serviceAccount,omitempty"`
}

// Workspace is a notebook's home volume.
type Workspace struct {
	Enabled      *bool  `json:"enabled"`
	Size         string `json:"size,omitempty"`
	StorageClass string `json:"storageClass,omitempty"`
	AccessMode   string `json:"accessMode,omitempty"`
	KeepOnDelete *bool  `json:"keepOnDelete"`
}

// DataVolume is an extra volume of a notebook.
type DataVolume struct {
	MountPath     string `json:"mountPath"`
	Size          string `json:"size,omitempty"`
	ExistingClaim string `json:"existingClaim,omitempty"`
	StorageClass  string `json:"storageClass,omitempty"`
	AccessMode    string `json:"accessMode"`
	ReadOnly      bool   `json:"readOnly"`
	KeepOnDelete  bool   `json:"keepOnDelete"`
	// Volume names a volume of the tenant's volumes to mount instead.
	Volume string `json:"volume,omitempty"`
}

// PodDefault is a configuration notebooks opt into.
type PodDefault struct {
	Description        string                `json:"description"`
	Env                map[string]EnvValue   `json:"env"`
	SecretVolumes      map[string]SecretPath `json:"secretVolumes"`
	ServiceAccountName string                `json:"serviceAccountName,omitempty"`
	Labels             map[string]string     `json:"labels"`
	Annotations        map[string]string     `json:"annotations"`
	// Volumes are added to the pod, by volume name; the pod's containers mount those
	// with a MountPath.
	Volumes map[string]TrainingVolume `json:"volumes"`
	// InitContainers and Sidecars are injected into the pod, in order.
	InitContainers []PodDefaultContainer `json:"initContainers"`
	Sidecars       []PodDefaultContainer `json:"sidecars"`
	Tolerations    []Toleration          `json:"tolerations"`
	// Selector are the labels that select the PodDefault; nil for {<name>: "true"}.
	Selector map[string]string `json:"selector"`
}

// SelectorLabels returns the labels a pod carries to select the PodDefault declared
// under this name.
func (pd PodDefault) SelectorLabels(declared string) map[string]string {
	if pd.Selector != nil {
		return pd.Selector
	}
	return map[string]string{NormalizeName(declared): "true"}
}

// PodDefaultContainer is an init container or sidecar a PodDefault injects.
type PodDefaultContainer struct {
	Name            string              `json:"name"`
	Image           string              `json:"image"`
	Command         []string            `json:"command"`
	Args            []string            `json:"args"`
	Env             map[string]EnvValue `json:"env"`
	ImagePullPolicy string              `json:"imagePullPolicy,omitempty"`
	Resources       struct {
		CPU    Quantity `json:"cpu,omitempty"`
		Memory string   `json:"memory,omitempty"`
	} `json:"resources"`
	VolumeMounts map[string]ContainerMount `json:"volumeMounts"`
}

// ContainerMount is where a container mounts a volume.
type ContainerMount struct {
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

// SecretPath is where a secret volume is mounted.
type SecretPath struct {
	MountPath string `json:"mountPath"`
}

// NormalizeName turns a declared name into the Kubernetes object name mlc uses for it:
// lower case, with '_' and '.' replaced by '-'. Two declarations whose names normalise
// to the same object name are an error.
func NormalizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + ('a' - 'A')
		case c == '_' || c == '.':
			b[i] = '-'
		}
	}
	return string(b)
}
