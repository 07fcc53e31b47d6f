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
	Secrets          map[string]string `json:"secrets,omitempty"`
	DecryptionSecret string            `json:"decryptionSecret,omitempty"`
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
	k.Patches = merged(base.Patches, over.Patches)
	if over.DecryptionSecret != "" {
		k.DecryptionSecret = over.DecryptionSecret
	}
	if over.Pipelines.Definitions != "" {
		k.Pipelines.Definitions = over.Pipelines.Definitions
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
