package lower

import (
	"maps"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// The annotations and label of the clouds' workload identity webhooks.
const (
	// awsRoleAnnotation is the IAM role of EKS's IAM roles for service accounts.
	awsRoleAnnotation = "eks.amazonaws.com/role-arn"
	// gcpServiceAccountAnnotation is the Google service account of GKE Workload Identity.
	gcpServiceAccountAnnotation = "iam.gke.io/gcp-service-account"
	// azureClientIDAnnotation and azureTenantIDAnnotation are the identity of Azure
	// workload identity; its webhook mutates only pods labelled azureUseLabel: "true".
	azureClientIDAnnotation = "azure.workload.identity/client-id"
	azureTenantIDAnnotation = "azure.workload.identity/tenant-id"
	azureUseLabel           = "azure.workload.identity/use"
)

// serviceAccount compiles a service account, with its cloud identity as the cloud's
// webhook reads it.
func serviceAccount(ns, declared string, sa model.ServiceAccount) manifest.Object {
	annotations := maps.Clone(sa.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	switch {
	case sa.AWS != nil:
		annotations[awsRoleAnnotation] = sa.AWS.RoleARN
	case sa.GCP != nil:
		annotations[gcpServiceAccountAnnotation] = sa.GCP.ServiceAccount
	case sa.Azure != nil:
		annotations[azureClientIDAnnotation] = sa.Azure.ClientID
		if sa.Azure.TenantID != "" {
			annotations[azureTenantIDAnnotation] = sa.Azure.TenantID
		}
	}
	content := map[string]any{
		"apiVersion": "v1",
		"kind":       "ServiceAccount",
		"metadata":   metadata(model.NormalizeName(declared), ns, sa.Labels, annotations),
	}
	if len(sa.ImagePullSecrets) > 0 {
		var secrets []any
		for _, s := range sa.ImagePullSecrets {
			secrets = append(secrets, map[string]any{"name": s})
		}
		content["imagePullSecrets"] = secrets
	}
	return manifest.Object{Source: model.Path("serviceAccounts", declared), Content: content}
}

// volumeClaim compiles a declared volume to its PersistentVolumeClaim, kept from Flux's
// pruning as a notebook's workspace is unless keepOnDelete is false.
func volumeClaim(p *model.Platform, ns, declared string, v model.Volume) manifest.Object {
	source := model.Path("volumes", declared)
	o := claimObject(p, model.NormalizeName(declared), ns, source, v.Size, v.StorageClass, v.AccessMode, v.KeepOnDelete)
	meta := o.Content["metadata"].(map[string]any)
	if len(v.Labels) > 0 {
		meta["labels"] = stringMap(v.Labels)
	}
	if len(v.Annotations) > 0 {
		annotations := maps.Clone(v.Annotations)
		if v.KeepOnDelete {
			annotations[fluxPruneAnnotation] = "disabled"
		}
		meta["annotations"] = stringMap(annotations)
	}
	if ds := v.DataSource; ds != nil {
		spec := o.Content["spec"].(map[string]any)
		switch {
		case ds.Snapshot != "":
			spec["dataSource"] = map[string]any{"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": ds.Snapshot}
		case ds.Claim != "":
			spec["dataSource"] = map[string]any{"kind": "PersistentVolumeClaim", "name": ds.Claim}
		}
	}
	return o
}

// configMap compiles a ConfigMap, named as declared: env and volumes name it so.
func configMap(ns, declared string, c model.ConfigMap) manifest.Object {
	content := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   metadata(declared, ns, c.Labels, c.Annotations),
	}
	if len(c.Data) > 0 {
		content["data"] = stringMap(c.Data)
	}
	if len(c.BinaryData) > 0 {
		content["binaryData"] = stringMap(c.BinaryData)
	}
	if c.Immutable != nil {
		content["immutable"] = *c.Immutable
	}
	return manifest.Object{Source: model.Path("configMaps", declared), Content: content}
}

// claimOf returns the claim a declared volume's name stands for: its object name.
func claimOf(volume string) string { return model.NormalizeName(volume) }

// withLabel returns labels with key set to value, leaving labels as they were.
func withLabel(labels map[string]string, key, value string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	maps.Copy(out, labels)
	out[key] = value
	return out
}

// withPodLabels returns a tree like tree whose pipeline puts labels on its steps' pods,
// leaving tree, which the declarations share, as it was.
func withPodLabels(tree *model.PipelineTree, labels map[string]string) *model.PipelineTree {
	t := *tree
	pl := *tree.Pipeline
	pl.PodLabels = labels
	t.Pipeline = &pl
	return &t
}
