package check

import (
	"testing"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/model/modeltest"
)

// withIdentities lets tenants take the AWS roles and Google service accounts named
// after them, and one Azure identity.
func withIdentities(p *model.Platform) {
	p.Policy.WorkloadIdentity = model.WorkloadIdentityPolicy{
		AWS:   []string{"arn:aws:iam::123456789012:role/{tenant}-*", "arn:aws:iam::123456789012:role/ml/{tenant}-*"},
		GCP:   []string{"{tenant}-*@ml-prod.iam.gserviceaccount.com"},
		Azure: []string{"11111111-2222-3333-4444-555555555555"},
	}
}

func aws(arn string) model.ServiceAccount {
	return model.ServiceAccount{AWS: &model.AWSIdentity{RoleARN: arn}}
}

func TestServiceAccountChecks(t *testing.T) {
	t.Parallel()
	account := func(name string, sa model.ServiceAccount) func(p *model.Platform, d *model.Declarations) {
		return func(p *model.Platform, d *model.Declarations) {
			withIdentities(p)
			d.ServiceAccounts = map[string]model.ServiceAccount{name: sa}
		}
	}
	runCheckCases(t, []checkCase{
		{name: "no identity", edit: account("runner", model.ServiceAccount{ImagePullSecrets: []string{"registry"}})},
		{name: "an allowed AWS role", edit: account("s3", aws("arn:aws:iam::123456789012:role/vision-s3"))},
		{name: "an allowed AWS role with a path", edit: account("s3", aws("arn:aws:iam::123456789012:role/ml/vision-s3"))},
		{name: "an allowed Google service account", edit: account("gcs", model.ServiceAccount{GCP: &model.GCPIdentity{ServiceAccount: "vision-reader@ml-prod.iam.gserviceaccount.com"}})},
		{name: "an allowed Azure identity", edit: account("blob", model.ServiceAccount{Azure: &model.AzureIdentity{ClientID: "11111111-2222-3333-4444-555555555555"}})},
		{
			name: "two clouds",
			edit: account("s3", model.ServiceAccount{
				AWS:   &model.AWSIdentity{RoleARN: "arn:aws:iam::123456789012:role/vision-s3"},
				Azure: &model.AzureIdentity{ClientID: "11111111-2222-3333-4444-555555555555"},
			}),
			want: []wantDiag{{"serviceAccounts.s3.azure", "takes one cloud identity, and this one has aws and azure"}},
		},
		{
			name: "a role ARN of a user",
			edit: account("s3", aws("arn:aws:iam::123456789012:user/vision")),
			want: []wantDiag{{"serviceAccounts.s3.aws.roleArn", "is not an IAM role ARN"}},
		},
		{
			name: "a Google user instead of a service account",
			edit: account("gcs", model.ServiceAccount{GCP: &model.GCPIdentity{ServiceAccount: "alice@example.com"}}),
			want: []wantDiag{{"serviceAccounts.gcs.gcp.serviceAccount", "is not a Google service account's email"}},
		},
		{
			name: "an Azure tenant ID that is no UUID",
			edit: account("blob", model.ServiceAccount{Azure: &model.AzureIdentity{ClientID: "11111111-2222-3333-4444-555555555555", TenantID: "contoso"}}),
			want: []wantDiag{{"serviceAccounts.blob.azure.tenantId", `"contoso" is not a Microsoft Entra tenant ID`}},
		},
		{
			name: "another tenant's role",
			edit: account("s3", aws("arn:aws:iam::123456789012:role/nlp-s3")),
			want: []wantDiag{{"serviceAccounts.s3.aws.roleArn", "does not allow tenant vision the identity arn:aws:iam::123456789012:role/nlp-s3"}},
		},
		{
			name: "a role in another account",
			edit: account("s3", aws("arn:aws:iam::999999999999:role/vision-s3")),
			want: []wantDiag{{"serviceAccounts.s3.aws.roleArn", "does not allow tenant vision"}},
		},
		{
			name: "an identity where the platform allows none of its cloud",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.ServiceAccounts = map[string]model.ServiceAccount{"s3": aws("arn:aws:iam::123456789012:role/vision-s3")}
			},
			want: []wantDiag{{"serviceAccounts.s3.aws.roleArn", "allows tenants no aws identity"}},
		},
		{
			name: "an identity written as an annotation",
			edit: account("s3", model.ServiceAccount{Annotations: map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/admin"}}),
			want: []wantDiag{{`serviceAccounts.s3.annotations."eks.amazonaws.com/role-arn"`, "is a cloud identity's annotation"}},
		},
		{
			name: "Kubeflow's account",
			edit: account("default-editor", model.ServiceAccount{}),
			want: []wantDiag{{`serviceAccounts."default-editor"`, "Kubeflow's profile controller makes service account default-editor"}},
		},
		{
			name: "a name clash with a ConfigMap's is no clash",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.ServiceAccounts = map[string]model.ServiceAccount{"runner": {}}
				d.ConfigMaps = map[string]model.ConfigMap{"runner": {}}
			},
		},
	})
}

func TestServiceAccountReferences(t *testing.T) {
	t.Parallel()
	runCheckCases(t, []checkCase{
		{
			name: "every workload names a declared or provided account",
			edit: func(p *model.Platform, d *model.Declarations) {
				p.Defaults.ServiceAccounts = []string{"platform-runner"}
				d.ServiceAccounts = map[string]model.ServiceAccount{"Runner": {}}
				nb := d.Notebooks["dev"]
				nb.ServiceAccount = "runner"
				d.Notebooks["dev"] = nb
				job := d.Training["resnet50"]
				job.ServiceAccount = "default-editor"
				d.Training["resnet50"] = job
				ep := d.Serving["resnet"]
				ep.ServiceAccount = "platform-runner"
				d.Serving["resnet"] = ep
			},
		},
		{
			name: "unknown accounts",
			edit: func(p *model.Platform, d *model.Declarations) {
				exp := d.Experiments["resnet50-hpo"]
				exp.Trial.ServiceAccount = "trainer"
				d.Experiments["resnet50-hpo"] = exp
				d.PodDefaults = map[string]model.PodDefault{"s3": {ServiceAccountName: "s3-reader"}}
				pl := d.Pipelines["nightly"]
				pl.Schedule = &model.PipelineSchedule{Cron: "0 2 * * *", TimeZone: "Etc/UTC", Enabled: true, Experiment: "Default", ServiceAccount: "runner"}
				d.Pipelines["nightly"] = pl
			},
			want: []wantDiag{
				{`experiments."resnet50-hpo".trial.serviceAccount`, `no service account "trainer"`},
				{"podDefaults.s3.serviceAccountName", `no service account "s3-reader"`},
				{"pipelines.nightly.schedule.serviceAccount", `no service account "runner"`},
			},
		},
		{
			name: "the reconciler",
			edit: func(p *model.Platform, d *model.Declarations) {
				ep := d.Serving["resnet"]
				ep.ServiceAccount = "mlc-reconciler"
				d.Serving["resnet"] = ep
			},
			want: []wantDiag{{"servingEndpoints.resnet.serviceAccount", "is the tenant's Flux reconciler"}},
		},
	})
}

// useVolume has the notebook, the training job and the experiment's trials mount the
// volume coco, read-only or not.
func useVolume(d *model.Declarations, nbRO, jobRO, trialRO bool) {
	nb := d.Notebooks["dev"]
	nb.DataVolumes = map[string]model.DataVolume{"coco": {MountPath: "/data", Volume: "coco", ReadOnly: nbRO}}
	d.Notebooks["dev"] = nb
	job := d.Training["resnet50"]
	job.Volumes = map[string]model.TrainingVolume{"coco": {MountPath: "/data", Volume: "coco", ReadOnly: jobRO}}
	d.Training["resnet50"] = job
	exp := d.Experiments["resnet50-hpo"]
	exp.Trial.Volumes = map[string]model.TrainingVolume{"coco": {MountPath: "/data", Volume: "coco", ReadOnly: trialRO}}
	d.Experiments["resnet50-hpo"] = exp
}

func TestVolumeChecks(t *testing.T) {
	t.Parallel()
	volume := func(v model.Volume) func(p *model.Platform, d *model.Declarations) {
		return func(p *model.Platform, d *model.Declarations) {
			d.Volumes = map[string]model.Volume{"coco": v}
		}
	}
	runCheckCases(t, []checkCase{
		{name: "a snapshot's data set", edit: volume(model.Volume{Size: "100Gi", AccessMode: "ReadOnlyMany", DataSource: &model.VolumeSource{Snapshot: "coco-v1"}})},
		{
			name: "a size that is no quantity",
			edit: volume(model.Volume{Size: "lots", AccessMode: "ReadWriteOnce"}),
			want: []wantDiag{{"volumes.coco.size", `"lots" is not a Kubernetes quantity`}},
		},
		{
			name: "two data sources",
			edit: volume(model.Volume{Size: "1Gi", AccessMode: "ReadWriteOnce", DataSource: &model.VolumeSource{Snapshot: "s", Claim: "c"}}),
			want: []wantDiag{{"volumes.coco.dataSource", "set one of snapshot"}},
		},
		{
			name: "filled from itself",
			edit: volume(model.Volume{Size: "1Gi", AccessMode: "ReadWriteOnce", DataSource: &model.VolumeSource{Claim: "coco"}}),
			want: []wantDiag{{"volumes.coco.dataSource.claim", "cannot be filled from itself"}},
		},
		{
			name: "over the storage and claim quotas with the workspace",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.Tenant.Quota.Storage = "100Gi"
				d.Tenant.Quota.PersistentVolumeClaims = modeltest.Ptr(int64(1))
				d.Volumes = map[string]model.Volume{"coco": {Size: "100Gi", AccessMode: "ReadOnlyMany"}}
			},
			want: []wantDiag{
				{"tenant.quota.storage", "105Gi requested in all, more than the tenant's quota of 100Gi (tenant.quota.storage): volume coco 100Gi (tenants/vision/ml.cue:1), notebook dev 5Gi"},
				{"tenant.quota.persistentVolumeClaims", "2 needed in all, more than the tenant's quota of 1 (tenant.quota.persistentVolumeClaims): notebook dev 1 (tenants/vision/ml.cue:1), volume coco 1"},
			},
		},
	})
}

func TestVolumeSharing(t *testing.T) {
	t.Parallel()
	mode := func(accessMode string, nbRO, jobRO, trialRO bool) func(p *model.Platform, d *model.Declarations) {
		return func(p *model.Platform, d *model.Declarations) {
			d.Volumes = map[string]model.Volume{"coco": {Size: "10Gi", AccessMode: accessMode}}
			useVolume(d, nbRO, jobRO, trialRO)
		}
	}
	shared := "ReadWriteOnce, which one node mounts at a time, and notebook dev"
	runCheckCases(t, []checkCase{
		{name: "read-write by many", edit: mode("ReadWriteMany", false, false, false)},
		{name: "read-only by many", edit: mode("ReadOnlyMany", true, true, true)},
		{
			name: "ReadOnlyMany mounted read-write",
			edit: mode("ReadOnlyMany", true, false, true),
			want: []wantDiag{{"trainingJobs.resnet50.volumes.coco.volume", "volume coco is ReadOnlyMany: mount it with readOnly: true"}},
		},
		{
			name: "ReadWriteOnce shared",
			edit: mode("ReadWriteOnce", true, true, true),
			want: []wantDiag{
				{`experiments."resnet50-hpo".trial.volumes.coco.volume`, shared},
				{"trainingJobs.resnet50.volumes.coco.volume", shared},
			},
		},
		{
			name: "ReadWriteOnce in a job of two nodes",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.Volumes = map[string]model.Volume{"coco": {Size: "10Gi", AccessMode: "ReadWriteOncePod"}}
				job := d.Training["resnet50"]
				job.Volumes = map[string]model.TrainingVolume{"coco": {MountPath: "/data", Volume: "coco"}}
				d.Training["resnet50"] = job
			},
			want: []wantDiag{{"trainingJobs.resnet50.volumes.coco.volume", "training job resnet50 runs up to 2 pods"}},
		},
		{
			name: "ReadWriteOnce in one notebook",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.Volumes = map[string]model.Volume{"scratch": {Size: "10Gi", AccessMode: "ReadWriteOnce"}}
				nb := d.Notebooks["dev"]
				nb.DataVolumes = map[string]model.DataVolume{"s": {MountPath: "/scratch", Volume: "scratch"}}
				d.Notebooks["dev"] = nb
			},
		},
		{
			name: "a model on a declared claim, served by replicas",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.Volumes = map[string]model.Volume{"models": {Size: "10Gi", AccessMode: "ReadWriteOnce"}}
				ep := d.Serving["resnet"]
				ep.Model = &model.ServedModel{Format: "sklearn", StorageURI: "pvc://models/resnet"}
				d.Serving["resnet"] = ep
			},
			want: []wantDiag{{"servingEndpoints.resnet.model.storageUri", "serving endpoint resnet runs up to 2 pods"}},
		},
		{
			name: "a declared volume named by its claim is a use too",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.Volumes = map[string]model.Volume{"coco": {Size: "10Gi", AccessMode: "ReadWriteOnce"}}
				nb := d.Notebooks["dev"]
				nb.DataVolumes = map[string]model.DataVolume{"coco": {MountPath: "/data", ExistingClaim: "coco"}}
				d.Notebooks["dev"] = nb
				job := d.Training["resnet50"]
				job.Volumes = map[string]model.TrainingVolume{"coco": {MountPath: "/data", Claim: "coco"}}
				d.Training["resnet50"] = job
			},
			want: []wantDiag{{"trainingJobs.resnet50.volumes.coco.claim", shared}},
		},
		{
			name: "a model on a claim mlc does not declare",
			edit: func(p *model.Platform, d *model.Declarations) {
				ep := d.Serving["resnet"]
				ep.Model = &model.ServedModel{Format: "sklearn", StorageURI: "pvc://models/resnet"}
				d.Serving["resnet"] = ep
			},
		},
		{
			name: "unknown volumes",
			edit: func(p *model.Platform, d *model.Declarations) {
				useVolume(d, true, true, true)
				pl := d.Pipelines["nightly"]
				prep := pl.Tasks["prep"]
				prep.Volumes = map[string]model.TaskVolume{"data": {MountPath: "/data", Volume: "coco"}}
				pl.Tasks["prep"] = prep
			},
			want: []wantDiag{
				{"notebooks.dev.dataVolumes.coco.volume", `no volume "coco"`},
				{"trainingJobs.resnet50.volumes.coco.volume", `no volume "coco"`},
				{`experiments."resnet50-hpo".trial.volumes.coco.volume`, `no volume "coco"`},
				{"pipelines.nightly.tasks.prep.volumes.data.volume", `no volume "coco"`},
			},
		},
		{
			name: "a volume beside a claim of a data volume",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.Volumes = map[string]model.Volume{"coco": {Size: "10Gi", AccessMode: "ReadWriteMany"}}
				nb := d.Notebooks["dev"]
				nb.DataVolumes = map[string]model.DataVolume{"coco": {MountPath: "/data", Volume: "coco", Size: "1Gi"}}
				d.Notebooks["dev"] = nb
			},
			want: []wantDiag{{"notebooks.dev.dataVolumes.coco", "set one of size (a new claim), existingClaim or volume"}},
		},
	})
}

func TestConfigMapChecks(t *testing.T) {
	t.Parallel()
	cm := func(c model.ConfigMap) func(p *model.Platform, d *model.Declarations) {
		return func(p *model.Platform, d *model.Declarations) {
			d.ConfigMaps = map[string]model.ConfigMap{"settings": c}
		}
	}
	runCheckCases(t, []checkCase{
		{name: "data and binary data", edit: cm(model.ConfigMap{Data: model.ConfigMapData{"app.yaml": "a: 1"}, BinaryData: map[string]string{"logo": "AAEC"}})},
		{
			name: "a key that is not one",
			edit: cm(model.ConfigMap{Data: model.ConfigMapData{"a/b": "x"}}),
			want: []wantDiag{{`configMaps.settings.data."a/b"`, `"a/b" is not a valid ConfigMap key`}},
		},
		{
			name: "binary data that is not base64",
			edit: cm(model.ConfigMap{BinaryData: map[string]string{"logo": "not base64!"}}),
			want: []wantDiag{{"configMaps.settings.binaryData.logo", "are base64-encoded, and this one is not"}},
		},
		{
			name: "a key in both",
			edit: cm(model.ConfigMap{Data: model.ConfigMapData{"logo": "x"}, BinaryData: map[string]string{"logo": "AAEC"}}),
			want: []wantDiag{{"configMaps.settings.binaryData.logo", "is also a key of data"}},
		},
		{
			name: "Kubernetes' own",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.ConfigMaps = map[string]model.ConfigMap{"kube-root-ca.crt": {}}
			},
			want: []wantDiag{{`configMaps."kube-root-ca.crt"`, "Kubernetes keeps ConfigMap kube-root-ca.crt"}},
		},
		{
			name: "over the quota's count with Kubernetes' and Istio's",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.Tenant.Quota.ConfigMaps = modeltest.Ptr(int64(3))
				d.ConfigMaps = map[string]model.ConfigMap{"a": {}, "b": {}}
			},
			want: []wantDiag{{"tenant.quota.configMaps", "the tenant declares 2 ConfigMaps, and Kubernetes and Istio keep 2 in every namespace (istio-ca-root-cert, kube-root-ca.crt): 4 in all, more than its quota of 3"}},
		},
		{
			name: "a password",
			edit: cm(model.ConfigMap{Data: model.ConfigMapData{"DB_PASSWORD": "s3cr3t-v4lue"}}),
			want: []wantDiag{{"configMaps.settings.data.DB_PASSWORD", "DB_PASSWORD looks like a credential"}},
		},
		{
			name: "a switch named like a password is no credential",
			edit: cm(model.ConfigMap{Data: model.ConfigMapData{"USE_PASSWORD": "false"}}),
		},
		{
			name: "an env key the ConfigMap has, and one it lacks",
			edit: func(p *model.Platform, d *model.Declarations) {
				d.ConfigMaps = map[string]model.ConfigMap{"settings": {Data: model.ConfigMapData{"LEVEL": "info"}, BinaryData: map[string]string{"logo": "AAEC"}}}
				job := d.Training["resnet50"]
				job.Env = map[string]model.EnvValue{
					"LEVEL": {ConfigMap: &model.KeyRef{Name: "settings", Key: "LEVEL"}},
					"LOGO":  {ConfigMap: &model.KeyRef{Name: "settings", Key: "logo"}},
					"OTHER": {ConfigMap: &model.KeyRef{Name: "settings", Key: "other"}},
					"KEPT":  {ConfigMap: &model.KeyRef{Name: "made-by-hand", Key: "any"}},
				}
				d.Training["resnet50"] = job
			},
			want: []wantDiag{{"trainingJobs.resnet50.env.OTHER.configMap.key", `ConfigMap settings (configMaps) has no key "other" (has LEVEL, logo)`}},
		},
	})
}
