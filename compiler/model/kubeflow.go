package model

import "maps"

// Kubeflow is the Kubeflow mlc installs on a cluster (schemas #Kubeflow). Unset fields
// are upstream's example install.
type Kubeflow struct {
	Release    string                   `json:"release,omitempty"`
	Source     KubeflowSource           `json:"source"`
	Components map[string]bool          `json:"components,omitempty"`
	Images     map[string]KubeflowImage `json:"images,omitempty"`
	Pipelines  KubeflowPipelines        `json:"pipelines"`
	// Patches are kustomize patches, by unit.
	Patches map[string][]KubeflowPatch `json:"patches,omitempty"`
	// Secrets replace upstream's default credentials: SOPS-encrypted Secret manifests,
	// by "<namespace>/<name>".
	Secrets map[string]string `json:"secrets,omitempty"`
	// Runtimes are files of the repository with ClusterTrainingRuntimes and
	// ClusterServingRuntimes to install besides the release's.
	Runtimes         []string `json:"runtimes,omitempty"`
	DecryptionSecret string   `json:"decryptionSecret,omitempty"`
	// Ingress is how users reach Kubeflow: its host names and TLS.
	Ingress *KubeflowIngress `json:"ingress,omitempty"`
	// Dashboard is the central dashboard's links, merged into upstream's.
	Dashboard *KubeflowDashboard `json:"dashboard,omitempty"`
	// Auth is who signs in: Dex's users, or an external OIDC issuer.
	Auth *KubeflowAuth `json:"auth,omitempty"`
}

// KubeflowAuth is how users sign in: with a password to Dex (DexUsers), or at an
// external OIDC issuer (OIDC) that oauth2-proxy sends them to.
type KubeflowAuth struct {
	DexUsers []KubeflowDexUser `json:"dexUsers,omitempty"`
	OIDC     *KubeflowOIDC     `json:"oidc,omitempty"`
}

// KubeflowDexUser is one of Dex's static users; the bcrypt hash of their password is
// the value of HashKey in the encrypted Secret auth/dex-passwords.
type KubeflowDexUser struct {
	Email    string `json:"email"`
	Username string `json:"username,omitempty"`
	UserID   string `json:"userID,omitempty"`
	HashKey  string `json:"hashKey"`
}

// KubeflowOIDC is an external OIDC issuer; the client's ID and secret are in the
// encrypted Secret oauth2-proxy/oauth2-proxy.
type KubeflowOIDC struct {
	Issuer      string   `json:"issuer"`
	Scopes      []string `json:"scopes,omitempty"`
	EmailClaim  string   `json:"emailClaim,omitempty"`
	GroupsClaim string   `json:"groupsClaim,omitempty"`
}

// KubeflowIngress is the public side of Kubeflow's Istio gateway.
type KubeflowIngress struct {
	// Hosts are the gateway's host names ("*" when empty).
	Hosts []string `json:"hosts,omitempty"`
	// TLS serves HTTPS with a certificate from a Secret in istio-system, and
	// redirects HTTP to it.
	TLS *KubeflowTLS `json:"tls,omitempty"`
	// ServingDomain is Knative's domain, under which KServe's serverless endpoints get
	// their URLs; upstream's example.com when empty.
	ServingDomain string `json:"servingDomain,omitempty"`
	// ServiceType and ServiceAnnotations expose the gateway's Service
	// (istio-system/istio-ingressgateway), ClusterIP upstream.
	ServiceType        string            `json:"serviceType,omitempty"`
	ServiceAnnotations map[string]string `json:"serviceAnnotations,omitempty"`
}

// KubeflowTLS is the certificate the gateway serves.
type KubeflowTLS struct {
	SecretName string `json:"secretName"`
	// Issuer is the cert-manager issuer of a Certificate mlc writes for the hosts into
	// the Secret; without it the Secret is the cluster's own.
	Issuer *KubeflowIssuer `json:"issuer,omitempty"`
}

// KubeflowIssuer names a cert-manager Issuer (in istio-system) or ClusterIssuer.
type KubeflowIssuer struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// KubeflowDashboard is the central dashboard's links (its centraldashboard-config
// ConfigMap), by the list they go in.
type KubeflowDashboard struct {
	MenuLinks          []KubeflowLink `json:"menuLinks,omitempty"`
	ExternalLinks      []KubeflowLink `json:"externalLinks,omitempty"`
	QuickLinks         []KubeflowLink `json:"quickLinks,omitempty"`
	DocumentationItems []KubeflowLink `json:"documentationItems,omitempty"`
}

// KubeflowLink is one link of the dashboard, or a menu section of links (Items).
// Remove drops upstream's link of that text.
type KubeflowLink struct {
	Text   string         `json:"text"`
	Link   string         `json:"link,omitempty"`
	Icon   string         `json:"icon,omitempty"`
	Desc   string         `json:"desc,omitempty"`
	Iframe *bool          `json:"iframe,omitempty"`
	Items  []KubeflowLink `json:"items,omitempty"`
	Remove bool           `json:"remove,omitempty"`
}

// KubeflowSource is where a release's manifests are read from.
type KubeflowSource struct {
	Git     *KubeflowGit      `json:"git,omitempty"`
	Path    string            `json:"path,omitempty"`
	Mirrors map[string]string `json:"mirrors,omitempty"`
}

// KubeflowGit is kubeflow/manifests in a git repository.
type KubeflowGit struct {
	URL string `json:"url"`
	Tag string `json:"tag,omitempty"`
}

// KubeflowImage replaces an image of the release (kustomize's images field).
type KubeflowImage struct {
	NewName string `json:"newName,omitempty"`
	NewTag  string `json:"newTag,omitempty"`
	Digest  string `json:"digest,omitempty"`
}

// KubeflowPatch is a kustomize patch, and the objects it applies to.
type KubeflowPatch = Patch

// KubeflowPatchTarget selects the objects a patch applies to (kustomize's selector).
type KubeflowPatchTarget = PatchTarget

// KubeflowPipelines are the settings of Kubeflow Pipelines.
type KubeflowPipelines struct {
	Definitions string `json:"definitions,omitempty"`
}

// KubeflowFor returns the Kubeflow a cluster installs: the platform's, with what the
// cluster sets over it; nil when neither declares one.
func (p *Platform) KubeflowFor(cluster string) *Kubeflow {
	base, over := p.Kubeflow, p.Clusters[cluster].Kubeflow
	switch {
	case base == nil && over == nil:
		return nil
	case over == nil:
		return base
	case base == nil:
		return over
	}
	k := *base
	if over.Release != "" {
		k.Release = over.Release
	}
	if over.Source.Git != nil || over.Source.Path != "" {
		k.Source.Git, k.Source.Path = over.Source.Git, over.Source.Path
	}
	k.Source.Mirrors = merged(base.Source.Mirrors, over.Source.Mirrors)
	k.Components = merged(base.Components, over.Components)
	k.Images = merged(base.Images, over.Images)
	k.Secrets = merged(base.Secrets, over.Secrets)
	if over.Runtimes != nil {
		k.Runtimes = over.Runtimes
	}
	k.Patches = merged(base.Patches, over.Patches)
	if over.DecryptionSecret != "" {
		k.DecryptionSecret = over.DecryptionSecret
	}
	if over.Pipelines.Definitions != "" {
		k.Pipelines.Definitions = over.Pipelines.Definitions
	}
	// A cluster's setting of these replaces the platform's as a whole.
	if over.Ingress != nil {
		k.Ingress = over.Ingress
	}
	if over.Dashboard != nil {
		k.Dashboard = over.Dashboard
	}
	if over.Auth != nil {
		k.Auth = over.Auth
	}
	return &k
}

// merged returns a's entries with b's over them.
func merged[V any](a, b map[string]V) map[string]V {
	if len(b) == 0 {
		return a
	}
	out := maps.Clone(a)
	if out == nil {
		out = map[string]V{}
	}
	maps.Copy(out, b)
	return out
}
