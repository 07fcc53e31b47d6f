package lower

import (
	"testing"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/model/modeltest"
)

func TestLowerServiceAccount(t *testing.T) {
	t.Parallel()
	account := func(sa model.ServiceAccount) func(*model.Platform, *model.Declarations) {
		return func(_ *model.Platform, d *model.Declarations) {
			d.Tenant.Contributors = nil
			d.ServiceAccounts = map[string]model.ServiceAccount{"Reader": sa}
		}
	}
	runLowerCases(t, []lowerCase{
		{
			name:     "AWS",
			edit:     account(model.ServiceAccount{AWS: &model.AWSIdentity{RoleARN: "arn:aws:iam::123456789012:role/vision-s3"}, ImagePullSecrets: []string{"registry"}}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "ServiceAccount/reader", fields: map[string]any{
				"metadata.namespace":   "vision",
				"metadata.annotations": map[string]any{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/vision-s3"},
				"imagePullSecrets":     []any{map[string]any{"name": "registry"}},
			}}},
		},
		{
			name:     "GCP, with the tenant's own annotations and labels",
			edit:     account(model.ServiceAccount{GCP: &model.GCPIdentity{ServiceAccount: "vision@ml.iam.gserviceaccount.com"}, Labels: map[string]string{"team": "vision"}, Annotations: map[string]string{"owner": "alice"}}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "ServiceAccount/reader", fields: map[string]any{
				"metadata.annotations": map[string]any{"iam.gke.io/gcp-service-account": "vision@ml.iam.gserviceaccount.com", "owner": "alice"},
				"metadata.labels":      map[string]any{"team": "vision"},
			}}},
		},
		{
			name:     "Azure",
			edit:     account(model.ServiceAccount{Azure: &model.AzureIdentity{ClientID: "11111111-2222-3333-4444-555555555555", TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"}}),
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "ServiceAccount/reader", fields: map[string]any{
				"metadata.annotations": map[string]any{
					"azure.workload.identity/client-id": "11111111-2222-3333-4444-555555555555",
					"azure.workload.identity/tenant-id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
				},
			}}},
		},
	})
}

func TestLowerVolumeAndConfigMap(t *testing.T) {
	t.Parallel()
	runLowerCases(t, []lowerCase{
		{
			name: "a kept data set from a snapshot, on the platform's storage class",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.Tenant.Contributors = nil
				p.Defaults.StorageClass = "standard"
				d.Volumes = map[string]model.Volume{"coco-2017": {Size: "100Gi", AccessMode: "ReadOnlyMany", KeepOnDelete: true,
					DataSource: &model.VolumeSource{Snapshot: "coco-v1"}, Annotations: map[string]string{"note": "x"}}}
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "PersistentVolumeClaim/coco-2017", fields: map[string]any{
				"spec.accessModes":                []any{"ReadOnlyMany"},
				"spec.resources.requests.storage": "100Gi",
				"spec.storageClassName":           "standard",
				"spec.dataSource":                 map[string]any{"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "coco-v1"},
				"metadata.annotations":            map[string]any{"kustomize.toolkit.fluxcd.io/prune": "disabled", "note": "x"},
			}}},
		},
		{
			name: "a scratch copy of another claim, pruned with its declaration",
			edit: func(_ *model.Platform, d *model.Declarations) {
				d.Tenant.Contributors = nil
				d.Volumes = map[string]model.Volume{"copy": {Size: "1Gi", AccessMode: "ReadWriteMany", StorageClass: "nfs", DataSource: &model.VolumeSource{Claim: "coco-2017"}}}
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "PersistentVolumeClaim/copy", fields: map[string]any{
				"spec.storageClassName": "nfs",
				"spec.dataSource":       map[string]any{"kind": "PersistentVolumeClaim", "name": "coco-2017"},
			}}},
		},
		{
			name: "a ConfigMap keeps its declared name",
			edit: func(_ *model.Platform, d *model.Declarations) {
				d.Tenant.Contributors = nil
				d.ConfigMaps = map[string]model.ConfigMap{"app.config": {Data: model.ConfigMapData{"a": "1"}, BinaryData: map[string]string{"b": "AAEC"}, Immutable: modeltest.Ptr(true)}}
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "ConfigMap/app.config", fields: map[string]any{
				"data": map[string]any{"a": "1"}, "binaryData": map[string]any{"b": "AAEC"}, "immutable": true,
			}}},
		},
	})
}

// TestLowerVolumeAndAccountUses: each workload kind mounts a declared volume by its
// claim and runs as an Azure account with the label its webhook needs on the pods.
func TestLowerVolumeAndAccountUses(t *testing.T) {
	t.Parallel()
	const azureLabel = "azure.workload.identity/use"
	declare := func(d *model.Declarations) {
		d.Tenant.Contributors = nil
		d.ServiceAccounts = map[string]model.ServiceAccount{"blob": {Azure: &model.AzureIdentity{ClientID: "11111111-2222-3333-4444-555555555555"}}}
	}
	job := func() model.TrainingJob {
		j := modeltest.TrainingJob()
		j.ServiceAccount = "blob"
		j.Volumes = map[string]model.TrainingVolume{"coco": {MountPath: "/data", Volume: "coco-2017", ReadOnly: true}}
		return j
	}
	claim := map[string]any{"claimName": "coco-2017", "readOnly": true}
	runLowerCases(t, []lowerCase{
		{
			name: "a notebook",
			edit: func(_ *model.Platform, d *model.Declarations) {
				declare(d)
				nb := modeltest.Declarations().Notebooks["dev"]
				nb.Workspace.Enabled = modeltest.Ptr(false)
				nb.ServiceAccount = "blob"
				nb.DataVolumes = map[string]model.DataVolume{"coco": {MountPath: "/data", Volume: "coco-2017", ReadOnly: true}}
				d.Notebooks = map[string]model.Notebook{"dev": nb}
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "ServiceAccount/blob"}, {id: "Notebook/dev", fields: map[string]any{
				"metadata.labels[\"" + azureLabel + "\"]": "true",
				"spec.template.spec.serviceAccountName":   "blob",
				"spec.template.spec.volumes[0]":           map[string]any{"name": "coco-2017", "persistentVolumeClaim": claim},
			}}},
		},
		{
			name: "a PodDefault",
			edit: func(_ *model.Platform, d *model.Declarations) {
				declare(d)
				d.PodDefaults = map[string]model.PodDefault{"blob": {ServiceAccountName: "blob"}}
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "ServiceAccount/blob"}, {id: "PodDefault/blob", fields: map[string]any{
				"spec.labels": map[string]any{azureLabel: "true"}, "spec.serviceAccountName": "blob",
			}}},
		},
		{
			name: "a TrainJob",
			edit: func(_ *model.Platform, d *model.Declarations) {
				declare(d)
				d.Training = map[string]model.TrainingJob{"train": job()}
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "ServiceAccount/blob"}, {id: "TrainJob/train", fields: map[string]any{
				"spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.metadata.labels": map[string]any{azureLabel: "true"},
				"spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.volumes[0]": map[string]any{"name": "coco", "persistentVolumeClaim": claim},
			}}},
		},
		{
			name:     "a PyTorchJob",
			operator: true,
			edit: func(_ *model.Platform, d *model.Declarations) {
				declare(d)
				d.Training = map[string]model.TrainingJob{"train": job()}
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "ServiceAccount/blob"}, {id: "PyTorchJob/train", fields: map[string]any{
				"spec.pytorchReplicaSpecs.Master.template.metadata.labels":         map[string]any{azureLabel: "true"},
				"spec.pytorchReplicaSpecs.Worker.template.spec.volumes[0]":         map[string]any{"name": "coco", "persistentVolumeClaim": claim},
				"spec.pytorchReplicaSpecs.Worker.template.spec.serviceAccountName": "blob",
			}}},
		},
		{
			name: "an Experiment's trials",
			edit: func(_ *model.Platform, d *model.Declarations) {
				declare(d)
				exp := modeltest.Declarations().Experiments["resnet50-hpo"]
				trial := job()
				trial.Args = exp.Trial.Args
				exp.Trial = trial
				d.Experiments = map[string]model.Experiment{"hpo": exp}
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "ServiceAccount/blob"}, {id: "Experiment/hpo", fields: map[string]any{
				"spec.trialTemplate.trialSpec.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.metadata.labels": map[string]any{azureLabel: "true"},
			}}},
		},
		{
			name: "an InferenceService",
			edit: func(_ *model.Platform, d *model.Declarations) {
				declare(d)
				ep := modeltest.Declarations().Serving["resnet"]
				ep.ServiceAccount = "blob"
				ep.Model.StorageURI = "pvc://coco-2017/models/resnet"
				d.Serving = map[string]model.ServingEndpoint{"resnet": ep}
			},
			platform: []wantObject{theProfile},
			workloads: []wantObject{{id: "ServiceAccount/blob"}, {id: "InferenceService/resnet", fields: map[string]any{
				"spec.predictor.labels":             map[string]any{azureLabel: "true"},
				"spec.predictor.serviceAccountName": "blob",
				"spec.predictor.model.storageUri":   "pvc://coco-2017/models/resnet",
			}}},
		},
	})
}
