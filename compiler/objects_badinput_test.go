package compiler_test

import (
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
)

// objectsCue is the tenant file of the cases below: its service accounts, volumes and
// ConfigMaps.
const objectsCue = "tenants/team-a/objects.cue"

// platformWithIdentities is the base platform, allowing each tenant the AWS roles and
// Google service accounts named after it.
const platformWithIdentities = `package ml

clusters: prod: {}
defaults: gpuTypes: a100: vendor: "nvidia"
defaults: gpuType: "a100"
policy: allowedRegistries: ["ghcr.io/kubeflow/", "ghcr.io/acme/"]
policy: limits: notebook: gpu: 2
policy: workloadIdentity: {
	aws: ["arn:aws:iam::123456789012:role/{tenant}-*"]
	gcp: ["*@ml-prod.iam.gserviceaccount.com"]
}
`

// TestObjectsBadInput is the bad-input corpus of the tenant objects: service accounts,
// volumes and ConfigMaps, and the workloads that name them. Each mistake is reported
// at its file, line and column, and nothing is rendered.
func TestObjectsBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		changes map[string]string
		pos     string
		path    string
		message string
	}{
		{
			name: "a notebook mounting a volume the tenant does not declare",
			changes: map[string]string{nb: `package ml

notebooks: dev: {
	image: "jupyter-scipy"
	resources: {cpu: 2, memory: "4Gi"}
	dataVolumes: data: {volume: "coco-2017", mountPath: "/data"}
}
`},
			pos: nb + ":6:30", path: `notebooks.dev.dataVolumes.data.volume`,
			message: `no volume "coco-2017": declare it in volumes (have none)`,
		},
		{
			name: "a ReadWriteOnce volume shared by a notebook and a training job",
			changes: map[string]string{
				objectsCue: "package ml\n\nvolumes: scratch: size: \"10Gi\"\n",
				nb: `package ml

notebooks: dev: {
	image: "jupyter-scipy"
	resources: {cpu: 2, memory: "4Gi"}
	dataVolumes: data: {volume: "scratch", mountPath: "/data"}
}

trainingJobs: train: {
	framework: "pytorch"
	image: "ghcr.io/acme/train:1"
	resources: {cpu: 1, memory: "1Gi"}
	volumes: data: {volume: "scratch", mountPath: "/data"}
}
`},
			pos: nb + ":13:26", path: "trainingJobs.train.volumes.data.volume",
			message: "volume scratch is ReadWriteOnce, which one node mounts at a time, and notebook dev (" + nb + ":6:30) mounts it too",
		},
		{
			name: "a ReadOnlyMany volume mounted read-write",
			changes: map[string]string{
				objectsCue: "package ml\n\nvolumes: coco: {size: \"10Gi\", accessMode: \"ReadOnlyMany\"}\n",
				nb: `package ml

notebooks: dev: {
	image: "jupyter-scipy"
	resources: {cpu: 2, memory: "4Gi"}
	dataVolumes: data: {volume: "coco", mountPath: "/data"}
}
`},
			pos: nb + ":6:30", path: "notebooks.dev.dataVolumes.data.volume",
			message: "volume coco is ReadOnlyMany: mount it with readOnly: true",
		},
		{
			name: "a service account with two clouds",
			changes: map[string]string{
				"platform.cue": platformWithIdentities,
				objectsCue: `package ml

serviceAccounts: reader: {
	aws: roleArn: "arn:aws:iam::123456789012:role/team-a-reader"
	gcp: serviceAccount: "reader@ml-prod.iam.gserviceaccount.com"
}
`},
			pos: objectsCue + ":5:2", path: "serviceAccounts.reader.gcp",
			message: "a service account takes one cloud identity, and this one has aws and gcp",
		},
		{
			name: "a malformed role ARN",
			changes: map[string]string{
				"platform.cue": platformWithIdentities,
				objectsCue:     "package ml\n\nserviceAccounts: reader: aws: roleArn: \"arn:aws:iam::1234:role/team-a-reader\"\n",
			},
			pos: objectsCue + ":3:40", path: "serviceAccounts.reader.aws.roleArn",
			message: `"arn:aws:iam::1234:role/team-a-reader" is not an IAM role ARN`,
		},
		{
			name: "a malformed Google service account",
			changes: map[string]string{
				"platform.cue": platformWithIdentities,
				objectsCue:     "package ml\n\nserviceAccounts: reader: gcp: serviceAccount: \"reader@ml-prod.gserviceaccount.com\"\n",
			},
			pos: objectsCue + ":3:47", path: "serviceAccounts.reader.gcp.serviceAccount",
			message: "is not a Google service account's email: NAME@PROJECT.iam.gserviceaccount.com",
		},
		{
			name: "a malformed Azure client ID",
			changes: map[string]string{
				"platform.cue": platformWithIdentities,
				objectsCue:     "package ml\n\nserviceAccounts: reader: azure: clientId: \"my-identity\"\n",
			},
			pos: objectsCue + ":3:43", path: "serviceAccounts.reader.azure.clientId",
			message: `"my-identity" is not a client ID`,
		},
		{
			name: "a role of another tenant, which the policy does not allow",
			changes: map[string]string{
				"platform.cue": platformWithIdentities,
				objectsCue:     "package ml\n\nserviceAccounts: reader: aws: roleArn: \"arn:aws:iam::123456789012:role/team-b-admin\"\n",
			},
			pos: objectsCue + ":3:40", path: "serviceAccounts.reader.aws.roleArn",
			message: "the platform does not allow tenant team-a the identity arn:aws:iam::123456789012:role/team-b-admin (policy.workloadIdentity.aws allows arn:aws:iam::123456789012:role/{tenant}-*)",
		},
		{
			name: "a cloud identity on a platform that allows none",
			changes: map[string]string{
				objectsCue: "package ml\n\nserviceAccounts: reader: aws: roleArn: \"arn:aws:iam::123456789012:role/team-a-reader\"\n",
			},
			pos: objectsCue + ":3:40", path: "serviceAccounts.reader.aws.roleArn",
			message: "the platform allows tenants no aws identity (policy.workloadIdentity.aws is empty)",
		},
		{
			name: "a workload running as an undeclared service account",
			changes: map[string]string{nb: `package ml

notebooks: dev: {
	image: "jupyter-scipy"
	resources: {cpu: 2, memory: "4Gi"}
	serviceAccount: "s3-reader"
}
`},
			pos: nb + ":6:18", path: "notebooks.dev.serviceAccount",
			message: `no service account "s3-reader": declare it in serviceAccounts`,
		},
		{
			name: "a workload running as the tenant's reconciler",
			changes: map[string]string{nb: `package ml

notebooks: dev: {
	image: "jupyter-scipy"
	resources: {cpu: 2, memory: "4Gi"}
	serviceAccount: "mlc-reconciler"
}
`},
			pos: nb + ":6:18", path: "notebooks.dev.serviceAccount",
			message: "mlc-reconciler is the tenant's Flux reconciler",
		},
		{
			name:    "a ConfigMap holding a credential",
			changes: map[string]string{objectsCue: "package ml\n\nconfigMaps: settings: data: DB_PASSWORD: \"hunter2hunter2\"\n"},
			pos:     objectsCue + ":3:42", path: "configMaps.settings.data.DB_PASSWORD",
			message: "DB_PASSWORD looks like a credential",
		},
		{
			name:    "a ConfigMap holding a token",
			changes: map[string]string{objectsCue: "package ml\n\nconfigMaps: settings: data: \"config.ini\": \"token = ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\"\n"},
			pos:     objectsCue + ":3:43", path: `configMaps.settings.data."config.ini"`,
			message: "holds what looks like",
		},
		{
			name: "an env reference to a key the ConfigMap lacks",
			changes: map[string]string{
				objectsCue: "package ml\n\nconfigMaps: settings: data: LOG_LEVEL: \"info\"\n",
				nb: `package ml

notebooks: dev: {
	image: "jupyter-scipy"
	resources: {cpu: 2, memory: "4Gi"}
	env: LEVEL: configMap: {name: "settings", key: "LOGLEVEL"}
}
`},
			pos: nb + ":6:49", path: "notebooks.dev.env.LEVEL.configMap.key",
			message: `ConfigMap settings (configMaps) has no key "LOGLEVEL" (has LOG_LEVEL)`,
		},
		{
			name: "volumes over the storage quota",
			changes: map[string]string{
				tenantCue:  "package ml\n\ntenant: {\n\towner: \"alice@example.com\"\n\tquota: {cpu: 8, memory: \"32Gi\", storage: \"100Gi\"}\n}\n",
				objectsCue: "package ml\n\nvolumes: coco: {size: \"500Gi\", accessMode: \"ReadOnlyMany\"}\n",
			},
			pos: objectsCue + ":3:23", path: "volumes.coco.size",
			message: "this volume alone requests 500Gi of storage, more than the tenant's whole quota of 100Gi",
		},
		{
			name:    "a volume named as a notebook's workspace claim",
			changes: map[string]string{objectsCue: "package ml\n\nvolumes: \"dev-workspace\": size: \"10Gi\"\n"},
			pos:     objectsCue + ":3:10", path: `volumes."dev-workspace"`,
			message: "PersistentVolumeClaim dev-workspace of volume dev-workspace and of notebook dev",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := compiler.Compile(t.Context(), writeRepo(t, tc.changes), compiler.Options{})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if !res.Diagnostics.HasErrors() {
				t.Fatal("no error reported")
			}
			requireRefused(t, res, tc.pos, tc.path, tc.message)
		})
	}
}
